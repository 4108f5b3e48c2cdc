// Console: stepwised's web console on the HTTP listener. `GET /` serves the
// page (assets.h: HTML, JavaScript and CSS embedded in the binary); the page
// reads JSON from `GET /console/api/...` and starts/stops executions through
// the AWS JSON endpoint (`POST /`). Endpoints (query parameters URL-encoded):
//   session                      200 {"auth": "none"|"token"} or 401
//   machines                     state machines with executions counted by status
//   machine?arn=                 one machine, its definition and graph (SVG),
//                                its versions and aliases (versions_json.h)
//   executions?machine=&status=&prefix=&from=&to=&cursor=&limit=
//                                newest first, filtered, paged by `cursor`
//   execution?arn=               description, input/output, the graph of
//                                the revision it runs and its open tasks
//   tasks?arn=                   the open tasks of a running execution in
//                                worker queues, with "waiting for a worker of
//                                function NAME" when nobody polls
//   activities                   activities with waiting tasks and pollers,
//                                and the function queues likewise
//   express?machine= | ?arn=     recent closed Express executions (kept in
//                                memory by the express log writer), one
//                                with its logged events
//   watch?arn=&after=            server-sent events (text/event-stream): the
//                                events committed after event id `after`,
//                                fed by Engine::WatchExecution (see below)
// Graphs are laid out by Graphviz (graph.h) and cached by definition.
//
// Authentication: with bearer tokens configured every data endpoint needs
// `Authorization: Bearer <token>` (401 otherwise, AWS-shaped JSON); with
// only SigV4 keys configured the console's data stays closed (a browser
// cannot sign), with nothing configured it is open like the AWS endpoint.
// The static page itself carries no data and is always served.
//
// Watch: each `watch` request is one batch of events. It is held open until
// the execution commits events after `after` (then up to `coalesce_ms` more
// to gather a burst), the execution closes (`event: end`), `hold_ms` pass
// (an empty batch), the answer reaches max_batch_bytes (`event: more`), the
// client goes away, or Shutdown; the page then asks
// again from the last id it saw, as EventSource does with Last-Event-ID.
// No I/O thread waits: the engine calls back, and one housekeeping thread
// ends held requests on time and cancels the watches of clients that left.
// In cluster mode, an execution another node runs has no engine watch
// here: the housekeeping thread reads its events from the database every
// 250 ms (Engine::ReadHistoryTail) and answers as soon as there are some,
// so the console of any node shows any execution, live.
//
// Thread-safe. Destroy after the HTTP server has stopped and before the
// engine; call Shutdown before Engine::Shutdown.
#ifndef SW_SERVER_CONSOLE_CONSOLE_H_
#define SW_SERVER_CONSOLE_CONSOLE_H_

#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "server/express_log/recent_express_executions.h"
#include "server/http_server.h"
#include "server/states_service.h"

namespace stepwise::server::console {

struct ConsoleOptions {
  // Bearer tokens; non-empty: every data endpoint needs one.
  std::vector<std::string> tokens;
  // SigV4 access keys are configured (without tokens the console's data
  // endpoints then refuse every request).
  bool aws_keys_configured = false;
  int pool_threads = 2;
  // Longest a watch request is held without events.
  int hold_ms = 15000;
  // How long a watch keeps gathering after its first event.
  int coalesce_ms = 100;
  // A watch answer stops after the event that takes it past this size and
  // says `event: more` (the page asks again at once).
  size_t max_batch_bytes = size_t{8} << 20;
  // Executions examined at most per machine when counting by status.
  int max_counted_executions = 10000;
  // Recent closed Express executions (the express log writer's ring; must
  // outlive the console). Null: the `express` endpoint lists none.
  const express_log::RecentExpressExecutions* recent_express = nullptr;
};

class Console {
 public:
  // `engine` must outlive this object.
  Console(engine::Engine* engine, ConsoleOptions options = {});
  // Shuts down, then joins the housekeeping thread and the pool.
  ~Console();

  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Registers `GET /`, the assets and the API on `http` (before it starts).
  void Register(HttpServer* http);

  // Answers every held watch request at once (an empty batch telling the
  // page the server is going away) and refuses new ones with 503.
  void Shutdown();

  // Answers one console request (`reply` exactly once, maybe later from
  // another thread). Exposed for tests.
  void Handle(const HttpRequest& request, HttpReplyFn reply);

 private:
  struct Watch;

  // OK, or the AWS-shaped error for an unauthenticated request.
  absl::Status Authenticate(const HttpRequest& request) const;
  void StartWatch(const HttpRequest& request, HttpReplyFn reply);
  // Replies to `w` (once) with its gathered events and cancels its watch.
  void Finish(const std::shared_ptr<Watch>& w, bool shutting_down);
  // Replies to `w` (if not yet answered) with `error`, AWS-shaped, and
  // drops it.
  void Fail(const std::shared_ptr<Watch>& w, const absl::Status& error);
  // One read of the store for a watch of an execution another node runs:
  // answers it when there are events or the execution closed. On the
  // housekeeping thread (it blocks on the store).
  void ReadFromStore(const std::shared_ptr<Watch>& w);
  void Housekeeping();
  absl::StatusOr<std::string> GraphJson(const std::string& definition);

  engine::Engine* const engine_;
  const ConsoleOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;                      // guarded by mu_
  bool kicked_ = false;  // a watch's deadline moved; guarded by mu_
  std::list<std::shared_ptr<Watch>> watches_;  // held requests; guarded by mu_
  std::map<std::string, std::string> graph_cache_;  // definition → JSON; guarded by mu_

  std::thread housekeeper_;
  // Last member: destroyed (joined) first.
  BlockingPool pool_;
};

}  // namespace stepwise::server::console

#endif  // SW_SERVER_CONSOLE_CONSOLE_H_
