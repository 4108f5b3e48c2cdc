#include "cli/lambda_runtime.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/cli_remote.h"
#include "cli/runtime_api_server.h"
#include "cli/subprocess.h"

namespace stepwise::client {
namespace {

constexpr char kLog[] = "stepwise lambda-runtime: ";
// Without COMMAND the Runtime API listens where AWS's runtime emulator does.
constexpr char kDefaultListen[] = "127.0.0.1:9001";
constexpr char kDefaultListenForCopies[] = "127.0.0.1:0";
// A copy that lived less than this before exiting counts as failing fast:
// its next start waits, 250 ms doubling up to 10 s.
constexpr absl::Duration kFastExit = absl::Seconds(10);
constexpr absl::Duration kMaxRestartDelay = absl::Seconds(10);
constexpr absl::Duration kTerminateGrace = absl::Seconds(5);

// One write per line, so that lines from several threads do not mix.
void Log(const std::string& message) { std::cerr << (kLog + message + "\n") << std::flush; }

std::string Describe(const absl::Status& s) {
  std::string name = AwsErrorName(s);
  if (name.empty()) name = absl::StatusCodeToString(s.code());
  return name + (s.message().empty() ? "" : ": " + std::string(s.message()));
}

// Splits "HOST:PORT" ("[::1]:9001" for IPv6).
absl::Status ParseListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  int p = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError("--listen needs HOST:PORT, not '" + listen + "'");
  }
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  *port = p;
  return absl::OkStatus();
}

// The address a runtime on this host uses to reach `host`:`port`.
std::string RuntimeApiAddress(const std::string& host, int port) {
  std::string h = host;
  if (h == "0.0.0.0") h = "127.0.0.1";
  if (h == "::") h = "::1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return absl::StrCat(h, ":", port);
}

std::string RandomHex(size_t digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out.push_back(kHex[rng() % 16]);
  return out;
}

// One Runtime API endpoint and, with COMMAND, the copy of the runtime that
// uses it.
struct Copy {
  int index = 0;
  std::unique_ptr<LambdaRuntimeApi> api;
  std::unique_ptr<RuntimeApiServer> server;
  std::string address;
  std::thread supervisor;
  std::mutex mu;
  pid_t pid = 0;                                 // running process, or 0
  std::unique_ptr<CallCanceller> init_poll;      // see FailNextWithInitError
};

class Runtime {
 public:
  Runtime(ClientFunctionTaskSource* source, std::string function_name,
          std::vector<std::string> command, int memory_mb)
      : source_(source),
        function_name_(std::move(function_name)),
        command_(std::move(command)),
        memory_mb_(memory_mb) {}

  // Starts `n` endpoints on `host` (ports `port`+i, or free ones for 0).
  absl::Status StartEndpoints(const std::string& host, int port, int n) {
    for (int i = 0; i < n; ++i) {
      auto c = std::make_unique<Copy>();
      c->index = i;
      c->api = std::make_unique<LambdaRuntimeApi>(source_);
      LambdaRuntimeApi* api = c->api.get();
      c->server = std::make_unique<RuntimeApiServer>(
          [api](const RuntimeRequest& r) { return api->Handle(r); });
      if (absl::Status s = c->server->Start(host, port == 0 ? 0 : port + i); !s.ok()) return s;
      c->address = RuntimeApiAddress(host, c->server->port());
      copies_.push_back(std::move(c));
    }
    return absl::OkStatus();
  }

  const std::vector<std::unique_ptr<Copy>>& copies() const { return copies_; }

  void StartCopies() {
    for (auto& c : copies_) {
      Copy* copy = c.get();
      copy->supervisor = std::thread([this, copy] { Supervise(copy); });
    }
  }

  bool fatal() const { return fatal_.load(); }

  // Stops handing out invocations (a /next waiting is answered 500).
  void StopPolling() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& c : copies_) {
      {
        std::lock_guard<std::mutex> lock(c->mu);
        if (c->init_poll) c->init_poll->Cancel();
      }
      c->api->CancelPolls();
    }
  }

  size_t InFlight() const {
    size_t n = 0;
    for (const auto& c : copies_) n += c->api->in_flight();
    return n;
  }

  // Sends `sig` to every copy's process group.
  void SignalCopies(int sig) {
    for (auto& c : copies_) {
      std::lock_guard<std::mutex> lock(c->mu);
      if (c->pid > 0) ::kill(-c->pid, sig);
    }
  }

  bool CopiesRunning() {
    for (auto& c : copies_) {
      std::lock_guard<std::mutex> lock(c->mu);
      if (c->pid > 0) return true;
    }
    return false;
  }

  // Joins the supervisors, stops the servers and fails what is left.
  void Finish() {
    for (auto& c : copies_) {
      if (c->supervisor.joinable()) c->supervisor.join();
    }
    for (auto& c : copies_) {
      c->api->CancelPolls();
      c->server->Stop();
      int failed = c->api->FailInFlight("Runtime exited with error: signal: terminated");
      if (failed > 0) Log(absl::StrCat("failed ", failed, " invocation(s) still running"));
    }
  }

 private:
  void Supervise(Copy* copy) {
    bool ever_started = false;
    int fast_exits = 0;
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
      }
      std::vector<std::string> env = LambdaEnvironment(
          function_name_, copy->address, memory_mb_, std::filesystem::current_path().string(),
          absl::Now());
      for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        const char* v = std::getenv(var);
        env.push_back(absl::StrCat(var, "=", v != nullptr && *v != '\0' ? v : "us-east-1"));
      }
      absl::StatusOr<pid_t> pid;
      {
        std::lock_guard<std::mutex> lock(copy->mu);
        pid = StartProcess(command_, env);
        if (pid.ok()) copy->pid = *pid;
      }
      if (!pid.ok()) {
        Log(std::string(pid.status().message()));
        if (!ever_started) {
          // The command cannot run at all: stop (main waits in sigwait).
          fatal_.store(true);
          ::kill(::getpid(), SIGTERM);
          return;
        }
        Pause(kMaxRestartDelay);
        continue;
      }
      ever_started = true;
      absl::Time started = absl::Now();
      int status = 0;
      while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
      }
      {
        std::lock_guard<std::mutex> lock(copy->mu);
        copy->pid = 0;
      }
      std::string reason = ExitReason(status);
      // No /next of the dead process may hand out anything any more; what
      // it was running fails as AWS fails it.
      copy->api->CancelPolls();
      int failed = copy->api->FailInFlight(reason);
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping = stopping_;
      }
      if (failed > 0 || !stopping) {
        Log(absl::StrCat("runtime ", copy->index, " (pid ", *pid, ") ended: ", reason,
                         failed > 0 ? absl::StrCat("; failed ", failed, " invocation(s)") : "",
                         stopping ? "" : "; starting it again"));
      }
      if (stopping) return;
      std::optional<InitError> init_error = copy->api->TakeInitError();
      if (init_error) FailNextWithInitError(copy, *init_error);
      copy->api->Resume();
      fast_exits = absl::Now() - started < kFastExit ? fast_exits + 1 : 0;
      if (fast_exits > 0 && !init_error) {
        Pause(std::min(absl::Milliseconds(250) * (1 << std::min(fast_exits - 1, 6)),
                       kMaxRestartDelay));
      }
    }
  }

  // A runtime that failed to start: as in AWS, the invocation it would have
  // run fails with its init error (e.g. Runtime.ImportModuleError).
  void FailNextWithInitError(Copy* copy, const InitError& e) {
    while (true) {
      CallCanceller* canceller;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        std::lock_guard<std::mutex> copy_lock(copy->mu);
        copy->init_poll = std::make_unique<CallCanceller>();
        canceller = copy->init_poll.get();
      }
      absl::StatusOr<v1::GetFunctionTaskResponse> task = source_->Poll(canceller);
      if (task.ok() && !task->task_token().empty()) {
        absl::Status s = source_->Fail(task->task_token(), e.error_type, e.body);
        if (!s.ok()) Log("SendTaskFailure failed: " + std::string(s.message()));
        return;
      }
      if (canceller->cancelled()) return;
      if (!task.ok() && task.status().code() != absl::StatusCode::kDeadlineExceeded) {
        Log("GetFunctionTask failed: " + Describe(task.status()));
        Pause(absl::Seconds(1));
      }
    }
  }

  // Sleeps `d` or until stopping.
  void Pause(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(d), [this] { return stopping_; });
  }

  ClientFunctionTaskSource* const source_;
  const std::string function_name_;
  const std::vector<std::string> command_;
  const int memory_mb_;
  std::vector<std::unique_ptr<Copy>> copies_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> fatal_{false};
};

// Waits up to `d` for one of `signals`; true when one came.
bool SignalWithin(const sigset_t& signals, absl::Duration d) {
  timespec ts = absl::ToTimespec(d);
  siginfo_t info;
  return sigtimedwait(&signals, &info, &ts) > 0;
}

}  // namespace

ClientFunctionTaskSource::ClientFunctionTaskSource(Client* client, std::string function_name,
                                                   std::string worker_name,
                                                   absl::Duration heartbeat_interval)
    : client_(client),
      function_name_(std::move(function_name)),
      worker_name_(std::move(worker_name)),
      heartbeats_(client, heartbeat_interval, [](const absl::Status& s) {
        Log("SendTaskHeartbeat failed: " + Describe(s));
      }) {}

absl::StatusOr<v1::GetFunctionTaskResponse> ClientFunctionTaskSource::Poll(
    CallCanceller* canceller) {
  v1::GetFunctionTaskRequest request;
  request.set_function_name(function_name_);
  request.set_worker_name(worker_name_);
  return client_->GetFunctionTask(request, canceller);
}

absl::Status ClientFunctionTaskSource::Succeed(const std::string& token,
                                               const std::string& output) {
  v1::SendTaskSuccessRequest request;
  request.set_task_token(token);
  request.set_output(output);
  return client_->SendTaskSuccess(request);
}

absl::Status ClientFunctionTaskSource::Fail(const std::string& token, const std::string& error,
                                            const std::string& cause) {
  v1::SendTaskFailureRequest request;
  request.set_task_token(token);
  request.set_error(error);
  request.set_cause(cause);
  return client_->SendTaskFailure(request);
}

void ClientFunctionTaskSource::StartHeartbeats(const std::string& token, absl::Time until) {
  heartbeats_.Add(token, until);
}

void ClientFunctionTaskSource::StopHeartbeats(const std::string& token) {
  heartbeats_.Remove(token);
}

std::string ExitReason(int wait_status) {
  if (WIFEXITED(wait_status)) {
    if (WEXITSTATUS(wait_status) == 0) return "Runtime exited without providing a reason";
    return absl::StrCat("Runtime exited with error: exit status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    const char* name = strsignal(WTERMSIG(wait_status));
    return absl::StrCat("Runtime exited with error: signal: ",
                        absl::AsciiStrToLower(name != nullptr ? name : "unknown"));
  }
  return "Runtime exited without providing a reason";
}

std::vector<std::string> LambdaEnvironment(const std::string& function_name,
                                           const std::string& runtime_api, int memory_mb,
                                           const std::string& task_root, absl::Time now) {
  std::string date = absl::FormatTime("%Y/%m/%d", now, absl::UTCTimeZone());
  return {
      "AWS_LAMBDA_RUNTIME_API=" + runtime_api,
      "AWS_LAMBDA_FUNCTION_NAME=" + function_name,
      "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
      absl::StrCat("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=", memory_mb),
      "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + function_name,
      absl::StrCat("AWS_LAMBDA_LOG_STREAM_NAME=", date, "/[$LATEST]", RandomHex(32)),
      "LAMBDA_TASK_ROOT=" + task_root,
  };
}

int LambdaRuntimeCommand(const RemoteArgs& a, Client& c, const sigset_t& signals) {
  absl::StatusOr<std::string> function = FunctionNameFromArg(a.Get("function"));
  if (!function.ok()) {
    std::cerr << "stepwise: " << function.status().message() << "\n";
    return kExitUsage;
  }
  bool with_copies = !a.command_line.empty();
  std::string host;
  int port = 0;
  if (absl::Status s = ParseListen(
          a.Get("listen", with_copies ? kDefaultListenForCopies : kDefaultListen), &host, &port);
      !s.ok()) {
    std::cerr << "stepwise: " << s.message() << "\n";
    return kExitUsage;
  }
  char hostname[256] = {0};
  gethostname(hostname, sizeof(hostname) - 1);
  std::string worker_name =
      a.Get("name", std::string(hostname) + ":" + std::to_string(getpid()));
  ClientFunctionTaskSource source(&c, *function, worker_name,
                                  absl::Seconds(a.GetDouble("heartbeat-seconds", 10)));
  int n = with_copies ? static_cast<int>(a.GetInt("concurrency", 1)) : 1;
  Runtime runtime(&source, *function, a.command_line,
                  static_cast<int>(a.GetInt("memory-mb", 128)));
  if (absl::Status s = runtime.StartEndpoints(host, port, n); !s.ok()) {
    std::cerr << "stepwise: " << s.message() << "\n";
    return kExitCallFailed;
  }
  if (with_copies) {
    std::string addresses;
    for (const auto& copy : runtime.copies()) {
      absl::StrAppend(&addresses, addresses.empty() ? "" : ", ", copy->address);
    }
    Log(absl::StrCat("function ", *function, ": ", n, " runtime(s), Runtime API on ", addresses,
                     "; Ctrl-C stops"));
    runtime.StartCopies();
  } else {
    Log(absl::StrCat("function ", *function, ": Runtime API on ",
                     runtime.copies()[0]->address,
                     " (AWS_LAMBDA_RUNTIME_API for the runtimes); Ctrl-C stops"));
  }
  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  if (runtime.fatal()) {
    runtime.StopPolling();
    runtime.Finish();
    return kExitCallFailed;
  }
  Log(absl::StrCat("stopping (signal ", sig,
                   "): invocations in flight finish, a second signal ends them now"));
  runtime.StopPolling();
  bool second = false;
  while (runtime.InFlight() > 0 && !second) {
    second = SignalWithin(signals, absl::Milliseconds(100));
  }
  if (with_copies) {
    runtime.SignalCopies(SIGTERM);
    absl::Time give_up = absl::Now() + kTerminateGrace;
    while (runtime.CopiesRunning() && absl::Now() < give_up && !second) {
      second = SignalWithin(signals, absl::Milliseconds(100));
    }
    runtime.SignalCopies(SIGKILL);
  }
  runtime.Finish();
  Log("stopped");
  return kExitOk;
}

}  // namespace stepwise::client
