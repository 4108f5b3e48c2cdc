// ClusterRouter: in cluster mode, decides where a call that names an
// execution runs, and runs it there. A node that holds the execution's
// shard (storage/postgres/shard_hash.h: FNV-1a of the ARN mod N) runs it
// itself; otherwise the call is forwarded to the owner's advertise address
// over the public gRPC service (server/cluster_forwarder.h) and the owner's
// answer is returned as it is. A call that arrived forwarded is never
// forwarded again: if this node does not hold the shard either (ownership
// moved meanwhile), it answers ShardMovedError, and the forwarding node
// re-reads ownership from the database and tries again (here, or at the
// new owner). Reads (Describe/List/History) do not come here: any node
// serves them from the database.
//
// While a shard changes hands (a node joining, leaving or dying), there is
// a window in which nobody runs it: the old holder has let it go and the
// new one has its lease but is still recovering it (engine/ownership.cc),
// or nobody holds it yet. The first node keeps the call through that
// window: once at once after re-reading ownership, then after 25, 50, 100,
// 200, 200 ... ms, for at most `settle_for` (3 s by default), and only then
// answers the retryable ServiceUnavailable. A client calling any node
// during a hand-over sees a slower answer, not an error.
//
// The router only decides; what "run here" and "forward to ADDRESS" mean
// is given per call (RoutedCall), so the gRPC front end
// (server/states_service.cc) and the AWS JSON one
// (server/aws_json_forward.cc) share it, and its unit test drives it with
// fakes (server/cluster_router_test.cc).
//
// Threads: Route may be called from any thread, gRPC callback and HTTP
// threads included, and never blocks: the local decision reads only the
// node's own lease map; the owner lookup (a database read when the cached
// view is stale) runs on the router's own small pool; the waits between
// attempts are the router's DelayTimer's, holding no thread.
#ifndef SW_SERVER_CLUSTER_ROUTER_H_
#define SW_SERVER_CLUSTER_ROUTER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/blocking_pool.h"
#include "server/delay_timer.h"

namespace stepwise::server {

// The node holding a shard, as the database says.
struct ShardOwner {
  std::string node_id;
  std::string address;  // its advertise address (host:port of its gRPC)
};

// What a node knows of shard ownership (server/shard_owners.h over
// storage::ShardLeases; fakes in tests).
class ShardOwnership {
 public:
  virtual ~ShardOwnership() = default;
  virtual int shard_count() const = 0;
  // This node's id (its `nodes` row).
  virtual const std::string& node_id() const = 0;
  // True while this node holds `shard` by its own clock. Never blocks.
  virtual bool HoldsShard(int shard) const = 0;
  // The node holding `shard`, nullopt when nobody does now. `refresh`
  // re-reads the database instead of a recent cached view. May block (a
  // database read): called on the router's pool only.
  virtual absl::StatusOr<std::optional<ShardOwner>> OwnerOf(int shard, bool refresh) = 0;
};

// Runs a call here; `done` gets its status.
using RunHereFn = std::function<void(std::function<void(absl::Status)> done)>;
// Sends the call to the node at `address`; `done` gets the owner's status.
using ForwardFn =
    std::function<void(const std::string& address, std::function<void(absl::Status)> done)>;

// One call that names an execution.
struct RoutedCall {
  // The execution it acts on; "" = not known (e.g. a task token that does
  // not decode): run here, where the engine answers the error.
  std::string execution_arn;
  // The call came from another node (x-stepwise-forwarded, verified).
  bool arrived_forwarded = false;
  RunHereFn run_here;
  ForwardFn forward;
};

// The retryable ServiceUnavailable a node answers a forwarded call for a
// shard it does not hold (UNAVAILABLE; carries a marker IsShardMoved sees,
// sent over gRPC as kShardMovedMetadataKey).
absl::Status ShardMovedError(int shard, std::string_view execution_arn);
bool IsShardMoved(const absl::Status& s);
// `s` marked as ShardMovedError's (the forwarder's side of the wire).
absl::Status MarkShardMoved(absl::Status s);
inline constexpr char kShardMovedMetadataKey[] = "x-stepwise-shard-moved";

// arn:aws:states:R:A:execution:MACHINE:NAME for a StartExecution of
// `state_machine_arn` (a machine, version or alias ARN, with or without a
// mock-config `#TestCase`) named `name`; "" when the ARN is not a state
// machine's (the engine then answers the error).
std::string StartedExecutionArn(std::string_view state_machine_arn, std::string_view name);

struct ClusterRouterStats {
  uint64_t forwarded = 0;  // calls sent to another node
  uint64_t retried = 0;    // attempts made again after ownership moved
  uint64_t moved = 0;      // forwarded calls this node answered ShardMovedError
};

class ClusterRouter {
 public:
  // `ownership` must outlive the router. `settle_for`: how long a call is
  // kept while its shard has nobody running it (see the file comment); 0
  // tries once more at once, then answers.
  explicit ClusterRouter(ShardOwnership* ownership, int pool_threads = 2,
                         std::chrono::milliseconds settle_for = std::chrono::seconds(3));
  // Drops the waits still pending (their calls are not answered: the
  // server has stopped serving), runs what is queued, then joins the pool.
  ~ClusterRouter();
  ClusterRouter(const ClusterRouter&) = delete;
  ClusterRouter& operator=(const ClusterRouter&) = delete;

  // Runs `call` here or at its shard's owner (see the file comment);
  // `done` is called exactly once, from any thread.
  void Route(RoutedCall call, std::function<void(absl::Status)> done);

  // A new execution name (UUID v4), for a StartExecution without one: the
  // name must be known to find the shard before the call runs.
  std::string NewExecutionName();

  ClusterRouterStats stats() const;

 private:
  struct Routing;  // one call on its way (cluster_router.cc)

  // Runs the call here; a refusal because the shard is not running here
  // (yet) goes to Retry.
  void RunHere(std::shared_ptr<Routing> r);
  // Looks the owner up (re-reading the database after the first attempt)
  // and runs the call there or here. On the pool.
  void Attempt(std::shared_ptr<Routing> r);
  // The shard had nobody running it (`last` says how): tries again, or
  // answers `last` once the settle window is spent. Never blocks.
  void Retry(std::shared_ptr<Routing> r, absl::Status last);

  ShardOwnership* const ownership_;
  const std::chrono::milliseconds settle_for_;
  std::atomic<uint64_t> forwarded_{0}, retried_{0}, moved_{0};
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_
  DelayTimer timer_;  // stopped first, in the destructor
  // Destroyed (joined) before the timer.
  BlockingPool pool_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_CLUSTER_ROUTER_H_
