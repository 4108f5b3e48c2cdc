// ValidateDefinition and ToAwsJson (validator.h): the entry points, and the
// Validator's walk of the machine, its States blocks and their transitions,
// and the variable scopes. The per-state rules live in validator_states.cc,
// the field tables and field-value checks in validator_fields.cc.
// Pure functions; thread-safe.
#include "asl/validator.h"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "asl/validator_internal.h"

namespace stepwise::asl {

bool ValidationResult::ok() const {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == "ERROR") return false;
  }
  return true;
}

namespace validator_internal {

ValidationResult Validator::Run(const json::value& definition) {
  ValidationResult r;
  if (Depth(definition, 0) > kMaxJsonDepth) {
    Error(kSchema, "definition nests too deeply", "/");
  } else if (const json::object* top = definition.if_object()) {
    ValidateMachine(*top);
  } else {
    Error(kSchema, "definition must be a JSON object", "/");
  }
  r.diagnostics = std::move(diags_);
  return r;
}

void Validator::Error(std::string_view code, std::string message, std::string loc) {
  // (Not `loc = "/"`: GCC 12 -O2 reports a false -Wrestrict on it.)
  std::string location = loc.empty() ? std::string(1, '/') : std::move(loc);
  diags_.push_back(
      Diagnostic{"ERROR", std::string(code), std::move(message), std::move(location)});
}

void Validator::Warning(std::string_view code, std::string message, std::string loc) {
  std::string location = loc.empty() ? std::string(1, '/') : std::move(loc);
  diags_.push_back(
      Diagnostic{"WARNING", std::string(code), std::move(message), std::move(location)});
}

int Validator::Depth(const json::value& v, int depth) {
  if (depth > kMaxJsonDepth) return depth;
  int best = depth;
  if (const json::object* o = v.if_object()) {
    for (const auto& kv : *o) best = std::max(best, Depth(kv.value(), depth + 1));
  } else if (const json::array* a = v.if_array()) {
    for (const auto& e : *a) best = std::max(best, Depth(e, depth + 1));
  }
  return best;
}

void Validator::ValidateMachine(const json::object& top) {
  top_lang_ = Lang::kJsonPath;
  if (const json::value* ql = top.if_contains("QueryLanguage")) {
    std::optional<Lang> l = ParseLang(*ql, "/QueryLanguage");
    if (l) top_lang_ = *l;
  }
  for (const auto& kv : top) {
    std::string_view k = Sv(kv.key());
    if (k == "StartAt" || k == "States" || k == "Comment" ||
        k == "QueryLanguage") {
      continue;
    }
    if (k == "Version") {
      const json::string* s = kv.value().if_string();
      if (s == nullptr || Sv(*s) != "1.0") {
        Error(kSchema, "Version must be \"1.0\"", "/Version");
      }
    } else if (k == "TimeoutSeconds") {
      int64_t n = 0;
      if (!AsInteger(kv.value(), n) || n < 1 || n > kMaxSeconds) {
        Error(kSchema, "TimeoutSeconds must be a positive integer",
              "/TimeoutSeconds");
      }
    } else {
      UnknownField(k, "/");
    }
  }
  CheckComment(top, "");
  ValidateStatesBlock(top, "");
  CheckVariableScopes(top, "", {});
  if (state_count_ > kMaxStates) {
    Error(kSchema,
          Cat("definition has ", state_count_,
                       " states; at most ", kMaxStates, " are allowed"),
          "/States");
  }
}

// Adds to `out` the variable names one Assign object assigns (a JSONPath
// key "x.$" assigns x), with where each is assigned.
void Validator::AssignedNames(const json::value* assign, const std::string& at,
                              std::vector<std::pair<std::string, std::string>>& out) {
  const json::object* o = assign != nullptr ? assign->if_object() : nullptr;
  if (o == nullptr) return;
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (k.size() >= 2 && k.substr(k.size() - 2) == ".$") k = k.substr(0, k.size() - 2);
    out.emplace_back(std::string(k), Join(at, Sv(kv.key())));
  }
}

// Each States block (the machine, a Parallel branch, a Map processor) is a
// scope. An inner scope reads the variables of the scopes around it but
// may not assign one of their names (AWS's rule); `outer` holds the names
// assigned in the enclosing scopes.
void Validator::CheckVariableScopes(const json::object& block, const std::string& loc,
                                    const std::set<std::string>& outer) {
  const json::value* states_v = block.if_contains("States");
  const json::object* states = states_v != nullptr ? states_v->if_object() : nullptr;
  if (states == nullptr) return;
  std::string states_loc = Join(loc, "States");
  std::vector<std::pair<std::string, std::string>> assigned;
  for (const auto& kv : *states) {
    const json::object* st = kv.value().if_object();
    if (st == nullptr) continue;
    std::string at = Join(states_loc, Sv(kv.key()));
    AssignedNames(st->if_contains("Assign"), Join(at, "Assign"), assigned);
    for (std::string_view list : {"Choices", "Catch"}) {
      const json::value* l = st->if_contains(list);
      const json::array* a = l != nullptr ? l->if_array() : nullptr;
      if (a == nullptr) continue;
      for (size_t i = 0; i < a->size(); ++i) {
        const json::object* rule = (*a)[i].if_object();
        if (rule == nullptr) continue;
        AssignedNames(rule->if_contains("Assign"),
                      Join(Join(Join(at, list), std::to_string(i)), "Assign"), assigned);
      }
    }
  }
  std::set<std::string> inner = outer;
  for (const auto& [name, at] : assigned) {
    if (outer.count(name) != 0) {
      Error(kSchema,
            Cat("Variable '", name,
                "' is assigned in an outer scope; a Parallel branch or Map iteration may "
                "read it but not assign it"),
            at);
    }
    inner.insert(name);
  }
  for (const auto& kv : *states) {
    const json::object* st = kv.value().if_object();
    if (st == nullptr) continue;
    std::string at = Join(states_loc, Sv(kv.key()));
    if (const json::value* b = st->if_contains("Branches"); b != nullptr && b->is_array()) {
      const json::array& branches = b->get_array();
      for (size_t i = 0; i < branches.size(); ++i) {
        if (const json::object* o = branches[i].if_object()) {
          CheckVariableScopes(*o, Join(Join(at, "Branches"), std::to_string(i)), inner);
        }
      }
    }
    for (std::string_view key : {"ItemProcessor", "Iterator"}) {
      const json::value* p = st->if_contains(key);
      if (const json::object* o = p != nullptr ? p->if_object() : nullptr) {
        CheckVariableScopes(*o, Join(at, key), inner);
      }
    }
  }
}

std::optional<Lang> Validator::ParseLang(const json::value& v, const std::string& loc) {
  const json::string* s = v.if_string();
  if (s != nullptr && Sv(*s) == "JSONPath") return Lang::kJsonPath;
  if (s != nullptr && Sv(*s) == "JSONata") return Lang::kJsonata;
  Error(kSchema, "QueryLanguage must be 'JSONPath' or 'JSONata'", loc);
  return std::nullopt;
}

void Validator::UnknownField(std::string_view key, const std::string& loc) {
  Error(kSchema,
        Cat("Field '", key,
                     "' is not supported"),
        loc);
}

void Validator::WrongLanguageField(std::string_view key, Lang lang,
                                   const std::string& loc) {
  Lang other = lang == Lang::kJsonata ? Lang::kJsonPath : Lang::kJsonata;
  Error(kSchema,
        Cat("The QueryLanguage is set to '", LangName(lang),
                     "', but field '",
                     key,
                     "' is only supported for the '", LangName(other),
                     "' QueryLanguage"),
        loc);
}

void Validator::CheckComment(const json::object& o, const std::string& loc) {
  if (const json::value* c = o.if_contains("Comment")) {
    if (!c->is_string()) {
      Error(kSchema, "Comment must be a string", Join(loc, "Comment"));
    }
  }
}

// Validates {StartAt, States} at `loc`: each state, transitions within the
// block, reachability and the presence of a terminal state.
void Validator::ValidateStatesBlock(const json::object& block, const std::string& loc) {
  const json::value* start = block.if_contains("StartAt");
  const json::value* states_v = block.if_contains("States");
  std::vector<std::string> missing;
  if (start == nullptr) missing.push_back("StartAt");
  if (states_v == nullptr) missing.push_back("States");
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size(); ++i) {
      if (i > 0) list += ", ";
      list += missing[i];
    }
    Error(kSchema, Cat("These fields are required: [", list, "]"),
          loc);
  }
  const json::string* start_s = start ? start->if_string() : nullptr;
  if (start != nullptr && start_s == nullptr) {
    Error(kSchema, "StartAt must be a string", Join(loc, "StartAt"));
  }
  if (states_v == nullptr) return;
  const json::object* states = states_v->if_object();
  if (states == nullptr) {
    Error(kSchema, "States must be an object", Join(loc, "States"));
    return;
  }
  if (states->empty()) {
    Error(kSchema, "States must not be empty", Join(loc, "States"));
    return;
  }
  std::string states_loc = Join(loc, "States");

  std::set<std::string> names;
  for (const auto& kv : *states) names.insert(std::string(Sv(kv.key())));

  std::map<std::string, std::vector<Transition>> edges;
  bool has_terminal = false;
  for (const auto& kv : *states) {
    std::string name(Sv(kv.key()));
    std::string state_loc = Join(states_loc, name);
    ++state_count_;
    if (!all_names_.insert(name).second) {
      Error(kDuplicateName,
            Cat("Duplicate State name: ", name), state_loc);
    }
    if (DecodeUtf8(name).size() > kMaxStateNameChars || name.empty()) {
      Error(kInvalidStateName,
            Cat("State name must be 1 to ", kMaxStateNameChars,
                         " characters: ", name),
            state_loc);
    }
    const json::object* st = kv.value().if_object();
    if (st == nullptr) {
      Error(kSchema, "A state must be a JSON object", state_loc);
      continue;
    }
    std::vector<Transition> out;
    bool terminal = false;
    ValidateState(*st, state_loc, out, terminal);
    has_terminal = has_terminal || terminal;
    edges[name] = std::move(out);
  }

  // Transition targets.
  for (const auto& [name, outs] : edges) {
    for (const Transition& t : outs) {
      if (names.count(t.target) == 0) {
        Error(kMissingTarget,
              Cat("Missing '", t.field, "' target: ", t.target),
              t.loc);
      }
    }
  }
  if (start_s == nullptr) return;
  std::string start_name(Sv(*start_s));
  if (names.count(start_name) == 0) {
    Error(kMissingTarget,
          Cat("Missing 'StartAt' target: ", start_name),
          Join(loc, "StartAt"));
    return;
  }
  // Reachability from StartAt.
  std::set<std::string> seen{start_name};
  std::deque<std::string> queue{start_name};
  while (!queue.empty()) {
    std::string cur = queue.front();
    queue.pop_front();
    auto it = edges.find(cur);
    if (it == edges.end()) continue;
    for (const Transition& t : it->second) {
      if (names.count(t.target) > 0 && seen.insert(t.target).second) {
        queue.push_back(t.target);
      }
    }
  }
  for (const auto& kv : *states) {
    std::string name(Sv(kv.key()));
    if (seen.count(name) == 0) {
      Error(kMissingTarget,
            Cat("State \"", name, "\" is not reachable."),
            Join(states_loc, name));
    }
  }
  if (!has_terminal) {
    Error(kMissingEnd, "Workflow has no terminal state", loc);
  }
}

void Validator::ValidateState(const json::object& st, const std::string& loc,
                              std::vector<Transition>& out, bool& terminal) {
  const json::value* type_v = st.if_contains("Type");
  if (type_v == nullptr) {
    Error(kSchema, "These fields are required: [Type]", loc);
    return;
  }
  const json::string* type_s = type_v->if_string();
  const FieldTable* fields = type_s ? FieldsFor(Sv(*type_s)) : nullptr;
  if (fields == nullptr) {
    // AWS's words (a TestState answer AWS recorded); its End still counts,
    // so no MISSING_END_STATE joins the schema error.
    Error(kSchema,
          "The field 'Type' should have one of these values: [Task, Wait, "
          "Pass, Succeed, Fail, Choice, Parallel, Map]",
          Join(loc, "Type"));
    if (const json::value* end = st.if_contains("End");
        end != nullptr && end->is_bool() && end->get_bool()) {
      terminal = true;
    }
    return;
  }
  std::string_view type = Sv(*type_s);

  Lang lang = top_lang_;
  if (const json::value* ql = st.if_contains("QueryLanguage")) {
    std::optional<Lang> l = ParseLang(*ql, Join(loc, "QueryLanguage"));
    if (l) {
      if (top_lang_ == Lang::kJsonata && *l == Lang::kJsonPath) {
        Error(kSchema,
              "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' "
              "for whole state machine",
              loc);
      }
      lang = *l;
    }
  }

  for (const auto& kv : st) {
    std::string_view k = Sv(kv.key());
    auto it = fields->find(k);
    if (it == fields->end()) {
      UnknownField(k, loc);
    } else if (!FieldMatchesLang(it->second, lang)) {
      WrongLanguageField(k, lang, loc);
    }
  }
  CheckComment(st, loc);

  // Next / End.
  const json::value* next = st.if_contains("Next");
  const json::value* end = st.if_contains("End");
  bool flow_state = type != "Choice" && type != "Succeed" && type != "Fail";
  if (flow_state) {
    bool end_true = false;
    if (end != nullptr) {
      if (!end->is_bool()) {
        Error(kSchema, "End must be a boolean", Join(loc, "End"));
      } else {
        end_true = end->get_bool();
      }
    }
    if (next != nullptr) {
      if (const json::string* n = next->if_string()) {
        out.push_back({std::string(Sv(*n)), Join(loc, "Next"), "Next"});
      } else {
        Error(kSchema, "Next must be a string", Join(loc, "Next"));
      }
    }
    if (next != nullptr && end_true) {
      Error(kSchema, "Only one of Next or End can be set", loc);
    } else if (next == nullptr && !end_true) {
      Error(kSchema, "One of Next or End:true is required", loc);
    }
    terminal = end_true;
  } else {
    terminal = type != "Choice";
  }

  // Paths common to most states.
  CheckPathField(st, "InputPath", loc, lang, /*nullable=*/true);
  CheckPathField(st, "OutputPath", loc, lang, /*nullable=*/true);
  CheckResultPath(st, loc, lang);
  if (const json::value* a = st.if_contains("Assign")) {
    CheckAssign(*a, Join(loc, "Assign"), lang);
  }
  if (lang == Lang::kJsonata) {
    for (const auto& kv : st) {
      std::string_view k = Sv(kv.key());
      if (k == "Comment" || k == "Branches" || k == "ItemProcessor" ||
          k == "Iterator") {
        continue;
      }
      CheckJsonataStrings(kv.value(), Join(loc, k));
    }
  }

  if (type == "Pass") {
    if (const json::value* p = st.if_contains("Parameters")) {
      if (lang == Lang::kJsonPath) CheckTemplate(*p, Join(loc, "Parameters"));
    }
  } else if (type == "Task") {
    ValidateTask(st, loc, lang);
    ValidateRetryCatch(st, loc, lang, out);
  } else if (type == "Choice") {
    ValidateChoice(st, loc, lang, out);
  } else if (type == "Wait") {
    ValidateWait(st, loc, lang);
  } else if (type == "Fail") {
    ValidateFail(st, loc, lang);
  } else if (type == "Parallel") {
    ValidateParallel(st, loc, lang);
    ValidateRetryCatch(st, loc, lang, out);
  } else if (type == "Map") {
    ValidateMap(st, loc, lang);
    ValidateRetryCatch(st, loc, lang, out);
  }
}

}  // namespace validator_internal

using validator_internal::Cat;
using validator_internal::kInvalidJson;
using validator_internal::kMissingDescription;
using validator_internal::kSchema;
using validator_internal::Validator;

ValidationResult ValidateDefinition(std::string_view text,
                                    std::string_view type,
                                    const ValidationOptions& options) {
  ValidationResult r;
  if (text.size() > kMaxDefinitionBytes) {
    r.diagnostics.push_back(
        {"ERROR", std::string(kSchema),
         Cat("definition is ", text.size(), " bytes; at most ",
                      kMaxDefinitionBytes, " are allowed"),
         "/"});
    return r;
  }
  bool blank = true;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      blank = false;
      break;
    }
  }
  if (blank) {
    r.diagnostics.push_back({"ERROR", std::string(kMissingDescription),
                             "definition is empty", "/"});
    return r;
  }
  absl::StatusOr<json::value> parsed =
      ParseJson(absl::string_view(text.data(), text.size()));
  if (!parsed.ok()) {
    r.diagnostics.push_back({"ERROR", std::string(kInvalidJson),
                             std::string(parsed.status().message()), "/"});
    return r;
  }
  return ValidateDefinition(*parsed, type, options);
}

ValidationResult ValidateDefinition(const char* text, std::string_view type,
                                    const ValidationOptions& options) {
  return ValidateDefinition(std::string_view(text == nullptr ? "" : text),
                            type, options);
}

ValidationResult ValidateDefinition(const std::string& text,
                                    std::string_view type,
                                    const ValidationOptions& options) {
  return ValidateDefinition(std::string_view(text), type, options);
}

ValidationResult ValidateDefinition(const json::value& definition,
                                    std::string_view type,
                                    const ValidationOptions& options) {
  try {
    return Validator(type, options).Run(definition);
  } catch (const std::exception& e) {
    // Nothing above should throw; if something does, report rather than
    // let it escape.
    ValidationResult r;
    r.diagnostics.push_back({"ERROR", std::string(kSchema),
                             Cat("internal validator error: ",
                                          e.what()),
                             "/"});
    return r;
  }
}

json::object ToAwsJson(const ValidationResult& r) {
  json::object out;
  out["result"] = r.ok() ? "OK" : "FAIL";
  json::array diags;
  for (const Diagnostic& d : r.diagnostics) {
    json::object o;
    o["severity"] = d.severity;
    o["code"] = d.code;
    o["message"] = d.message;
    if (!d.location.empty()) o["location"] = d.location;
    diags.push_back(std::move(o));
  }
  out["diagnostics"] = std::move(diags);
  return out;
}

}  // namespace stepwise::asl
