// The real stepwised as a child process. StepwisedProcess spawns it with
// given flags and environment, waits for it and stops it by signal with its
// exit code; the crash and fault harnesses (tests/crash/harness_daemon.h)
// build on it. Daemon, for tests that drive the daemon over loopback
// (tests/integration, tests/hostile), spawns it with --grpc-listen/
// --http-listen 127.0.0.1:0 and --ports-file, its output in a log file of
// its own temporary directory, and gives a stepwise.v1.States stub once it
// listens. Also the temporary directories and file reading those tests
// share. Header-only; each StepwisedProcess or Daemon is used by one thread
// at a time.
#ifndef SW_TESTS_STEPWISED_PROCESS_H_
#define SW_TESTS_STEPWISED_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"

namespace stepwise::testproc {

// Removes `dir` when the test process exits: a daemon's data directory
// under test runs to gigabytes, and hundreds of runs filled the disk.
// STEPWISE_KEEP_TEST_DIRS=1 keeps them (to look at a failure).
inline void RemoveAtExit(const std::string& dir) {
  static std::mutex* mu = new std::mutex();
  static std::vector<std::string>* dirs = new std::vector<std::string>();
  std::lock_guard<std::mutex> l(*mu);
  if (dirs->empty()) {
    std::atexit([] {
      if (const char* keep = std::getenv("STEPWISE_KEEP_TEST_DIRS"); keep && *keep == '1') return;
      for (const std::string& d : *dirs) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
      }
    });
  }
  dirs->push_back(dir);
}

// A new directory under the test's temporary directory, removed at exit.
inline std::string MakeTempDir(const std::string& prefix = "stepwised") {
  std::string tmpl = ::testing::TempDir() + "/" + prefix + "_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* dir = mkdtemp(buf.data());
  EXPECT_NE(dir, nullptr);
  if (dir == nullptr) return "";
  RemoveAtExit(dir);
  return std::string(dir);
}

// The whole file, or "" when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Exit code of a waited child: the code, or 128 + signal.
inline int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// One stepwised child process, with no opinion on its flags: spawned with
// the arguments given, its output appended to `log_path`, waited for and
// stopped by signal. Daemon below and the crash and fault harnesses
// (tests/crash/harness_daemon.h) build on it. Used by one thread at a time.
class StepwisedProcess {
 public:
  StepwisedProcess(std::string binary, std::string log_path)
      : binary_(std::move(binary)), log_path_(std::move(log_path)) {}
  ~StepwisedProcess() { Kill(); }
  StepwisedProcess(const StepwisedProcess&) = delete;
  StepwisedProcess& operator=(const StepwisedProcess&) = delete;

  // Spawns the binary with `args`, in the inherited environment without its
  // STEPWISE_TEST_* variables (test hooks are only ever set on purpose)
  // plus `env` ("NAME=value" each). Everything the child needs is built
  // before fork: between fork and exec only async-signal-safe calls, as the
  // caller may run other threads. False when fork fails.
  bool Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {binary_};
    for (const auto& a : args) argv.push_back(a);
    std::vector<std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).rfind("STEPWISE_TEST_", 0) != 0) vars.emplace_back(*e);
    }
    for (const auto& v : env) vars.push_back(v);
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& v : vars) cenv.push_back(v.data());
    cenv.push_back(nullptr);
    const char* log = log_path_.c_str();
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execve(cargv[0], cargv.data(), cenv.data());
      _exit(127);
    }
    pid_ = pid;
    return true;
  }

  // True while the process has not exited; reaps it (keeping its exit code)
  // once it has.
  bool Alive() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = ExitCodeOf(st);
      return false;
    }
    return true;
  }

  // Waits up to `timeout` for the process to exit; its exit code
  // (ExitCodeOf), or -1 on timeout.
  int WaitExit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Alive()) return exit_code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  // Sends `sig` and waits (up to `timeout`) for the exit code (ExitCodeOf;
  // -1 on timeout). When it is not running: the last exit code.
  int Stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, sig);
    return WaitExit(timeout);
  }

  // SIGKILL, and waits for it to be gone.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
    exit_code_ = ExitCodeOf(st);
  }

  // The exit code of the last life that ended (ExitCodeOf: 128 + signal for
  // a signal), -1 before any.
  int exit_code() const { return exit_code_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return ReadFile(log_path_); }

 private:
  const std::string binary_, log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

#ifdef STEPWISED_PATH
// One stepwised child process (STEPWISED_PATH, set by the test's CMake) on
// ephemeral ports, with a stepwise.v1.States stub once it listens.
class Daemon {
 public:
  // `extra` flags follow the defaults (data directory, ephemeral ports).
  explicit Daemon(std::string data_dir, std::vector<std::string> extra = {})
      : data_dir_(std::move(data_dir)),
        extra_(std::move(extra)),
        work_dir_(MakeTempDir("stepwised")),
        ports_path_(work_dir_ + "/ports"),
        process_(STEPWISED_PATH, work_dir_ + "/stepwised.log") {}
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Spawns the daemon with exactly `args` (no defaults).
  void Spawn(const std::vector<std::string>& args) {
    unlink(ports_path_.c_str());
    process_.Spawn(args);
  }

  // The data directory (or --store for a postgresql:// URI), ephemeral
  // loopback ports and the ports file, then `extra`.
  std::vector<std::string> DefaultArgs() const {
    // A postgresql:// URI for a data directory means the PostgreSQL store.
    const bool postgres = data_dir_.rfind("postgresql://", 0) == 0;
    std::vector<std::string> args = {postgres ? "--store" : "--data-dir", data_dir_,
                                     "--grpc-listen", "127.0.0.1:0",
                                     "--http-listen", "127.0.0.1:0", "--ports-file", ports_path_};
    for (const auto& a : extra_) args.push_back(a);
    return args;
  }

  // Starts with DefaultArgs() and waits until it listens, then connects
  // with `creds` (plaintext when null; messages up to 64 MiB each way, so
  // the server's own limits are what is tested). False if it exited or
  // took more than 60 s.
  bool Start(std::shared_ptr<grpc::ChannelCredentials> creds = nullptr) {
    Spawn(DefaultArgs());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string ports = ReadFile(ports_path_);
      if (ports.find("http=") != std::string::npos) {
        std::sscanf(ports.c_str(), "grpc=%d\nhttp=%d", &grpc_port_, &http_port_);
        grpc::ChannelArguments args;
        args.SetMaxSendMessageSize(64 << 20);
        args.SetMaxReceiveMessageSize(64 << 20);
        if (creds == nullptr) creds = grpc::InsecureChannelCredentials();
        channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(grpc_port_), creds,
                                             args);
        stub_ = v1::States::NewStub(channel_);
        return true;
      }
      if (!process_.Alive()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Sends `sig` and waits (up to 60 s) for the exit code (ExitCodeOf; -1
  // on timeout).
  int Stop(int sig = SIGTERM) { return process_.Stop(sig); }

  // Waits up to `timeout` for the process to exit; its exit code, or -1.
  int WaitExit(std::chrono::seconds timeout) { return process_.WaitExit(timeout); }

  // True while the process has not exited.
  bool Alive() { return process_.Alive(); }

  v1::States::Stub* stub() { return stub_.get(); }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  int exit_code() const { return process_.exit_code(); }
  pid_t pid() const { return process_.pid(); }
  std::string log() const { return process_.log(); }
  const std::string& work_dir() const { return work_dir_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  const std::string data_dir_;
  const std::vector<std::string> extra_;
  const std::string work_dir_, ports_path_;
  StepwisedProcess process_;
  int grpc_port_ = 0, http_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::States::Stub> stub_;
};
#endif  // STEPWISED_PATH

}  // namespace stepwise::testproc

#endif  // SW_TESTS_STEPWISED_PROCESS_H_
