// The file backend's state_writer: a state directory holding ledger.json (authoritative,
// read back on start) and status.json (service and pool status, for display). Each file
// is replaced with write-temp, fsync, rename, fsync(dir): a crash at any instant leaves
// the old or the new file, never a torn one. Reading refuses a corrupt ledger precisely.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/backend.hpp"

namespace store::file {

// Where encoded text goes: a string, or a file in pieces (atomic_write), so the text of a
// 100,000-service state never exists whole in memory while it is written.
class text_sink {
 public:
  virtual ~text_sink() = default;
  virtual void append(std::string_view text) = 0;
};

// JSON text of the ledger / status files (stable order, one entry per line).
void encode_ledger(const model::ledger& l, text_sink& out);
void encode_status(const state& s, text_sink& out);
std::string encode_ledger(const model::ledger& l);
std::string encode_status(const state& s);
// Parse and check a ledger file; errors name `file`, the field path and the rule.
ledger_read decode_ledger(std::string_view file, std::string_view text);

// Parse and check a status file (for bgplbctl); the ledger part holds only the revision.
struct status_read {
  std::optional<state> status;  // set iff errors is empty
  std::vector<model::error> errors;
};
status_read decode_status(std::string_view file, std::string_view text);

// Replace dir/name atomically and durably; the error text, or nothing on success.
std::optional<std::string> atomic_write(const std::string& dir, const std::string& name, std::string_view contents);
// The same with the contents produced by `produce` and written as they come, a buffer of
// about a megabyte at a time.
std::optional<std::string> atomic_write(const std::string& dir, const std::string& name,
                                        const std::function<void(text_sink&)>& produce);

class state_dir final : public state_writer {
 public:
  explicit state_dir(std::string dir) : dir_(std::move(dir)) {}
  std::vector<model::error> write(const state& s) override;
  ledger_read read_ledger() override;

  static constexpr std::string_view ledger_file = "ledger.json";
  static constexpr std::string_view status_file = "status.json";

 private:
  std::string dir_;
};

}  // namespace store::file
