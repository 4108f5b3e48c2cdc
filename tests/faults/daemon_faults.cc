// daemon_faults: storage faults on the real daemon (issue 6, section 2).
//
//   daemon_faults --stepwised PATH --dir DIR --mode fsync
//     stepwised runs with STEPWISE_TEST_FAIL_SYNC_AFTER (its RocksDB file
//     syncs start failing after N); the client starts executions until one
//     fails. The failure must reach the caller as ServiceUnavailable naming
//     the cause, stepwised must exit with code 3 after exactly one log line
//     naming it (fail-stop), and after a restart without the hook every
//     acknowledged execution exists and completes, with a gap-free history
//     that replays to the stored state.
//
//   daemon_faults --stepwised PATH --dir DIR --mode full-disk
//     The data directory lives on a small tmpfs mounted for the test; a
//     filler file takes the free space and executions with large inputs
//     are started until the disk is full (below the 64 MiB stepwised keeps
//     free). The caller gets ServiceUnavailable naming "no space left on
//     device", stepwised stops (fail-stop), a restart while the disk is
//     still full refuses with one clear line; once the filler is removed a
//     restart recovers,
//     every acknowledged execution is there and completes, and the stored
//     data replays (no corruption). Needs root (mount); otherwise it exits
//     77 (ctest SKIP) saying why.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "common/json.h"
#include "common/strings.h"
#include "asl/definition.h"
#include "engine/execution_codec.h"
#include "storage/rocks_store.h"
#include "tests/crash/harness_daemon.h"
#include "tests/crash/replay.h"

namespace stepwise::faults {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::stepwise::v1;
using client::Client;

constexpr int kSkip = 77;
constexpr char kPrefix[] = "arn:aws:states:us-east-1:123456789012:";
constexpr char kDefinition[] = R"({"StartAt":"A","States":{
  "A":{"Type":"Pass","Parameters":{"n.$":"$.n"},"ResultPath":"$.a","Next":"W"},
  "W":{"Type":"Wait","Seconds":1,"Next":"B"},
  "B":{"Type":"Pass","Result":"done","ResultPath":"$.b","End":true}}})";

int failures = 0;
void Expect(bool ok, const std::string& what) {
  if (ok) {
    std::printf("ok: %s\n", what.c_str());
  } else {
    ++failures;
    std::printf("FAIL: %s\n", what.c_str());
  }
  std::fflush(stdout);
}

std::string MachineArn() { return absl::StrCat(kPrefix, "stateMachine:faults"); }
std::string ExecArn(const std::string& name) {
  return absl::StrCat(kPrefix, "execution:faults:", name);
}

// Starts a life of `d` with the test hooks in `env` and returns a client
// once it listens; nullptr if it could not be started, exited first or did
// not listen within 30 s.
std::unique_ptr<Client> StartAndConnect(crash::HarnessDaemon& d,
                                        const std::vector<std::string>& env = {}) {
  if (!d.Start(env).ok()) return nullptr;
  auto c = d.Connect();
  return c.ok() ? std::move(*c) : nullptr;
}

bool Setup(Client& c) {
  v1::CreateStateMachineRequest r;
  r.set_name("faults");
  r.set_definition(kDefinition);
  r.set_role_arn("arn:aws:iam::123456789012:role/faults");
  auto m = c.CreateStateMachine(r);
  if (!m.ok()) std::printf("create state machine: %s\n", m.status().ToString().c_str());
  return m.ok();
}

// Starts executions named prefix-0, prefix-1, ... with `pad` bytes of
// padding in the input until one fails or `max` are started. Returns the
// failure (OK if none) and appends the acknowledged names.
absl::Status StartUntilFailure(Client& c, const std::string& prefix, size_t pad, int max,
                               std::vector<std::string>* acked) {
  std::string padding(pad, 'x');
  for (int i = 0; i < max; ++i) {
    v1::StartExecutionRequest r;
    r.set_state_machine_arn(MachineArn());
    r.set_name(absl::StrCat(prefix, "-", i));
    r.set_input(absl::StrCat(R"({"n":)", i, R"(,"pad":")", padding, R"("})"));
    auto s = c.StartExecution(r);
    if (!s.ok()) return s.status();
    acked->push_back(r.name());
  }
  return absl::OkStatus();
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
  return n;
}

// Every acknowledged execution exists and SUCCEEDS on the running daemon.
void CheckAcked(Client& c, const std::vector<std::string>& acked, const std::string& when) {
  int missing = 0, unfinished = 0;
  for (const std::string& name : acked) {
    std::string status;
    for (int k = 0; k < 200; ++k) {
      v1::DescribeExecutionRequest r;
      r.set_execution_arn(ExecArn(name));
      auto d = c.DescribeExecution(r);
      if (!d.ok()) {
        status = d.status().ToString();
        break;
      }
      status = d->status();
      if (status != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (status.find("ExecutionDoesNotExist") != std::string::npos ||
        status.find("does not exist") != std::string::npos) {
      ++missing;
    } else if (status != "SUCCEEDED") {
      ++unfinished;
      std::printf("  %s: %s\n", name.c_str(), status.c_str());
    }
  }
  Expect(missing == 0, absl::StrCat(when, ": all ", acked.size(),
                                    " acknowledged executions exist (", missing, " missing)"));
  Expect(unfinished == 0, absl::StrCat(when, ": all of them SUCCEEDED (", unfinished,
                                       " did not)"));
}

// Opens the stopped daemon's data directory and checks every execution:
// gap-free history, replay equal to the stored state.
void CheckStore(const std::string& data_dir) {
  auto store = storage::RocksStore::Open(data_dir, storage::RocksOptions{});
  Expect(store.ok(), "the data directory opens: " +
                         (store.ok() ? std::string("yes") : store.status().ToString()));
  if (!store.ok()) return;
  auto def = ParseJson(kDefinition);
  auto machine = asl::ParseStateMachine(*def);
  storage::ScanOptions all;
  auto rows = (*store)->Scan(storage::Table::kExecutions, all);
  Expect(rows.ok(), "executions table scans");
  if (!rows.ok()) return;
  int bad = 0, checked = 0;
  for (const auto& kv : *rows) {
    auto v = (*store)->GetExecution(kv.key);
    if (!v.ok() || !v->has_value()) {
      ++bad;
      continue;
    }
    auto rec = ParseJson((*v)->value);
    auto chunks = (*store)->ReadHistory(kv.key, 1, 0);
    if (!rec.ok() || !chunks.ok()) {
      ++bad;
      continue;
    }
    std::vector<engine::HistoryEvent> events;
    bool ok = true;
    for (const auto& ch : *chunks) {
      auto evs = engine::DecodeHistoryChunk(ch.value);
      if (!evs.ok()) {
        ok = false;
        break;
      }
      for (auto& e : *evs) events.push_back(std::move(e));
    }
    for (size_t k = 0; ok && k < events.size(); ++k) ok = events[k].id == static_cast<int64_t>(k) + 1;
    absl::Status r = ok ? crash::ReplayHistory(*machine, events, rec->as_object().at("state"),
                                               crash::ReplayOptions{})
                        : absl::DataLossError("history ids not 1..N");
    if (!r.ok()) {
      if (bad < 5) std::printf("  %s: %s\n", kv.key.c_str(), std::string(r.message()).c_str());
      ++bad;
    }
    ++checked;
  }
  Expect(bad == 0 && checked > 0,
         absl::StrCat("stored data: ", checked, " executions, gap-free histories replaying to "
                      "the stored state (", bad, " bad)"));
}

int RunFsync(const std::string& stepwised, const std::string& dir) {
  std::string data = dir + "/data";
  int port = crash::FreePort();
  crash::HarnessDaemon d(stepwised, data, dir + "/stepwised-1.log", port);
  // Opening the store and the setup take a few dozen syncs; then about one
  // per StartExecution.
  auto c = StartAndConnect(d, {"STEPWISE_TEST_FAIL_SYNC_AFTER=120"});
  if (!c) {
    std::printf("stepwised did not start:\n%s\n", d.log().c_str());
    return 1;
  }
  if (!Setup(*c)) return 1;
  std::vector<std::string> acked;
  absl::Status s = StartUntilFailure(*c, "f", 10, 1000, &acked);
  std::printf("%zu starts acknowledged; then: %s\n", acked.size(), s.ToString().c_str());
  Expect(!s.ok(), "a start fails once fsync fails");
  Expect(client::AwsErrorName(s) == "ServiceUnavailable" &&
             s.code() == absl::StatusCode::kUnavailable,
         "the caller is told ServiceUnavailable (" + client::AwsErrorName(s) + ")");
  Expect(s.message().find("injected fsync failure") != std::string::npos &&
             s.message().find("cannot persist") != std::string::npos,
         "its message names the cause: " + std::string(s.message()));
  int code = d.WaitExit(std::chrono::seconds(10));
  Expect(code == 3, absl::StrCat("stepwised exits with code 3 (fail-stop): ", code));
  std::string log = d.log();
  Expect(CountLines(log, "storage failure") == 1 &&
             CountLines(log, "injected fsync failure") == 1,
         "exactly one log line names the failure:\n" + log);
  c.reset();

  crash::HarnessDaemon again(stepwised, data, dir + "/stepwised-2.log", port);
  auto c2 = StartAndConnect(again);
  Expect(c2 != nullptr, "stepwised restarts on the same directory");
  if (!c2) return 1;
  CheckAcked(*c2, acked, "after restart");
  c2.reset();
  Expect(again.Stop() == 0, "stepwised stops cleanly");
  CheckStore(data);
  return failures == 0 ? 0 : 1;
}

int RunFullDisk(const std::string& stepwised, const std::string& dir) {
  if (::geteuid() != 0) {
    std::printf("SKIP: mounting a small tmpfs needs root (running as uid %d)\n", ::geteuid());
    return kSkip;
  }
  std::string mnt = dir + "/mnt";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=256m") != 0) {
    std::printf("SKIP: cannot mount a tmpfs on %s: %s\n", mnt.c_str(), std::strerror(errno));
    return kSkip;
  }
  struct Unmount {
    std::string m;
    ~Unmount() { ::umount2(m.c_str(), MNT_DETACH); }
  } unmount{mnt};
  std::string data = mnt + "/data";
  int port = crash::FreePort();
  crash::HarnessDaemon d(stepwised, data, dir + "/stepwised-1.log", port);
  auto c = StartAndConnect(d);
  if (!c) {
    std::printf("stepwised did not start:\n%s\n", d.log().c_str());
    return 1;
  }
  if (!Setup(*c)) return 1;
  std::vector<std::string> acked;
  absl::Status s = StartUntilFailure(*c, "before", 10, 20, &acked);
  Expect(s.ok(), "20 starts before the disk fills");

  // Take the free space but 8 MiB above the 64 MiB stepwised keeps free
  // (RocksOptions::min_free_bytes), then write large executions until the
  // disk is "full".
  std::string filler = mnt + "/filler";
  auto fill_until = [&](uint64_t left) {
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::string chunk(1 << 20, 'f');
    while (fs::space(mnt).available > left) {
      if (::write(fd, chunk.data(), chunk.size()) <= 0) break;
    }
    ::fsync(fd);
    ::close(fd);
  };
  fill_until(uint64_t{72} << 20);
  std::printf("disk filled: %llu bytes left\n",
              static_cast<unsigned long long>(fs::space(mnt).available));
  s = StartUntilFailure(*c, "big", 200 * 1024, 2000, &acked);
  std::printf("%zu starts acknowledged in all; then: %s\n", acked.size(), s.ToString().c_str());
  Expect(!s.ok(), "a start fails once the disk is full");
  std::string name = client::AwsErrorName(s);
  Expect(name == "ServiceUnavailable", "the caller is told ServiceUnavailable (" + name + ")");
  Expect(s.message().find("no space left on device") != std::string::npos,
         "its message names the cause: " + std::string(s.message()));
  int code = d.WaitExit(std::chrono::seconds(10));
  Expect(code == 3, absl::StrCat("stepwised stops with code 3 (fail-stop): ", code));
  std::string log = d.log();
  Expect(CountLines(log, "storage failure") == 1, "one log line names the failure:\n" + log);
  c.reset();
  if (code == -1) d.Kill();

  // Restarted while the disk is still full (what RocksDB released at exit,
  // e.g. preallocated WAL space, is taken again): a clear refusal, not a
  // crash.
  fill_until(uint64_t{32} << 20);
  crash::HarnessDaemon full(stepwised, data, dir + "/stepwised-2.log", port);
  auto cf = StartAndConnect(full);
  Expect(cf == nullptr, "stepwised does not come up on the full disk");
  if (cf == nullptr) {
    int rc = full.WaitExit(std::chrono::seconds(10));
    std::string l = full.log();
    Expect(rc == 1 && CountLines(l, "stepwised: error:") == 1 &&
               CountLines(l, "no space left on device") == 1,
           absl::StrCat("it refuses with one line naming the cause (exit ", rc, "):\n", l));
  } else {
    cf.reset();
    full.Stop();
  }

  // Space freed: the daemon recovers with nothing acknowledged lost.
  fs::remove(filler);
  crash::HarnessDaemon again(stepwised, data, dir + "/stepwised-3.log", port);
  auto c2 = StartAndConnect(again);
  Expect(c2 != nullptr, "stepwised restarts once space is freed");
  if (!c2) {
    std::printf("%s\n", again.log().c_str());
    return 1;
  }
  CheckAcked(*c2, acked, "after freeing space");
  std::vector<std::string> more;
  s = StartUntilFailure(*c2, "after", 10, 10, &more);
  Expect(s.ok(), "new executions start after recovery");
  CheckAcked(*c2, more, "new executions");
  c2.reset();
  Expect(again.Stop() == 0, "stepwised stops cleanly");
  CheckStore(data);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace stepwise::faults

int main(int argc, char** argv) {
  std::string stepwised, dir, mode;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--stepwised") stepwised = argv[i + 1];
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--mode") mode = argv[i + 1];
  }
  if (stepwised.empty() || dir.empty() || (mode != "fsync" && mode != "full-disk")) {
    std::fprintf(stderr,
                 "usage: daemon_faults --stepwised PATH --dir DIR --mode fsync|full-disk\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  return mode == "fsync" ? stepwise::faults::RunFsync(stepwised, dir)
                         : stepwise::faults::RunFullDisk(stepwised, dir);
}
