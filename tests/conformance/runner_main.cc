// conformance_runner: runs the execution cases of the shared conformance
// corpus through engine::RunLocal and scores them as
// shared/conformance/README.md says (strict, relaxed, history), per category.
//
// Usage: conformance_runner SHARED_DIR [--verbose] [--case ID]
//          [--category NAME] [--write-passing FILE] [--passing FILE]
//          [--timeout SECONDS] [--no-fork]
// Exit: 0 done (and no regression), 1 a case listed in --passing no longer
// passes, 2 bad arguments or unreadable corpus, 77 corpus absent (skip).
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
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"
#include "engine/local_runner.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/compare.h"
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

struct RunOutput {
  bool ok = false;          // RunLocal returned a result
  std::string run_error;    // why not (status message, crash, timeout)
  ActualResult result;
  std::vector<std::string> task_log;
};

struct CaseOutcome {
  const ConformanceCase* c = nullptr;
  bool skipped = false;  // not run (no case is skipped today)
  bool strict = false;
  bool relaxed = false;
  bool history_checked = false;
  bool history = false;
  std::string strict_diff;
  std::string relaxed_diff;
  std::string history_diff;
  RunOutput run;
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
  CaseOutcome o;
  o.c = &c;
  o.run = opts.fork ? RunForked(c, opts.timeout_seconds) : RunInProcess(c);
  const json::object* expected = nullptr;
  if (const json::value* e = c.doc.if_contains("expected")) {
    expected = e->if_object();
  }
  if (expected == nullptr) {
    o.strict_diff = o.relaxed_diff = "case has no expected object";
    return o;
  }
  const json::value* events = expected->if_contains("events");
  o.history_checked = events != nullptr && events->is_array();
  if (!o.run.ok) {
    o.strict_diff = o.relaxed_diff = o.run.run_error;
    if (o.history_checked) o.history_diff = o.run.run_error;
    return o;
  }
  CompareOptions strict;
  if (const json::value* p = expected->if_contains("placeholders")) {
    if (const json::array* arr = p->if_array()) {
      for (const json::value& v : *arr) {
        if (v.is_string()) strict.placeholders.emplace_back(v.get_string());
      }
    }
  }
  CompareOptions relaxed = strict;
  relaxed.relaxed = true;
  auto sd = CompareResult(*expected, o.run.result, strict);
  o.strict = !sd.has_value();
  o.strict_diff = sd.value_or("");
  auto rd = CompareResult(*expected, o.run.result, relaxed);
  o.relaxed = !rd.has_value();
  o.relaxed_diff = rd.value_or("");
  if (o.history_checked) {
    auto hd = CompareHistory(events->get_array(), o.run.result.events);
    o.history = !hd.has_value();
    o.history_diff = hd.value_or("");
  }
  return o;
}

// --- reporting --------------------------------------------------------------

struct Ratio {
  int pass = 0;
  int total = 0;
  void Add(bool p) {
    ++total;
    if (p) ++pass;
  }
  std::string Show() const {
    if (total == 0) return "-";
    return absl::StrFormat("%d/%d", pass, total);
  }
  std::string Percent() const {
    if (total == 0) return "-";
    return absl::StrFormat("%.1f%%", 100.0 * pass / total);
  }
};

struct Row {
  int cases = 0;
  Ratio headline;  // pure_asl && !masked
  Ratio masked_pure;
  Ratio stub;
  Ratio replay;
  Ratio strict_all;
  Ratio relaxed_all;
  Ratio history;
  int jsonata = 0;  // cases using JSONata
};

void AddToRow(Row& row, const CaseOutcome& o) {
  const ConformanceCase& c = *o.c;
  ++row.cases;
  if (c.pure_asl && !c.masked) row.headline.Add(o.strict);
  if (c.pure_asl && c.masked) row.masked_pure.Add(o.strict);
  if (c.kind == CaseKind::kStub) row.stub.Add(o.strict);
  if (c.kind == CaseKind::kReplay) row.replay.Add(o.strict);
  row.strict_all.Add(o.strict);
  row.relaxed_all.Add(o.relaxed);
  if (o.history_checked) row.history.Add(o.history);
  if (c.jsonata) ++row.jsonata;
}

void PrintTable(const std::map<std::string, Row>& rows, const Row& total) {
  const char* fmt = "%-22s %6s %10s %10s %8s %8s %10s %10s %10s %8s\n";
  std::printf(fmt, "category", "cases", "headline", "masked", "stubs",
              "replay", "strict", "relaxed", "history", "jsonata");
  std::printf(fmt, "", "", "pure,exact", "pure", "", "", "all", "all", "",
              "cases");
  auto line = [&](const std::string& name, const Row& r) {
    std::printf(fmt, name.c_str(), std::to_string(r.cases).c_str(),
                r.headline.Show().c_str(), r.masked_pure.Show().c_str(),
                r.stub.Show().c_str(), r.replay.Show().c_str(),
                r.strict_all.Show().c_str(), r.relaxed_all.Show().c_str(),
                r.history.Show().c_str(),
                std::to_string(r.jsonata).c_str());
  };
  for (const auto& [name, row] : rows) line(name, row);
  line("TOTAL", total);
  std::printf(
      "\nheadline (strict, pure_asl && !masked): %s = %s   strict all: %s   "
      "relaxed all: %s   history: %s = %s\n",
      total.headline.Show().c_str(), total.headline.Percent().c_str(),
      total.strict_all.Percent().c_str(), total.relaxed_all.Percent().c_str(),
      total.history.Show().c_str(), total.history.Percent().c_str());
  std::printf("JSONata cases (run like the others): %d\n", total.jsonata);
}

// Reduces a difference to a short signature for grouping: quoted text and
// numbers become "…", and only the first 90 characters are kept.
std::string Signature(const std::string& diff) {
  static const std::regex kQuoted(R"("(?:[^"\\]|\\.)*")");
  static const std::regex kNumber(R"(\b\d+(\.\d+)?\b)");
  static const std::regex kPath(R"(\$(\.[A-Za-z0-9_]+|\[\d+\])+)");
  std::string s = diff.substr(0, 400);
  // Keep the error name of status mismatches: it is the useful part.
  s = std::regex_replace(s, kPath, "$$…");
  if (s.rfind("status:", 0) != 0) s = std::regex_replace(s, kQuoted, "\"…\"");
  s = std::regex_replace(s, kNumber, "N");
  if (s.rfind("status:", 0) == 0) {
    size_t cause = s.find(", cause ");
    if (cause != std::string::npos) s = s.substr(0, cause) + ")";
    size_t output = s.find(" (output ");
    if (output != std::string::npos) s = s.substr(0, output);
  }
  if (s.size() > 110) s = s.substr(0, 110) + "…";
  return s;
}

void PrintGroups(const std::vector<CaseOutcome>& outcomes, bool history,
                 size_t max_groups) {
  std::map<std::string, std::vector<const CaseOutcome*>> groups;
  for (const CaseOutcome& o : outcomes) {
    if (o.skipped) continue;
    if (history) {
      if (!o.history_checked || o.history) continue;
      groups[Signature(o.history_diff)].push_back(&o);
    } else {
      if (o.strict) continue;
      groups[Signature(o.strict_diff)].push_back(&o);
    }
  }
  std::vector<std::pair<std::string, std::vector<const CaseOutcome*>>> sorted(
      groups.begin(), groups.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.size() > b.second.size();
  });
  std::printf("\nmost common %s failures (%zu groups):\n",
              history ? "history" : "strict", sorted.size());
  for (size_t i = 0; i < sorted.size() && i < max_groups; ++i) {
    const auto& [sig, list] = sorted[i];
    std::printf("  %4zu  %s\n", list.size(), sig.c_str());
    for (size_t k = 0; k < list.size() && k < 2; ++k) {
      std::printf("          e.g. %s\n", list[k]->c->id.c_str());
    }
  }
}

void PrintCaseDetail(const CaseOutcome& o, bool full) {
  const ConformanceCase& c = *o.c;
  std::printf("--- %s [%s]%s\n", c.id.c_str(), c.category.c_str(),
              o.skipped ? " SKIPPED (JSONata)" : "");
  if (o.skipped) return;
  std::printf("  strict:  %s\n", o.strict ? "PASS" : o.strict_diff.c_str());
  if (!o.strict) {
    std::printf("  relaxed: %s\n", o.relaxed ? "PASS" : o.relaxed_diff.c_str());
  }
  if (o.history_checked) {
    std::printf("  history: %s\n", o.history ? "PASS" : o.history_diff.c_str());
  }
  for (const std::string& l : o.run.task_log) {
    std::printf("  %s\n", l.c_str());
  }
  if (!full) return;
  const ActualResult& r = o.run.result;
  std::printf("  actual status: %s\n", r.status.c_str());
  if (r.output) std::printf("  actual output: %s\n", r.output->substr(0, 2000).c_str());
  if (r.error) std::printf("  actual error:  %s\n", r.error->c_str());
  if (r.cause) std::printf("  actual cause:  %s\n", r.cause->substr(0, 2000).c_str());
  const json::object* expected = c.doc.if_contains("expected")
                                     ? c.doc.at("expected").if_object()
                                     : nullptr;
  if (expected != nullptr) {
    json::object shown = *expected;
    shown.erase("events");
    std::printf("  expected: %s\n", SerializeJson(shown).substr(0, 2000).c_str());
  }
  const json::array* events = nullptr;
  if (expected != nullptr) {
    if (const json::value* ev = expected->if_contains("events")) {
      events = ev->if_array();
    }
  }
  size_t n = std::max(events ? events->size() : 0, r.events.size());
  if (n > 0) {
    std::printf("  %-48s | %s\n", "expected history (id prev type name)",
                "actual history");
  }
  auto name_of = [](const json::object* d) -> std::string {
    if (d == nullptr) return "";
    const json::value* v = d->if_contains("name");
    return v && v->is_string() ? std::string(v->get_string()) : "";
  };
  for (size_t i = 0; i < n; ++i) {
    std::string left, right;
    if (events && i < events->size() && (*events)[i].is_object()) {
      const json::object& e = (*events)[i].get_object();
      const json::value* d = e.if_contains("details");
      left = absl::StrCat(SerializeJson(e.at("id")), " ",
                          SerializeJson(e.at("previousEventId")), " ",
                          StringOf(e, "type", "?"), " ",
                          name_of(d ? d->if_object() : nullptr));
    }
    if (i < r.events.size()) {
      const ActualEvent& a = r.events[i];
      right = absl::StrCat(a.id, " ", a.previous_event_id, " ", a.type, " ",
                           name_of(&a.details));
    }
    std::printf("  %-48s | %s\n", left.c_str(), right.c_str());
  }
}

std::set<std::string> ReadPassing(const std::string& path, bool* ok) {
  std::set<std::string> lines;
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') continue;
    lines.insert(line);
  }
  return lines;
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
      if (detail_all || (failing && !o.skipped)) PrintCaseDetail(o, detail_all);
    }
    std::printf("\n");
  }

  std::map<std::string, Row> rows;
  Row total;
  for (const CaseOutcome& o : outcomes) {
    AddToRow(rows[o.c->category], o);
    AddToRow(total, o);
  }
  std::printf("Execution conformance (%zu cases, %.1f s; corpus %s)\n\n",
              outcomes.size(), seconds, cases_dir.c_str());
  PrintTable(rows, total);
  if (outcomes.size() > 1) {
    PrintGroups(outcomes, false, opts->verbose ? 40 : 15);
    PrintGroups(outcomes, true, opts->verbose ? 20 : 8);
  }

  if (!opts->write_passing.empty()) {
    std::ofstream out(opts->write_passing);
    if (!out) {
      std::cerr << "conformance_runner: cannot write " << opts->write_passing
                << "\n";
      return 2;
    }
    out << "# Cases that pass (\"status\": strict result comparison;\n"
           "# \"history\": history check). Regenerate with\n"
           "#   conformance_runner ../shared --write-passing "
           "tests/conformance/passing.txt\n";
    for (const CaseOutcome& o : outcomes) {
      if (o.strict) out << "status " << o.c->id << "\n";
    }
    for (const CaseOutcome& o : outcomes) {
      if (o.history_checked && o.history) out << "history " << o.c->id << "\n";
    }
    std::printf("\nwrote %s\n", opts->write_passing.c_str());
  }

  if (!opts->passing.empty()) {
    bool ok = false;
    std::set<std::string> listed = ReadPassing(opts->passing, &ok);
    if (!ok) {
      std::cerr << "conformance_runner: cannot read " << opts->passing << "\n";
      return 2;
    }
    std::map<std::string, const CaseOutcome*> by_id;
    for (const CaseOutcome& o : outcomes) by_id[o.c->id] = &o;
    std::vector<std::string> regressions;
    int checked = 0;
    for (const std::string& line : listed) {
      size_t sp = line.find(' ');
      std::string kind = line.substr(0, sp);
      std::string id = sp == std::string::npos ? "" : line.substr(sp + 1);
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        if (opts->only_cases.empty() && opts->only_category.empty()) {
          regressions.push_back(line + "  (case not run or not in corpus)");
        }
        continue;
      }
      ++checked;
      const CaseOutcome& o = *it->second;
      if (kind == "status" && !o.strict) {
        regressions.push_back(line + "  -> " + o.strict_diff);
      } else if (kind == "history" && !(o.history_checked && o.history)) {
        regressions.push_back(line + "  -> " + o.history_diff);
      } else if (kind != "status" && kind != "history") {
        regressions.push_back(line + "  (unknown kind)");
      }
    }
    if (!regressions.empty()) {
      std::printf("\nREGRESSIONS: %zu of %d gated results no longer pass:\n",
                  regressions.size(), checked);
      for (const std::string& r : regressions) {
        std::printf("  %s\n", r.substr(0, 400).c_str());
      }
      return 1;
    }
    std::printf("\nregression gate: all %d results listed in %s still pass\n",
                checked, opts->passing.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace stepwise::conformance

int main(int argc, char** argv) {
  return stepwise::conformance::Main(argc, argv);
}
