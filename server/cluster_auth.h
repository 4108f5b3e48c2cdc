// ClusterAuth: how one node of a cluster proves to another that a call it
// forwards comes from a node holding the cluster secret
// (--cluster-secret-file). A forwarded gRPC call carries
// `x-stepwise-forwarded: v1:<unix seconds>:<hex HMAC-SHA256>:<node id>`
// where the MAC is over "stepwise-forward-v1\n<seconds>\n<node id>" under
// the secret; a receiver accepts it within kMaxSkew of its own clock and
// refuses anything else marked forwarded with AccessDeniedException
// (PERMISSION_DENIED). The secret is never logged and never leaves the
// process except as MACs. The header is not bound to the request body: a
// captured header replays for kMaxSkew, so run the nodes' gRPC over TLS
// where the network is not trusted.
//
// Immutable after Load; every method may be called from any thread.
#ifndef SW_SERVER_CLUSTER_AUTH_H_
#define SW_SERVER_CLUSTER_AUTH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stepwise::server {

// The metadata key marking a call as forwarded by another node (and
// carrying its proof).
inline constexpr char kForwardedMetadataKey[] = "x-stepwise-forwarded";
// The audit caller of the original client, passed along with a forwarded
// call (informational; the receiving node's audit log shows it).
inline constexpr char kForwardedCallerMetadataKey[] = "x-stepwise-forwarded-caller";

class ClusterAuth {
 public:
  // A shorter secret is refused at start.
  static constexpr size_t kMinSecretLength = 16;
  // How far a forwarded call's timestamp may be from the receiver's clock.
  static constexpr int64_t kMaxSkewSeconds = 300;

  // Reads the secret from `path` (surrounding whitespace trimmed).
  // kInvalidArgument naming --cluster-secret-file (never its content) when
  // the file cannot be read or the secret is shorter than kMinSecretLength.
  static absl::StatusOr<std::unique_ptr<ClusterAuth>> Load(const std::string& path);
  // For tests.
  static std::unique_ptr<ClusterAuth> FromSecret(std::string secret);

  // The kForwardedMetadataKey value for a call forwarded by `node_id` now
  // (`unix_seconds`).
  std::string Sign(std::string_view node_id, int64_t unix_seconds) const;

  // OK when `value` (a kForwardedMetadataKey value) was made by Sign under
  // this secret within kMaxSkewSeconds of `now_unix_seconds`; else
  // PERMISSION_DENIED with AccessDeniedException, saying what was wrong
  // without revealing the expected MAC.
  absl::Status Verify(std::string_view value, int64_t now_unix_seconds) const;

  // The node id a verified `value` names ("" when it does not parse).
  static std::string NodeOf(std::string_view value);

 private:
  explicit ClusterAuth(std::string secret) : secret_(std::move(secret)) {}
  std::string Mac(std::string_view seconds, std::string_view node_id) const;

  const std::string secret_;
};

// AccessDeniedException (PERMISSION_DENIED) for a call marked forwarded
// that this node does not accept: `why` says what was wrong.
absl::Status ForwardRefused(std::string_view why);

}  // namespace stepwise::server

#endif  // SW_SERVER_CLUSTER_AUTH_H_
