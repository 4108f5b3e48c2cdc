// conformance_runner: runs the execution cases of the shared conformance
// corpus through engine::RunLocal and scores them as
// shared/conformance/README.md says (strict, relaxed, history), per category.
//
// Usage: conformance_runner SHARED_DIR [--verbose] [--case ID]
//          [--category NAME] [--write-passing FILE] [--passing FILE]
//          [--timeout SECONDS] [--no-fork]
// Exit: 0 done (and no regression), 1 a case listed in --passing no longer
// passes, 2 bad arguments or unreadable corpus, 77 corpus absent (skip).
// Scoring and reporting: scoring.h.
//
// Each case runs in a forked child with a time limit, so a crash or a hang
// in the interpreter fails that case only.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/local_runner.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/compare.h"
#include "tests/conformance/scoring.h"
#include "tests/conformance/task_stubs.h"

namespace stepwise::conformance {
namespace {

// 2024-02-07T13:49:36.123Z, a date when many cases were recorded.
constexpr TimeMs kStartTime = 1707313776123;
constexpr uint64_t kSeed = 42;

struct Options {
  std::string shared_dir;
  bool verbose = false;
  std::set<std::string> only_cases;
  std::string only_category;
  std::string write_passing;
  std::string passing;
  int timeout_seconds = 30;
  bool fork = true;
};

void Usage(std::ostream& out) {
  out << "usage: conformance_runner SHARED_DIR [--verbose] [--case ID]...\n"
         "         [--category NAME] [--write-passing FILE] [--passing FILE]\n"
         "         [--timeout SECONDS] [--no-fork]\n"
         "Runs SHARED_DIR/conformance/cases through RunLocal and scores them.\n";
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        std::cerr << "conformance_runner: " << a << " needs a value\n";
        return false;
      }
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--no-fork") {
      o.fork = false;
    } else if (a == "--case") {
      if (!value(&v)) return std::nullopt;
      o.only_cases.insert(v);
    } else if (a == "--category") {
      if (!value(&o.only_category)) return std::nullopt;
    } else if (a == "--write-passing") {
      if (!value(&o.write_passing)) return std::nullopt;
    } else if (a == "--passing") {
      if (!value(&o.passing)) return std::nullopt;
    } else if (a == "--timeout") {
      if (!value(&v)) return std::nullopt;
      o.timeout_seconds = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--help" || a == "-h") {
      Usage(std::cout);
      std::exit(0);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "conformance_runner: unknown option " << a << "\n";
      return std::nullopt;
    } else if (o.shared_dir.empty()) {
      o.shared_dir = a;
    } else {
      std::cerr << "conformance_runner: unexpected argument " << a << "\n";
      return std::nullopt;
    }
  }
  if (o.shared_dir.empty()) {
    std::cerr << "conformance_runner: SHARED_DIR is required\n";
    return std::nullopt;
  }
  return o;
}

// --- running one case -------------------------------------------------------

json::object ToJson(const RunOutput& r) {
  json::object o;
  o["ok"] = r.ok;
  o["run_error"] = r.run_error;
  o["status"] = r.result.status;
  if (r.result.output) o["output"] = *r.result.output;
  if (r.result.error) o["error"] = *r.result.error;
  if (r.result.cause) o["cause"] = *r.result.cause;
  json::array events;
  for (const ActualEvent& e : r.result.events) {
    events.push_back(json::object{{"id", e.id},
                                  {"previousEventId", e.previous_event_id},
                                  {"type", e.type},
                                  {"details", e.details}});
  }
  o["events"] = std::move(events);
  json::array log;
  for (const std::string& l : r.task_log) log.push_back(json::string(l));
  o["task_log"] = std::move(log);
  return o;
}

RunOutput FromJson(const json::object& o) {
  RunOutput r;
  auto str = [&](std::string_view key) -> std::optional<std::string> {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
  };
  if (const json::value* ok = o.if_contains("ok"); ok && ok->is_bool()) {
    r.ok = ok->get_bool();
  }
  r.run_error = str("run_error").value_or("");
  r.result.status = str("status").value_or("");
  r.result.output = str("output");
  r.result.error = str("error");
  r.result.cause = str("cause");
  if (const json::value* ev = o.if_contains("events"); ev && ev->is_array()) {
    for (const json::value& e : ev->get_array()) {
      const json::object* eo = e.if_object();
      if (eo == nullptr) continue;
      ActualEvent a;
      if (const json::value* v = eo->if_contains("id"); v && IsNumber(*v)) {
        a.id = static_cast<int64_t>(ToDouble(*v));
      }
      if (const json::value* v = eo->if_contains("previousEventId");
          v && IsNumber(*v)) {
        a.previous_event_id = static_cast<int64_t>(ToDouble(*v));
      }
      if (const json::value* v = eo->if_contains("type"); v && v->is_string()) {
        a.type = std::string(v->get_string());
      }
      if (const json::value* v = eo->if_contains("details"); v && v->is_object()) {
        a.details = v->get_object();
      }
      r.result.events.push_back(std::move(a));
    }
  }
  if (const json::value* log = o.if_contains("task_log"); log && log->is_array()) {
    for (const json::value& l : log->get_array()) {
      if (l.is_string()) r.task_log.emplace_back(l.get_string());
    }
  }
  return r;
}

std::string StringOf(const json::object& o, std::string_view key,
                     std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->get_string());
}

// Runs the case in this process.
RunOutput RunInProcess(const ConformanceCase& c) {
  RunOutput out;
  const json::value* def = c.doc.if_contains("definition");
  const json::value* input = c.doc.if_contains("input");
  std::string definition_text = def ? SerializeJson(*def) : "null";
  std::string input_text = input ? SerializeJson(*input) : "{}";
  const json::object* expected = nullptr;
  if (const json::value* e = c.doc.if_contains("expected")) {
    expected = e->if_object();
  }

  TaskResponder responder(c.doc, kSeed);
  engine::LocalRunOptions options;
  options.seed = kSeed;
  options.start_time = kStartTime;
  options.execution_name = "conformance-execution";
  options.state_machine_name = "conformance";
  options.state_machine_type = StringOf(c.doc, "state_machine_type", "STANDARD");
  options.task_handler = [&responder](const engine::TaskRequest& r) {
    return responder.Answer(r);
  };
  if (expected != nullptr && StringOf(*expected, "status", "") == "ABORTED") {
    // The recording called StopExecution while the execution sat in a Wait.
    options.stop_when = [](const engine::HistoryEvent& e) {
      return e.type == "WaitStateEntered";
    };
  }
  absl::StatusOr<engine::LocalRunResult> result;
  try {
    result = engine::RunLocal(definition_text, input_text, options);
  } catch (const std::exception& e) {
    out.run_error = absl::StrCat("RunLocal threw: ", e.what());
    out.task_log = responder.log();
    return out;
  }
  out.task_log = responder.log();
  if (!result.ok()) {
    out.run_error = absl::StrCat("RunLocal error: ", result.status().ToString());
    return out;
  }
  out.ok = true;
  out.result.status = result->status;
  out.result.output = result->output;
  out.result.error = result->error;
  out.result.cause = result->cause;
  for (const engine::HistoryEvent& e : result->events) {
    out.result.events.push_back(
        {e.id, e.previous_event_id, e.type, e.details});
  }
  return out;
}

// Runs the case in a child process with a time limit.
RunOutput RunForked(const ConformanceCase& c, int timeout_seconds) {
  int fds[2];
  if (pipe(fds) != 0) {
    RunOutput r;
    r.run_error = absl::StrCat("pipe failed: ", std::strerror(errno));
    return r;
  }
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    RunOutput r;
    r.run_error = absl::StrCat("fork failed: ", std::strerror(errno));
    return r;
  }
  if (pid == 0) {
    close(fds[0]);
    RunOutput r = RunInProcess(c);
    std::string text = SerializeJson(ToJson(r));
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) {
        if (errno == EINTR) continue;
        break;
      }
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string data;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(timeout_seconds);
  bool timed_out = false;
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int pr = poll(&p, 1, static_cast<int>(left));
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pr == 0) continue;
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  RunOutput r;
  if (timed_out) {
    r.run_error = absl::StrCat("timed out after ", timeout_seconds,
                               " s (hang in the interpreter?)");
    return r;
  }
  if (WIFSIGNALED(wstatus)) {
    r.run_error = absl::StrCat("crashed with signal ", WTERMSIG(wstatus), " (",
                               strsignal(WTERMSIG(wstatus)), ")");
    return r;
  }
  auto parsed = ParseJson(data);
  if (!parsed.ok() || !parsed->is_object()) {
    r.run_error = absl::StrCat("child exited with status ",
                               WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
                               " and no readable result");
    return r;
  }
  return FromJson(parsed->get_object());
}

CaseOutcome Evaluate(const ConformanceCase& c, const Options& opts) {
  return ScoreCase(c, opts.fork ? RunForked(c, opts.timeout_seconds)
                                : RunInProcess(c));
}

int Main(int argc, char** argv) {
  std::optional<Options> opts = ParseArgs(argc, argv);
  if (!opts) {
    Usage(std::cerr);
    return 2;
  }
  std::string cases_dir = opts->shared_dir + "/conformance/cases";
  if (!std::filesystem::exists(cases_dir + "/index.json")) {
    std::printf("conformance corpus not found at %s: skipping\n",
                cases_dir.c_str());
    return 77;
  }
  auto cases = LoadCases(cases_dir);
  if (!cases.ok()) {
    std::cerr << "conformance_runner: " << cases.status().message() << "\n";
    return 2;
  }

  std::vector<CaseOutcome> outcomes;
  outcomes.reserve(cases->size());
  auto started = std::chrono::steady_clock::now();
  for (const ConformanceCase& c : *cases) {
    if (!opts->only_cases.empty() && !opts->only_cases.count(c.id)) continue;
    if (!opts->only_category.empty() && c.category != opts->only_category) {
      continue;
    }
    outcomes.push_back(Evaluate(c, *opts));
  }
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  if (!opts->only_cases.empty() && outcomes.size() != opts->only_cases.size()) {
    std::cerr << "conformance_runner: some --case ids are not in the corpus\n";
  }

  bool detail_all = !opts->only_cases.empty();
  if (opts->verbose || detail_all) {
    for (const CaseOutcome& o : outcomes) {
      bool failing = !o.strict || (o.history_checked && !o.history);
      if (detail_all || failing) PrintCaseDetail(o, detail_all);
    }
    std::printf("\n");
  }

  std::printf("Execution conformance (%zu cases, %.1f s; corpus %s)\n\n",
              outcomes.size(), seconds, cases_dir.c_str());
  PrintScoreTable(outcomes);
  if (outcomes.size() > 1) {
    PrintFailureGroups(outcomes, false, opts->verbose ? 40 : 15);
    PrintFailureGroups(outcomes, true, opts->verbose ? 20 : 8);
  }

  if (!opts->write_passing.empty()) {
    if (!WritePassing(opts->write_passing, outcomes,
                      "conformance_runner ../shared --write-passing "
                      "tests/conformance/passing.txt")) {
      std::cerr << "conformance_runner: cannot write " << opts->write_passing
                << "\n";
      return 2;
    }
    std::printf("\nwrote %s\n", opts->write_passing.c_str());
  }

  if (!opts->passing.empty()) {
    return CheckPassing(opts->passing, outcomes,
                        !opts->only_cases.empty() || !opts->only_category.empty());
  }
  return 0;
}

}  // namespace
}  // namespace stepwise::conformance

int main(int argc, char** argv) {
  return stepwise::conformance::Main(argc, argv);
}
