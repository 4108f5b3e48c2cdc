#include "tests/conformance/case_file.h"

#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/status/status.h"
#include "tests/conformance/cat.h"

namespace stepwise::conformance {
namespace {

std::string_view StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

bool BoolField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

// Calls `fn` for each states object nested in `machine` (a definition, a
// branch or a Map processor), depth first.
template <typename Fn>
bool AnyStates(const json::object& machine, const Fn& fn) {
  const json::value* states = machine.if_contains("States");
  if (states == nullptr || !states->is_object()) return false;
  for (const auto& kv : states->get_object()) {
    const json::object* state = kv.value().if_object();
    if (state == nullptr) continue;
    if (fn(kv.key(), *state)) return true;
    if (const json::value* branches = state->if_contains("Branches")) {
      if (const json::array* arr = branches->if_array()) {
        for (const json::value& b : *arr) {
          if (const json::object* bo = b.if_object(); bo && AnyStates(*bo, fn)) {
            return true;
          }
        }
      }
    }
    for (std::string_view key : {"Iterator", "ItemProcessor"}) {
      if (const json::value* p = state->if_contains(key)) {
        if (const json::object* po = p->if_object(); po && AnyStates(*po, fn)) {
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool UsesJsonata(const json::value& definition) {
  const json::object* def = definition.if_object();
  if (def == nullptr) return false;
  if (StringField(*def, "QueryLanguage") == "JSONata") return true;
  return AnyStates(*def, [](std::string_view, const json::object& state) {
    return StringField(state, "QueryLanguage") == "JSONata";
  });
}

const json::object* FindState(const json::value& definition,
                              std::string_view name) {
  const json::object* def = definition.if_object();
  if (def == nullptr) return nullptr;
  const json::object* found = nullptr;
  AnyStates(*def, [&](std::string_view state_name, const json::object& state) {
    if (state_name == name) {
      found = &state;
      return true;
    }
    return false;
  });
  return found;
}

absl::StatusOr<std::vector<ConformanceCase>> LoadCases(
    const std::string& cases_dir) {
  auto index_text = ReadFileToString(cases_dir + "/index.json");
  if (!index_text.ok()) return index_text.status();
  auto index = ParseJson(*index_text);
  if (!index.ok()) {
    return absl::InvalidArgumentError(
        Cat("index.json: ", index.status().message()));
  }
  const json::object* root = index->if_object();
  const json::value* list = root ? root->if_contains("cases") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return absl::InvalidArgumentError("index.json has no \"cases\" array");
  }
  std::vector<ConformanceCase> cases;
  for (const json::value& entry : list->get_array()) {
    const json::object* e = entry.if_object();
    if (e == nullptr) continue;
    ConformanceCase c;
    c.id = std::string(StringField(*e, "id"));
    c.category = std::string(StringField(*e, "category"));
    c.file = std::string(StringField(*e, "file"));
    c.pure_asl = BoolField(*e, "pure_asl");
    c.masked = BoolField(*e, "masked");
    c.has_events = BoolField(*e, "has_events");
    auto text = ReadFileToString(cases_dir + "/" + c.file);
    if (!text.ok()) return text.status();
    auto doc = ParseJson(*text);
    if (!doc.ok() || !doc->is_object()) {
      return absl::InvalidArgumentError(
          Cat(c.file, ": not a JSON object"));
    }
    c.doc = std::move(doc->get_object());
    bool only_stubs = true;
    bool any_requirement = false;
    if (const json::value* req = c.doc.if_contains("requires")) {
      if (const json::array* arr = req->if_array()) {
        for (const json::value& r : *arr) {
          any_requirement = true;
          std::string_view name =
              r.is_string() ? std::string_view(r.get_string().data(),
                                               r.get_string().size())
                            : std::string_view();
          if (name != "lambda" && name != "activity") only_stubs = false;
        }
      }
    }
    c.kind = !any_requirement ? CaseKind::kPure
             : only_stubs     ? CaseKind::kStub
                              : CaseKind::kReplay;
    if (const json::value* def = c.doc.if_contains("definition")) {
      c.jsonata = UsesJsonata(*def);
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace stepwise::conformance
