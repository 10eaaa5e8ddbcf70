// Test-only: a GobgpApi server that answers with what gobgpd answered during the
// recording (cli/test/gobgp_recording/server_side/*.txt: "# Rpc(request)"
// lines, each followed by one response in protobuf text format). bgplbctl's output
// against it must equal gobgp's recorded output for the same commands.
// Timestamps are shifted so the newest is "now": ages stay under a day, which keeps
// the time columns as wide as in the reference.
// usage: gobgp_replay_server DIR PORT    (prints "ready" when serving)
#include "gobgp.grpc.pb.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <grpcpp/server_builder.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

namespace {

namespace pb = google::protobuf;

struct exchange {
  std::string rpc;
  std::string request;   // text format
  std::string response;  // text format
};

std::vector<exchange> load(const std::filesystem::path& dir) {
  std::vector<exchange> out;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(f.path());
    std::string line;
    exchange* cur = nullptr;
    const std::regex head(R"(^# (\w+)(?:\((.*)\))?(?: status=\d+)?$)");
    while (std::getline(in, line)) {
      std::smatch m;
      if (line.starts_with("# status=")) {
        cur = nullptr;
      } else if (std::regex_match(line, m, head)) {
        out.push_back({m[1], m[2], ""});
        cur = &out.back();
      } else if (cur) {
        cur->response += line + "\n";
      }
    }
  }
  return out;
}

void shift_times(pb::Message& m, std::int64_t by) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  if (d->full_name() == "google.protobuf.Timestamp") {
    const auto* s = d->FindFieldByName("seconds");
    r->SetInt64(&m, s, r->GetInt64(m, s) + by);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k) shift_times(*r->MutableRepeatedMessage(&m, f, k), by);
    } else if (r->HasField(m, f)) {
      shift_times(*r->MutableMessage(&m, f), by);
    }
  }
}

class replay final : public apipb::GobgpApi::Service {
 public:
  explicit replay(std::vector<exchange> x, std::int64_t shift) : x_(std::move(x)), shift_(shift) {}

  grpc::Status GetBgp(grpc::ServerContext*, const apipb::GetBgpRequest* q, apipb::GetBgpResponse* r) override {
    return unary("GetBgp", *q, *r);
  }
  grpc::Status GetTable(grpc::ServerContext*, const apipb::GetTableRequest* q, apipb::GetTableResponse* r) override {
    return unary("GetTable", *q, *r);
  }
  grpc::Status ListPeer(grpc::ServerContext*, const apipb::ListPeerRequest* q,
                        grpc::ServerWriter<apipb::ListPeerResponse>* w) override {
    for (const auto& e : x_)
      if (matches(e, "ListPeer", *q)) return stream("ListPeer", *q, w);
    return one_peer(*q, w);
  }
  grpc::Status ListPath(grpc::ServerContext*, const apipb::ListPathRequest* q,
                        grpc::ServerWriter<apipb::ListPathResponse>* w) override {
    return stream("ListPath", *q, w);
  }

 private:
  template <class Req>
  bool matches(const exchange& e, const char* rpc, const Req& q) const {
    if (e.rpc != rpc) return false;
    Req recorded;
    return pb::TextFormat::ParseFromString(e.request, &recorded) && pb::util::MessageDifferencer::Equals(recorded, q);
  }
  template <class Req, class Resp>
  grpc::Status unary(const char* rpc, const Req& q, Resp& r) {
    for (const auto& e : x_)
      if (matches(e, rpc, q)) {
        pb::TextFormat::ParseFromString(e.response, &r);
        shift_times(r, shift_);
        return grpc::Status::OK;
      }
    return {grpc::StatusCode::UNIMPLEMENTED, std::string("no recorded ") + rpc + " for " + q.ShortDebugString()};
  }
  template <class Req, class Resp>
  grpc::Status stream(const char* rpc, const Req& q, grpc::ServerWriter<Resp>* w) {
    bool any = false;
    for (const auto& e : x_)
      if (matches(e, rpc, q)) {
        any = true;
        if (e.response.find_first_not_of(" \n") == std::string::npos) continue;
        Resp r;
        pb::TextFormat::ParseFromString(e.response, &r);
        shift_times(r, shift_);
        w->Write(r);
      }
    if (!any) return {grpc::StatusCode::UNIMPLEMENTED, std::string("no recorded ") + rpc + " for " + q.ShortDebugString()};
    return grpc::Status::OK;
  }
  // ListPeer for one address without a recording of its own: the matching peer of
  // the recorded full list.
  grpc::Status one_peer(const apipb::ListPeerRequest& q, grpc::ServerWriter<apipb::ListPeerResponse>* w) {
    for (const auto& e : x_)
      if (e.rpc == "ListPeer" && e.request.empty()) {
        apipb::ListPeerResponse r;
        pb::TextFormat::ParseFromString(e.response, &r);
        if (r.peer().state().neighbor_address() != q.address()) continue;
        shift_times(r, shift_);
        w->Write(r);
      }
    return grpc::Status::OK;
  }

  std::vector<exchange> x_;
  std::int64_t shift_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: gobgp_replay_server DIR PORT\n";
    return 2;
  }
  auto x = load(argv[1]);
  // The capture's newest timestamp (seconds) becomes now.
  std::int64_t newest = 0;
  const std::regex sec(R"(seconds: (\d+))");
  for (const auto& e : x)
    for (std::sregex_iterator it(e.response.begin(), e.response.end(), sec), end; it != end; ++it)
      newest = std::max<std::int64_t>(newest, std::stoll((*it)[1]));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  replay service(std::move(x), newest ? now - newest : 0);
  grpc::ServerBuilder b;
  b.AddListeningPort(std::string("127.0.0.1:") + argv[2], grpc::InsecureServerCredentials());
  b.RegisterService(&service);
  auto server = b.BuildAndStart();
  if (!server) {
    std::cerr << "gobgp_replay_server: cannot listen on port " << argv[2] << "\n";
    return 1;
  }
  std::cout << "ready" << std::endl;
  server->Wait();
}
