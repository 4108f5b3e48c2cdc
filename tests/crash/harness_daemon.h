// HarnessDaemon: stepwised as the crash and fault harnesses run it
// (tests/crash/daemon_crash.cc, tests/faults/daemon_faults.cc), on top of
// tests/stepwised_process.h: one fixed loopback gRPC port chosen up front,
// so that clients outlive restarts; HTTP off; log level warn; each life
// started with the STEPWISE_TEST_* hooks it is given; a client::Client once
// it listens. The store is a data directory (--data-dir) or, for the
// cluster mode of daemon_crash (cluster_nodes.h), a postgresql:// URI
// (--store). Header-only; used by the harness's main thread.
#ifndef SW_TESTS_CRASH_HARNESS_DAEMON_H_
#define SW_TESTS_CRASH_HARNESS_DAEMON_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "tests/stepwised_process.h"

namespace stepwise::crash {

// A loopback TCP port that was free a moment ago; 0 if none could be had.
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// True when something accepts connections on the loopback `port`.
inline bool PortOpen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

class HarnessDaemon : public testproc::StepwisedProcess {
 public:
  // stepwised `binary` on `store` (a data directory, or a postgresql://
  // URI), gRPC on 127.0.0.1:`port`, output appended to `log_path`; `extra`
  // flags follow the defaults.
  HarnessDaemon(std::string binary, std::string store, std::string log_path, int port,
                std::vector<std::string> extra = {})
      : StepwisedProcess(std::move(binary), std::move(log_path)),
        store_(std::move(store)),
        port_(port),
        extra_(std::move(extra)) {}

  // Starts a life with the test hooks in `env` ("STEPWISE_TEST_...=value").
  absl::Status Start(const std::vector<std::string>& env = {}) {
    const bool postgres = store_.rfind("postgresql://", 0) == 0;
    std::vector<std::string> args = {postgres ? "--store" : "--data-dir", store_,
                                     "--grpc-listen", absl::StrCat("127.0.0.1:", port_),
                                     "--http-listen", "off",
                                     "--log-level",   "warn"};
    for (const auto& a : extra_) args.push_back(a);
    if (!Spawn(args, env)) return absl::InternalError("fork failed");
    return absl::OkStatus();
  }

  // A client of this life once it listens (calls time out after 10 s; long
  // polls after `poll_timeout`, default the client's). kUnavailable when the
  // process exits first, kDeadlineExceeded when it does not listen within
  // `give_up`.
  absl::StatusOr<std::unique_ptr<client::Client>> Connect(
      std::chrono::milliseconds give_up = std::chrono::seconds(30),
      std::optional<absl::Duration> poll_timeout = std::nullopt) {
    auto until = std::chrono::steady_clock::now() + give_up;
    // A channel that fails its first connection backs off for a second or
    // more; wait for the port before making one.
    while (!PortOpen(port_)) {
      if (!Alive()) return absl::UnavailableError("stepwised exited while starting");
      if (std::chrono::steady_clock::now() > until) {
        return absl::DeadlineExceededError("stepwised did not listen in time");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    client::ClientOptions o;
    o.endpoint = absl::StrCat("127.0.0.1:", port_);
    o.timeout = absl::Seconds(10);
    if (poll_timeout) o.poll_timeout = *poll_timeout;
    absl::StatusOr<std::unique_ptr<client::Client>> c = client::Client::Connect(o);
    if (!c.ok()) return c.status();
    while (std::chrono::steady_clock::now() < until) {
      if (!Alive()) return absl::UnavailableError("stepwised exited while starting");
      if ((*c)->WaitForConnected(absl::Milliseconds(200)).ok()) return std::move(*c);
    }
    return absl::DeadlineExceededError("stepwised did not listen in time");
  }

  int port() const { return port_; }

 private:
  const std::string store_;
  const int port_;
  const std::vector<std::string> extra_;
};

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_HARNESS_DAEMON_H_
