// Runs the JSONata reference suite (jsonata-js v2.0.6 test cases, laid out as
// groups/<group>/<case>.json) against stepwise_jsonata, prints per-group pass
// rates and the total, and fails when a case listed in the passing list no
// longer passes. Exits 77 (skip) when the suite directory is absent.
//
//   jsonata_suite --suite DIR --passing FILE [--not-applicable FILE]
//                 [--update] [--group NAME] [--verbose]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/strings.h"
#include "jsonata/jsonata.h"

namespace stepwise::jsonata {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  bool pass = false;
  bool missing = false;  // the case cannot be run from the shared copy
  std::string detail;
};

// Numbers compare by value with a relative tolerance of a few ulps (the
// reference suite's expected values were printed by JavaScript).
bool Near(const json::value& a, const json::value& b) {
  if (IsNumber(a) && IsNumber(b)) {
    double x = ToDouble(a);
    double y = ToDouble(b);
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!Near(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const json::value* other = y.if_contains(kv.key());
      if (other == nullptr || !Near(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

Outcome RunCase(const json::object& c, const fs::path& dir, const fs::path& suite,
                std::map<std::string, json::value>& datasets) {
  Outcome out;
  std::string expr;
  const json::value* expr_v = c.if_contains("expr");
  if (expr_v != nullptr && expr_v->is_string()) {
    expr = std::string(expr_v->get_string());
  } else if (const json::value* f = c.if_contains("expr-file"); f && f->is_string()) {
    fs::path file = dir / std::string(f->get_string());
    if (!fs::exists(file)) {
      out.detail = "expression file " + file.filename().string() + " is not in the suite";
      out.missing = true;
      return out;
    }
    expr = ReadText(file);
  } else {
    out.detail = "no expr";
    return out;
  }
  json::value input;
  bool has_input = false;
  if (const json::value* d = c.if_contains("data")) {
    input = *d;
    has_input = true;
  } else if (const json::value* ds = c.if_contains("dataset"); ds && ds->is_string()) {
    std::string name(ds->get_string());
    auto it = datasets.find(name);
    if (it == datasets.end()) {
      auto parsed = ParseJson(ReadText(suite / "datasets" / (name + ".json")));
      it = datasets.emplace(name, parsed.ok() ? *parsed : json::value()).first;
    }
    input = it->second;
    has_input = true;
  }
  std::map<std::string, json::value> bindings;
  if (const json::value* b = c.if_contains("bindings"); b && b->is_object()) {
    for (const auto& kv : b->get_object()) bindings[std::string(kv.key())] = kv.value();
  }
  EvalLimits limits;
  limits.max_depth = 1000;
  limits.timeout = std::chrono::milliseconds(5000);
  // The reference's own bounds (ranges of up to 1e7 items); the daemon's
  // defaults are tighter (EvalLimits).
  limits.max_items = 10'000'000;
  if (const json::value* t = c.if_contains("timelimit"); t && t->is_number()) {
    limits.timeout = std::chrono::milliseconds(static_cast<int64_t>(ToDouble(*t)));
  }
  if (const json::value* d = c.if_contains("depth"); d && d->is_number()) {
    limits.max_depth = static_cast<int>(ToDouble(*d));
  }
  absl::StatusOr<std::optional<json::value>> result;
  // The reference dialect: the suite measures jsonata 2.0.6, $eval included.
  auto compiled = Expression::Compile(expr, Dialect::kReference);
  if (!compiled.ok()) {
    result = compiled.status();
  } else {
    result = compiled->Evaluate(has_input ? &input : nullptr, bindings, limits);
  }
  const json::value* code = c.if_contains("code");
  if (code == nullptr) {
    if (const json::value* e = c.if_contains("error"); e && e->is_object()) {
      code = e->get_object().if_contains("code");
    }
  }
  if (code != nullptr) {
    std::string want(code->is_string() ? std::string(code->get_string()) : "");
    if (!result.ok()) {
      std::string got = ErrorCode(result.status());
      out.pass = got == want;
      out.detail = "want error " + want + ", got " + std::string(result.status().message());
    } else {
      out.detail = "want error " + want + ", got " +
                   (result->has_value() ? ToJsString(**result) : std::string("undefined"));
    }
    return out;
  }
  if (!result.ok()) {
    out.detail = "error " + std::string(result.status().message());
    return out;
  }
  if (const json::value* u = c.if_contains("undefinedResult"); u && u->is_bool() && u->get_bool()) {
    out.pass = !result->has_value();
    out.detail = "want undefined, got " + (result->has_value() ? ToJsString(**result) : "");
    return out;
  }
  if (const json::value* r = c.if_contains("result")) {
    if (!result->has_value()) {
      out.detail = "want " + ToJsString(*r) + ", got undefined";
      return out;
    }
    out.pass = Near(**result, *r);
    out.detail = "want " + ToJsString(*r) + ", got " + ToJsString(**result);
    return out;
  }
  out.detail = "case has no expected outcome";
  return out;
}

std::set<std::string> ReadList(const std::string& path, std::map<std::string, std::string>* reasons) {
  std::set<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find_first_of(" \t");
    std::string id = line.substr(0, sp);
    out.insert(id);
    if (reasons != nullptr && sp != std::string::npos) {
      (*reasons)[id] = line.substr(line.find_first_not_of(" \t", sp));
    }
  }
  return out;
}

int Main(int argc, char** argv) {
  std::string suite_dir;
  std::string passing_path;
  std::string na_path;
  std::string only_group;
  bool update = false;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--suite") {
      suite_dir = next();
    } else if (a == "--passing") {
      passing_path = next();
    } else if (a == "--not-applicable") {
      na_path = next();
    } else if (a == "--group") {
      only_group = next();
    } else if (a == "--update") {
      update = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  fs::path suite(suite_dir);
  if (suite_dir.empty() || !fs::is_directory(suite / "groups")) {
    std::cout << "jsonata suite not found at " << suite_dir << "; skipping\n";
    return 77;
  }
  std::map<std::string, std::string> na_reasons;
  std::set<std::string> not_applicable;
  if (!na_path.empty()) not_applicable = ReadList(na_path, &na_reasons);
  std::set<std::string> expected_passing;
  if (!passing_path.empty()) expected_passing = ReadList(passing_path, nullptr);

  std::vector<fs::path> groups;
  for (const auto& e : fs::directory_iterator(suite / "groups")) {
    if (e.is_directory()) groups.push_back(e.path());
  }
  std::sort(groups.begin(), groups.end());
  std::map<std::string, json::value> datasets;
  std::set<std::string> passing;
  std::vector<std::string> regressions;
  int total = 0;
  int total_pass = 0;
  int total_na = 0;
  for (const auto& g : groups) {
    std::string group = g.filename().string();
    if (!only_group.empty() && group != only_group) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(g)) {
      if (e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    int n = 0;
    int pass = 0;
    for (const auto& f : files) {
      auto parsed = ParseJson(ReadText(f));
      if (!parsed.ok()) continue;
      std::vector<const json::object*> cases;
      std::string base = group + "/" + f.stem().string();
      if (parsed->is_array()) {
        for (const auto& c : parsed->get_array()) cases.push_back(c.if_object());
      } else {
        cases.push_back(parsed->if_object());
      }
      for (size_t i = 0; i < cases.size(); ++i) {
        if (cases[i] == nullptr) continue;
        std::string id = parsed->is_array() ? base + "[" + std::to_string(i) + "]" : base;
        ++n;
        Outcome o = RunCase(*cases[i], g, suite, datasets);
        if (o.pass) {
          ++pass;
          passing.insert(id);
        } else {
          if (not_applicable.count(id) || o.missing) ++total_na;
          if (expected_passing.count(id)) regressions.push_back(id + ": " + o.detail);
          if (verbose) {
            const json::value* e = cases[i]->if_contains("expr");
            std::cout << "FAIL " << id << "  " << (e ? ToJsString(*e) : "") << "\n    "
                      << o.detail.substr(0, 400) << "\n";
          }
        }
      }
    }
    total += n;
    total_pass += pass;
    std::printf("%-32s %4d/%-4d %6.1f%%\n", group.c_str(), pass, n, n ? 100.0 * pass / n : 0.0);
  }
  std::printf("TOTAL %d/%d passed (%.1f%%); %d failing cases are listed as not applicable "
              "(expression file absent, or the JavaScript host); %.1f%% of the applicable cases\n",
              total_pass, total, total ? 100.0 * total_pass / total : 0.0, total_na,
              total - total_na ? 100.0 * total_pass / (total - total_na) : 0.0);
  if (update && !passing_path.empty() && only_group.empty()) {
    std::ofstream out(passing_path);
    out << "# Cases of ../shared/jsonata-suite that pass; jsonata_suite fails if one regresses.\n"
        << "# Regenerate with: jsonata_suite --suite ../shared/jsonata-suite --passing "
           "tests/jsonata/passing.txt --update\n";
    for (const auto& id : passing) out << id << "\n";
  }
  if (!regressions.empty()) {
    std::cout << regressions.size() << " regression(s):\n";
    for (const auto& r : regressions) std::cout << "  " << r.substr(0, 300) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace stepwise::jsonata

int main(int argc, char** argv) { return stepwise::jsonata::Main(argc, argv); }
