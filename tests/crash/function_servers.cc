// FunctionServers (function_servers.h): `stepwise worker --function` and
// `stepwise lambda-runtime` as the daemon crash harness runs them, and
// their Python handler.
#include "tests/crash/function_servers.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/crash/nested_workflow.h"

namespace stepwise::crash {
namespace {

// The handler, as NestedWorkflow::FunctionAnswer answers (keep them alike):
//   HANDLER worker  LOG SEEN_DIR PREFIX: one event on stdin, the answer on
//     stdout; a Flaky failure is exit 1 with "error: Flaky" on stderr
//     (stepwise worker's convention).
//   HANDLER runtime LOG SEEN_DIR PREFIX: a Lambda runtime: loops on the
//     Runtime API at $AWS_LAMBDA_RUNTIME_API; exits when it is gone (the
//     lambda-runtime supervising it starts it again).
// A success's nonce is appended to LOG before the answer leaves.
constexpr char kHandler[] = R"PY(
import json, os, sys, time, urllib.error, urllib.request

mode, log_path, seen_dir, prefix = sys.argv[1:5]
count = 0

def first_time(key):
    try:
        os.mkdir(os.path.join(seen_dir, key.replace("/", "~")))
        return True
    except FileExistsError:
        return False

def log(line):
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)

def answer(ev):
    """(True, output) or (False, None) for the Flaky first attempt."""
    global count
    key = ev["exec"] + "/" + ev["state"]
    ms = int(time.time() * 1000)
    if ev.get("failFirst") is True and first_time(key):
        log("%s - %d" % (key, ms))
        return False, None
    count += 1
    nonce = "%s-%d-%d-%d" % (prefix, os.getpid(), count, time.time_ns())
    log("%s %s %d" % (key, nonce, ms))
    r = (7 if ev["op"] == "arn" else 11) * ev["n"]
    return True, json.dumps({"r": r, "by": nonce})

if mode == "worker":
    ok, out = answer(json.load(sys.stdin))
    if not ok:
        sys.stderr.write("error: Flaky\nfirst attempt fails\n")
        sys.exit(1)
    sys.stdout.write(out)
    sys.exit(0)

base = "http://%s/2018-06-01/runtime/invocation/" % os.environ["AWS_LAMBDA_RUNTIME_API"]

def post(path, body, headers={}):
    req = urllib.request.Request(base + path, data=body.encode(), method="POST",
                                 headers=headers)
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError:
        pass  # e.g. the invocation already ended

while True:
    try:
        with urllib.request.urlopen(base + "next") as r:
            rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
            ev = json.loads(r.read())
    except urllib.error.HTTPError:
        time.sleep(0.2)  # the Runtime API is stopping or hung up
        continue
    except OSError:
        sys.exit(2)  # its lambda-runtime is gone
    ok, out = answer(ev)
    if ok:
        post(rid + "/response", out)
    else:
        post(rid + "/error",
             json.dumps({"errorType": "Flaky", "errorMessage": "first attempt fails"}),
             {"Lambda-Runtime-Function-Error-Type": "Flaky"})
)PY";

std::string Python() {
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  const char* path = std::getenv("PATH");
  std::vector<std::string> dirs = absl::StrSplit(path == nullptr ? "" : path, ':');
  for (const std::string& d : dirs) {
    std::string p = d + "/python3";
    if (!d.empty() && ::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// The handler's log lines: {key, nonce or "-", unix ms}.
struct Line {
  std::string key, nonce;
  int64_t ms = 0;
};
std::vector<Line> ReadLines(const std::string& path) {
  std::vector<Line> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    Line l;
    if (s >> l.key >> l.nonce >> l.ms) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

bool FirstSeenDir(const std::string& dir, const std::string& key) {
  std::string name = key;
  for (char& c : name) {
    if (c == '/') c = '~';
  }
  return ::mkdir(absl::StrCat(dir, "/", name).c_str(), 0755) == 0;
}

FunctionServers::FunctionServers(std::string stepwise, std::string dir, std::string seen_dir,
                                 int port)
    : stepwise_(std::move(stepwise)),
      dir_(std::move(dir)),
      seen_dir_(std::move(seen_dir)),
      port_(port) {}

absl::Status FunctionServers::Start() {
  std::string python = Python();
  if (python.empty()) return absl::FailedPreconditionError("python3 not found");
  const std::string handler = dir_ + "/fn_handler.py";
  {
    std::ofstream out(handler);
    out << kHandler;
    if (!out) return absl::InternalError("cannot write " + handler);
  }
  const std::string endpoint = absl::StrCat("127.0.0.1:", port_);
  auto add = [&](std::string what, std::string function, std::string prefix,
                 std::vector<std::string> head, const char* mode) {
    Server s;
    s.what = std::move(what);
    s.function = std::move(function);
    s.prefix = std::move(prefix);
    s.answers = absl::StrCat(dir_, "/answers-", s.prefix, ".log");
    s.args = std::move(head);
    for (const std::string& a :
         {std::string("--endpoint"), endpoint, std::string("--function"), s.function,
          std::string("--concurrency"), std::string("2"), std::string("--heartbeat-seconds"),
          std::string("0.5"), std::string("--"), python, handler, std::string(mode), s.answers,
          seen_dir_, s.prefix}) {
      s.args.push_back(a);
    }
    s.process = std::make_unique<testproc::StepwisedProcess>(
        stepwise_, absl::StrCat(dir_, "/", s.prefix, "-server.log"));
    servers_.push_back(std::move(s));
  };
  add("worker --function", NestedWorkflow::kFnInvoke, "wf", {"worker"}, "worker");
  add("lambda-runtime", NestedWorkflow::kFnArn, "lr", {"lambda-runtime"}, "runtime");
  for (Server& s : servers_) {
    if (absl::Status st = Spawn(s); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status FunctionServers::Spawn(Server& s) {
  if (!s.process->Spawn(s.args)) return absl::InternalError("fork failed");
  ++s.starts;
  return absl::OkStatus();
}

void FunctionServers::Check() {
  for (Server& s : servers_) {
    if (s.process->Alive()) continue;
    std::fprintf(stderr, "daemon_crash: stepwise %s exited (code %d); starting it again\n",
                 s.what.c_str(), s.process->exit_code());
    (void)Spawn(s);
  }
}

void FunctionServers::Stop() {
  for (Server& s : servers_) {
    if (s.process->pid() > 0) ::kill(s.process->pid(), SIGTERM);
  }
  for (Server& s : servers_) {
    if (s.process->WaitExit(std::chrono::seconds(20)) < 0) s.process->Kill();
  }
}

void FunctionServers::MergeSent(FunctionLog* log) const {
  std::lock_guard<std::mutex> l(log->mu);
  for (const Server& s : servers_) {
    for (const Line& line : ReadLines(s.answers)) {
      ++log->handouts[absl::StrCat(s.function, " (", s.what, ")")];
      if (line.nonce != "-") log->sent[line.key].insert(line.nonce);
    }
  }
}

std::set<std::string> FunctionServers::SentAfter(int64_t unix_ms) const {
  std::set<std::string> out;
  for (const Server& s : servers_) {
    for (const Line& line : ReadLines(s.answers)) {
      if (line.nonce != "-" && line.ms > unix_ms) out.insert(line.nonce);
    }
  }
  return out;
}

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace stepwise::crash
