#include "server/audit_log.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/logging.h"

namespace stepwise::server {

namespace {

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void Field(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out.push_back(',');
  AppendJsonString(name, out);
  out.push_back(':');
  AppendJsonString(value, out);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open audit log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(fd));
}

AuditLog::~AuditLog() { ::close(fd_); }

void AuditLog::Record(const AuditRecord& r) {
  std::string line = "{";
  Field(line, "time", UtcNow());
  Field(line, "api", r.api);
  Field(line, "caller", r.caller.empty() ? "anonymous" : r.caller);
  Field(line, "peer", r.peer);
  Field(line, "action", r.action);
  Field(line, "resource", r.resource);
  Field(line, "outcome", r.outcome);
  line += "}\n";
  std::lock_guard<std::mutex> l(mu_);
  ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()) && !write_failed_) {
    write_failed_ = true;
    spdlog::error("audit log: write failed: {}", n < 0 ? std::strerror(errno) : "short write");
  }
}

std::string Fingerprint(std::string_view secret) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), d.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
  return out;
}

std::string TokenCaller(std::string_view token) { return "token:" + Fingerprint(token); }

bool IsMutatingAction(std::string_view action) {
  static constexpr std::string_view kMutating[] = {
      "CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine", "StartExecution",
      "StopExecution",      "CreateActivity",     "DeleteActivity",     "GetActivityTask",
      "SendTaskSuccess",    "SendTaskFailure",    "SendTaskHeartbeat",  "Backup",
      "TagResource",        "UntagResource",      "RedriveExecution",   "StartSyncExecution",
      "PublishStateMachineVersion", "DeleteStateMachineVersion", "CreateStateMachineAlias",
      "UpdateStateMachineAlias",    "DeleteStateMachineAlias",    "UpdateMapRun",
      // Stepwise's extensions (server/aws_json_extensions.h), audited as
      // "Stepwise.<Action>".
      "Stepwise.RestartExecution",  "Stepwise.PutIndexedFields",
      "Stepwise.StartBatchOperation", "Stepwise.CancelBatchOperation",
  };
  for (std::string_view a : kMutating) {
    if (a == action) return true;
  }
  return false;
}

}  // namespace stepwise::server
