// Validation conformance runner: runs the ASL validator over the shared
// corpus and reports how often its verdict agrees with the recorded one.
//
// Sources:
//   localstack      validation/localstack (AWS verdicts)
//   asl-validator   validation/asl-validator (a linter's verdicts)
//   cases           every definition in cases/*/*.json (AWS accepted all)
//
// Usage: validation_conformance [--shared DIR] [--passing FILE]
//                               [--write-passing FILE] [--verbose]
// Exits 0 when every case listed in the passing file still agrees, 1 when
// one of them now disagrees, 77 (ctest's skip code) when the corpus is
// absent. --write-passing writes the ids that agree now.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/json.h"
#include "asl/validator.h"

#ifndef SW_SHARED_DIR
#define SW_SHARED_DIR "../shared"
#endif
#ifndef SW_VALIDATION_PASSING_FILE
#define SW_VALIDATION_PASSING_FILE ""
#endif

namespace {

namespace fs = std::filesystem;
using stepwise::json::value;

constexpr int kSkipCode = 77;

struct Case {
  std::string source;
  std::string id;
  std::string text;
  std::string type;
  bool valid = true;
  std::string note;  // asl-validator notes, for the report
};

struct Outcome {
  const Case* c;
  bool agrees;
  std::string first_diagnostic;
};

bool ReadFile(const fs::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool LoadJson(const fs::path& p, value& out) {
  std::string text;
  if (!ReadFile(p, text)) return false;
  auto parsed = stepwise::ParseJson(absl::string_view(text.data(), text.size()));
  if (!parsed.ok()) return false;
  out = std::move(*parsed);
  return true;
}

std::string GetString(const stepwise::json::object& o, std::string_view key,
                      std::string_view fallback = "") {
  const value* v = o.if_contains(key);
  if (v != nullptr && v->is_string()) {
    return std::string(v->get_string().data(), v->get_string().size());
  }
  return std::string(fallback);
}

// Loads validation/<source>/index.json and its case files.
bool LoadValidationSource(const fs::path& root, const std::string& source,
                          std::vector<Case>& out) {
  value index;
  fs::path dir = root / "validation" / source;
  if (!LoadJson(dir / "index.json", index) || !index.is_object()) {
    std::cerr << "cannot read " << (dir / "index.json") << "\n";
    return false;
  }
  const value* cases = index.get_object().if_contains("cases");
  if (cases == nullptr || !cases->is_array()) return false;
  for (const value& e : cases->get_array()) {
    if (!e.is_object()) continue;
    std::string file = GetString(e.get_object(), "file");
    value doc;
    if (!LoadJson(dir / file, doc) || !doc.is_object()) {
      std::cerr << "cannot read " << (dir / file) << "\n";
      return false;
    }
    const auto& o = doc.get_object();
    Case c;
    c.source = source;
    c.id = GetString(o, "id");
    c.text = GetString(o, "definition_text");
    c.type = GetString(o, "state_machine_type", "STANDARD");
    const value* valid = o.if_contains("valid");
    c.valid = valid != nullptr && valid->is_bool() && valid->get_bool();
    if (const value* notes = o.if_contains("notes");
        notes != nullptr && notes->is_array()) {
      for (const value& n : notes->get_array()) {
        if (n.is_string()) {
          if (!c.note.empty()) c.note += "; ";
          c.note += std::string(n.get_string().data(), n.get_string().size());
        }
      }
    }
    out.push_back(std::move(c));
  }
  return true;
}

// Loads every execution case's definition as a valid-case.
bool LoadExecutionCases(const fs::path& root, std::vector<Case>& out) {
  value index;
  fs::path dir = root / "cases";
  if (!LoadJson(dir / "index.json", index) || !index.is_object()) {
    std::cerr << "cannot read " << (dir / "index.json") << "\n";
    return false;
  }
  const value* cases = index.get_object().if_contains("cases");
  if (cases == nullptr || !cases->is_array()) return false;
  for (const value& e : cases->get_array()) {
    if (!e.is_object()) continue;
    std::string file = GetString(e.get_object(), "file");
    value doc;
    if (!LoadJson(dir / file, doc) || !doc.is_object()) {
      std::cerr << "cannot read " << (dir / file) << "\n";
      return false;
    }
    const auto& o = doc.get_object();
    const value* def = o.if_contains("definition");
    if (def == nullptr) continue;
    Case c;
    c.source = "cases";
    c.id = GetString(o, "id");
    c.text = stepwise::SerializeJson(*def);
    c.type = GetString(o, "state_machine_type", "STANDARD");
    c.valid = true;
    out.push_back(std::move(c));
  }
  return true;
}

std::string Key(const Case& c) { return c.source + "/" + c.id; }

}  // namespace

int main(int argc, char** argv) {
  std::string shared = SW_SHARED_DIR;
  std::string passing_file = SW_VALIDATION_PASSING_FILE;
  std::string write_passing;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--shared" && i + 1 < argc) {
      shared = argv[++i];
    } else if (a == "--passing" && i + 1 < argc) {
      passing_file = argv[++i];
    } else if (a == "--write-passing" && i + 1 < argc) {
      write_passing = argv[++i];
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else {
      std::cerr << "usage: " << argv[0]
                << " [--shared DIR] [--passing FILE] [--write-passing FILE]"
                   " [--verbose]\n";
      return 2;
    }
  }
  fs::path root = fs::path(shared) / "conformance";
  std::error_code ec;
  if (!fs::is_directory(root / "validation", ec)) {
    std::cout << "shared corpus not found at " << root
              << "; skipping validation conformance\n";
    return kSkipCode;
  }

  std::vector<Case> cases;
  if (!LoadValidationSource(root, "localstack", cases) ||
      !LoadValidationSource(root, "asl-validator", cases) ||
      !LoadExecutionCases(root, cases)) {
    return 1;
  }

  std::vector<Outcome> outcomes;
  outcomes.reserve(cases.size());
  for (const Case& c : cases) {
    stepwise::asl::ValidationResult r =
        stepwise::asl::ValidateDefinition(std::string_view(c.text), c.type);
    Outcome o{&c, r.ok() == c.valid, ""};
    if (!r.diagnostics.empty()) {
      const auto& d = r.diagnostics.front();
      o.first_diagnostic = d.code + ": " + d.message + " at " + d.location;
    }
    outcomes.push_back(std::move(o));
  }

  // Per-source tallies.
  struct Tally {
    int total = 0, agree = 0, valid_total = 0, valid_agree = 0,
        invalid_total = 0, invalid_agree = 0;
  };
  std::map<std::string, Tally> by_source;
  Tally all;
  for (const Outcome& o : outcomes) {
    for (Tally* t : {&by_source[o.c->source], &all}) {
      ++t->total;
      t->agree += o.agrees;
      if (o.c->valid) {
        ++t->valid_total;
        t->valid_agree += o.agrees;
      } else {
        ++t->invalid_total;
        t->invalid_agree += o.agrees;
      }
    }
  }

  std::cout << "Disagreements:\n";
  int shown = 0;
  for (const Outcome& o : outcomes) {
    if (o.agrees) continue;
    ++shown;
    std::cout << "  " << Key(*o.c) << " [" << o.c->type << "] expected "
              << (o.c->valid ? "valid" : "invalid") << ", got "
              << (o.c->valid ? "invalid" : "valid");
    if (!o.first_diagnostic.empty()) std::cout << " (" << o.first_diagnostic << ")";
    if (!o.c->note.empty()) std::cout << " {note: " << o.c->note << "}";
    std::cout << "\n";
  }
  if (shown == 0) std::cout << "  none\n";
  if (verbose) {
    std::cout << "Agreements:\n";
    for (const Outcome& o : outcomes) {
      if (o.agrees) {
        std::cout << "  " << Key(*o.c) << " "
                  << (o.c->valid ? "valid" : "invalid") << "\n";
      }
    }
  }

  auto pct = [](int a, int t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", t == 0 ? 100.0 : 100.0 * a / t);
    return std::string(buf);
  };
  std::cout << "\nValidation agreement (verdict: accept/reject)\n";
  std::cout << "source          agree/total   pct     valid    invalid\n";
  auto row = [&](const std::string& name, const Tally& t) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-15s %5d/%-5d  %-7s %d/%d    %d/%d\n",
                  name.c_str(), t.agree, t.total, pct(t.agree, t.total).c_str(),
                  t.valid_agree, t.valid_total, t.invalid_agree,
                  t.invalid_total);
    std::cout << buf;
  };
  for (const char* s : {"localstack", "asl-validator", "cases"}) {
    row(s, by_source[s]);
  }
  row("total", all);

  if (!write_passing.empty()) {
    std::ofstream out(write_passing);
    out << "# Validation cases the validator agrees with; regenerate with\n"
           "# validation_conformance --write-passing <this file>.\n";
    std::set<std::string> keys;
    for (const Outcome& o : outcomes) {
      if (o.agrees) keys.insert(Key(*o.c));
    }
    for (const std::string& k : keys) out << k << "\n";
    std::cout << "wrote " << keys.size() << " passing ids to " << write_passing
              << "\n";
  }

  if (passing_file.empty()) return 0;
  std::ifstream in(passing_file);
  if (!in) {
    std::cerr << "cannot read passing list " << passing_file << "\n";
    return 1;
  }
  std::map<std::string, bool> agrees;
  for (const Outcome& o : outcomes) agrees[Key(*o.c)] = o.agrees;
  int regressions = 0, missing = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto it = agrees.find(line);
    if (it == agrees.end()) {
      ++missing;
      std::cout << "note: passing-list case not in corpus: " << line << "\n";
    } else if (!it->second) {
      ++regressions;
      std::cout << "REGRESSION: " << line << " used to agree and now does not\n";
    }
  }
  if (missing > 0) {
    std::cout << missing << " passing-list case(s) not found in the corpus\n";
  }
  if (regressions > 0) {
    std::cout << regressions << " regression(s) against " << passing_file
              << "\n";
    return 1;
  }
  std::cout << "no regressions against " << passing_file << "\n";
  return 0;
}
