// ValidateForStepwise: AWS's verdict plus what Stepwise cannot run yet.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/asl/validator.h"

namespace stepwise::asl {

namespace {

void FindJsonata(const json::object& scope, const std::string& loc,
                 std::vector<Diagnostic>& out) {
  const json::value* states = scope.if_contains("States");
  if (states == nullptr || !states->is_object()) return;
  for (const auto& kv : states->get_object()) {
    const json::object* st = kv.value().if_object();
    if (st == nullptr) continue;
    std::string sloc = absl::StrCat(loc, "/States/", ToAbsl(kv.key()));
    if (const json::value* ql = st->if_contains("QueryLanguage")) {
      if (ql->is_string() && ql->get_string() == "JSONata") {
        out.push_back({"ERROR", "UNSUPPORTED_FEATURE",
                       "JSONata is not supported yet: this state sets QueryLanguage "
                       "to JSONata; use JSONPath",
                       sloc + "/QueryLanguage"});
      }
    }
    for (const char* nested : {"ItemProcessor", "Iterator"}) {
      if (const json::value* p = st->if_contains(nested); p && p->is_object()) {
        FindJsonata(p->get_object(), absl::StrCat(sloc, "/", nested), out);
      }
    }
    if (const json::value* b = st->if_contains("Branches"); b && b->is_array()) {
      for (size_t i = 0; i < b->get_array().size(); ++i) {
        if (const json::object* bo = b->get_array()[i].if_object()) {
          FindJsonata(*bo, absl::StrCat(sloc, "/Branches/", i), out);
        }
      }
    }
  }
}

}  // namespace

ValidationResult ValidateForStepwise(std::string_view text, std::string_view type) {
  ValidationResult r = ValidateDefinition(text, type);
  if (!r.ok()) return r;
  auto v = ParseJson(ToAbsl(text));
  if (!v.ok() || !v->is_object()) return r;
  const json::object& root = v->get_object();
  if (const json::value* ql = root.if_contains("QueryLanguage")) {
    if (ql->is_string() && ql->get_string() == "JSONata") {
      r.diagnostics.push_back({"ERROR", "UNSUPPORTED_FEATURE",
                               "JSONata is not supported yet: the state machine sets "
                               "QueryLanguage to JSONata; use JSONPath",
                               "/QueryLanguage"});
      return r;
    }
  }
  FindJsonata(root, "", r.diagnostics);
  return r;
}

}  // namespace stepwise::asl
