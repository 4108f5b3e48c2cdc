// Scoring of conformance runs and the passing-list gate (see scoring.h);
// called from one thread.
#include "tests/conformance/scoring.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"

namespace stepwise::conformance {
namespace {

std::string StringOf(const json::object& o, std::string_view key,
                     std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->get_string());
}

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

void PrintRows(const std::map<std::string, Row>& rows, const Row& total) {
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

}  // namespace

CaseOutcome ScoreCase(const ConformanceCase& c, RunOutput run) {
  CaseOutcome o;
  o.c = &c;
  o.run = std::move(run);
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

void PrintScoreTable(const std::vector<CaseOutcome>& outcomes) {
  std::map<std::string, Row> rows;
  Row total;
  for (const CaseOutcome& o : outcomes) {
    AddToRow(rows[o.c->category], o);
    AddToRow(total, o);
  }
  PrintRows(rows, total);
}

void PrintFailureGroups(const std::vector<CaseOutcome>& outcomes, bool history,
                 size_t max_groups) {
  std::map<std::string, std::vector<const CaseOutcome*>> groups;
  for (const CaseOutcome& o : outcomes) {
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
  std::printf("--- %s [%s]\n", c.id.c_str(), c.category.c_str());
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

bool WritePassing(const std::string& path, const std::vector<CaseOutcome>& outcomes,
                  const std::string& regenerate_command) {
  std::ofstream out(path);
  if (!out) return false;
  out << "# Cases that pass (\"status\": strict result comparison;\n"
         "# \"history\": history check). Regenerate with\n"
         "#   " << regenerate_command << "\n";
  for (const CaseOutcome& o : outcomes) {
    if (o.strict) out << "status " << o.c->id << "\n";
  }
  for (const CaseOutcome& o : outcomes) {
    if (o.history_checked && o.history) out << "history " << o.c->id << "\n";
  }
  return static_cast<bool>(out);
}

int CheckPassing(const std::string& path, const std::vector<CaseOutcome>& outcomes,
                 bool partial_run) {
  bool ok = false;
  std::set<std::string> listed = ReadPassing(path, &ok);
  if (!ok) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
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
      if (!partial_run) {
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
              checked, path.c_str());
  return 0;
}

}  // namespace stepwise::conformance
