// RuntimeApiServer: the HTTP/1.1 transport of `stepwise lambda-runtime`'s
// Runtime API (Boost.Beast, blocking, one thread per connection). The
// daemon's server/http_server.h does not fit here: its routes are exact
// paths (the Runtime API has the request id in the path), its handlers must
// not block the single I/O thread (GET /next blocks for as long as the long
// poll lasts), and cli/ does not link server/. A Lambda runtime keeps one
// or two connections, so a thread each costs nothing. Requests are read
// whole up to `max_body_bytes` (413 beyond); keep-alive is honoured; the
// handler can ask whether the runtime has hung up (RuntimeRequest::
// client_gone, Linux POLLRDHUP).
// Start/Stop from one thread; the handler is called from the connection
// threads at once.
#ifndef SW_CLIENT_RUNTIME_API_SERVER_H_
#define SW_CLIENT_RUNTIME_API_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "cli/lambda_runtime_api.h"

namespace stepwise::client {

class RuntimeApiServer {
 public:
  using Handler = std::function<RuntimeResponse(const RuntimeRequest&)>;

  explicit RuntimeApiServer(Handler handler,
                            size_t max_body_bytes = 3 * kMaxLambdaPayloadBytes);
  ~RuntimeApiServer();  // Stops.

  RuntimeApiServer(const RuntimeApiServer&) = delete;
  RuntimeApiServer& operator=(const RuntimeApiServer&) = delete;

  // Binds `host`:`port` (0 picks a free port) and starts accepting.
  // kInvalidArgument for a bad host, kUnavailable when it cannot be bound.
  absl::Status Start(const std::string& host, int port);
  int port() const { return port_; }
  // Closes the listener and every connection and joins their threads. A
  // handler still running (a /next long poll) is waited for: cancel it
  // first (LambdaRuntimeApi::CancelPolls).
  void Stop();

 private:
  struct Impl;
  struct Connection;
  void AcceptLoop();
  // Joins the threads of connections that have ended.
  void Reap();

  const Handler handler_;
  const size_t max_body_bytes_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::set<int> open_fds_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::thread accept_thread_;
};

}  // namespace stepwise::client

#endif  // SW_CLIENT_RUNTIME_API_SERVER_H_
