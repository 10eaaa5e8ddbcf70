// apipb.GobgpApi over a list of speakers: the RPCs the gobgp client needs (GetBgp,
// ListPeer, ListPath, GetTable, WatchEvent, ResetPeer, ShutdownPeer, EnablePeer,
// DisablePeer, AddPath, DeletePath); every other RPC answers UNIMPLEMENTED with a
// message (unimplemented_rpcs.inc is generated from gobgp.proto).
#pragma once

#include "access.hpp"
#include "events.hpp"

#include "gobgp.grpc.pb.h"

#include <api/server.hpp>

#include <memory>
#include <string>
#include <vector>

namespace api {

class gobgp_service final : public apipb::GobgpApi::Service {
 public:
  // `socket`: the Unix socket path control RPCs are sent to (for refusals' messages).
  gobgp_service(const server_config& cfg, std::string socket, std::shared_ptr<credential_table> credentials,
                std::vector<speaker_ref> speakers, std::shared_ptr<event_hub> hub, std::shared_ptr<age_book> ages,
                std::vector<std::shared_ptr<speaker_watch>> watches)
      : cfg_(cfg),
        socket_(std::move(socket)),
        credentials_(std::move(credentials)),
        speakers_(std::move(speakers)),
        hub_(std::move(hub)),
        ages_(std::move(ages)),
        watches_(std::move(watches)) {}

  grpc::Status GetBgp(grpc::ServerContext*, const apipb::GetBgpRequest*, apipb::GetBgpResponse*) override;
  grpc::Status ListPeer(grpc::ServerContext*, const apipb::ListPeerRequest*,
                        grpc::ServerWriter<apipb::ListPeerResponse>*) override;
  grpc::Status ListPath(grpc::ServerContext*, const apipb::ListPathRequest*,
                        grpc::ServerWriter<apipb::ListPathResponse>*) override;
  grpc::Status GetTable(grpc::ServerContext*, const apipb::GetTableRequest*, apipb::GetTableResponse*) override;
  grpc::Status WatchEvent(grpc::ServerContext*, const apipb::WatchEventRequest*,
                          grpc::ServerWriter<apipb::WatchEventResponse>*) override;
  grpc::Status ResetPeer(grpc::ServerContext*, const apipb::ResetPeerRequest*, google::protobuf::Empty*) override;
  grpc::Status ShutdownPeer(grpc::ServerContext*, const apipb::ShutdownPeerRequest*,
                            google::protobuf::Empty*) override;
  grpc::Status EnablePeer(grpc::ServerContext*, const apipb::EnablePeerRequest*, google::protobuf::Empty*) override;
  grpc::Status DisablePeer(grpc::ServerContext*, const apipb::DisablePeerRequest*, google::protobuf::Empty*) override;
  grpc::Status AddPath(grpc::ServerContext*, const apipb::AddPathRequest*, apipb::AddPathResponse*) override;
  grpc::Status DeletePath(grpc::ServerContext*, const apipb::DeletePathRequest*, google::protobuf::Empty*) override;

#include "unimplemented_rpcs.inc"

 private:
  static grpc::Status unimplemented(const char* rpc) {
    return {grpc::StatusCode::UNIMPLEMENTED, std::string(rpc) + " is not implemented by bgplb"};
  }
  // PERMISSION_DENIED for a non-loopback client unless allow_remote.
  grpc::Status admit(grpc::ServerContext* ctx) const;
  // A control or write RPC: admitted and permitted (access.hpp) before `act` runs,
  // audited afterwards whatever the outcome. `request` describes it for the audit.
  template <class Act>
  grpc::Status guarded(grpc::ServerContext* ctx, const char* rpc, rpc_class k, std::string request, Act act);
  struct destination_list;
  grpc::Status collect(const apipb::ListPathRequest& req, destination_list& out);
  // Runs `op` on the speaker that has peer `address`; NOT_FOUND when none has it.
  template <class Op>
  grpc::Status on_peer(const std::string& address, Op op);
  grpc::Status write_path(const apipb::Path& path, bool add);

  server_config cfg_;
  std::string socket_;
  std::shared_ptr<credential_table> credentials_;
  std::vector<speaker_ref> speakers_;
  std::shared_ptr<event_hub> hub_;
  std::shared_ptr<age_book> ages_;
  std::vector<std::shared_ptr<speaker_watch>> watches_;  // one per speaker
};

}  // namespace api
