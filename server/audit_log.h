// AuditLog: an append-only JSON-lines file recording every mutating call
// made on either API (gRPC and the AWS JSON endpoint): when, which API,
// who (caller identity and network peer), which action, which resource and
// the outcome. Enabled with `--audit-log PATH` (server/main.cc); StatesService
// and AwsJsonApi call Record. One line per call, for example
//   {"time":"2026-01-02T03:04:05.678Z","api":"aws","caller":"token:3f2a9c1d",
//    "peer":"127.0.0.1:51234","action":"StartExecution",
//    "resource":"arn:aws:states:...:execution:m:e1","outcome":"OK"}
// `outcome` is "OK" or the AWS error name (for a refused caller, e.g.
// "UnrecognizedClientException"). Callers are never logged by secret: a
// bearer token appears as "token:" + the first 8 hex digits of its SHA-256,
// a SigV4 caller as "aws:" + its access key id, an mTLS client as
// "cert:" + its certificate subject, anyone else as "anonymous". Task tokens
// appear the same way ("taskToken:" + 8 hex digits). Lines are written with
// one write(2) each on an O_APPEND descriptor (whole lines even when another
// process appends too) and are not fsynced. Thread-safe.
#ifndef SW_SERVER_AUDIT_LOG_H_
#define SW_SERVER_AUDIT_LOG_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stepwise::server {

struct AuditRecord {
  std::string api;       // "grpc" or "aws"
  std::string caller;    // see Caller* below
  std::string peer;      // "ip:port" as the transport saw it
  std::string action;    // RPC / AWS action name, e.g. "StartExecution"
  std::string resource;  // ARN (or name, or task-token fingerprint)
  std::string outcome;   // "OK" or the AWS error name
};

class AuditLog {
 public:
  // Opens (creating, mode 0600) `path` for appending. kInvalidArgument
  // naming the path and the reason when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line for `r`, stamped with the current UTC time. A failed
  // write is reported once on the server log and otherwise ignored: the
  // call it records has already happened.
  void Record(const AuditRecord& r);

 private:
  explicit AuditLog(int fd) : fd_(fd) {}
  const int fd_;
  std::mutex mu_;
  bool write_failed_ = false;  // guarded by mu_
};

// The short, non-secret fingerprint of a secret: the first 8 hex digits of
// its SHA-256.
std::string Fingerprint(std::string_view secret);

// The caller identity of a bearer token: "token:" + Fingerprint(token).
std::string TokenCaller(std::string_view token);

// The (audited) actions that change stored state or hand out work.
bool IsMutatingAction(std::string_view action);

}  // namespace stepwise::server

#endif  // SW_SERVER_AUDIT_LOG_H_
