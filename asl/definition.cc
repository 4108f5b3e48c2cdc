#include "asl/definition.h"

#include <cmath>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace stepwise::asl {

std::string_view StateTypeName(StateType t) {
  switch (t) {
    case StateType::kTask: return "Task";
    case StateType::kPass: return "Pass";
    case StateType::kChoice: return "Choice";
    case StateType::kWait: return "Wait";
    case StateType::kSucceed: return "Succeed";
    case StateType::kFail: return "Fail";
    case StateType::kParallel: return "Parallel";
    case StateType::kMap: return "Map";
  }
  return "";
}

int Scope::Find(std::string_view name) const {
  auto it = index.find(std::string(name));
  return it == index.end() ? -1 : it->second;
}

namespace {

// Field access that reports the location on type errors.
class Fields {
 public:
  Fields(const json::object& obj, std::string location)
      : obj_(obj), loc_(std::move(location)) {}

  const json::value* Get(std::string_view key) const { return obj_.if_contains(key); }

  absl::Status Error(std::string_view key, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " at ", loc_, "/", ToAbsl(key)));
  }

  absl::StatusOr<std::optional<std::string>> String(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return Error(key, "expected a string");
    return std::optional<std::string>(std::string(v->get_string()));
  }

  absl::StatusOr<std::optional<int64_t>> Int(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::optional<int64_t>();
    if (!IsIntegral(*v)) return Error(key, "expected an integer");
    if (v->is_uint64()) return Error(key, "integer out of range");
    if (v->is_int64()) return std::optional<int64_t>(v->get_int64());
    // An integral double such as 1e30: only values int64 can hold.
    double d = v->get_double();
    if (!(d >= -9.2e18 && d <= 9.2e18)) return Error(key, "integer out of range");
    return std::optional<int64_t>(static_cast<int64_t>(d));
  }

  absl::StatusOr<std::optional<double>> Number(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) return Error(key, "expected a number");
    return std::optional<double>(ToDouble(*v));
  }

  absl::StatusOr<std::optional<JsonPath>> Path(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::optional<JsonPath>();
    if (!v->is_string()) return Error(key, "expected a path string");
    auto p = JsonPath::Parse(std::string_view(v->get_string()));
    if (!p.ok()) return Error(key, ToStd(p.status().message()));
    return std::optional<JsonPath>(*std::move(p));
  }

  absl::StatusOr<PathField> OptionalPath(std::string_view key) const {
    PathField f;
    const json::value* v = Get(key);
    if (v == nullptr) return f;
    if (v->is_null()) {
      f.is_null = true;
      return f;
    }
    SW_ASSIGN_OR_RETURN(f.path, Path(key));
    return f;
  }

  absl::StatusOr<std::optional<PayloadTemplate>> Template(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::optional<PayloadTemplate>();
    auto t = PayloadTemplate::Compile(*v);
    if (!t.ok()) return Error(key, ToStd(t.status().message()));
    return std::optional<PayloadTemplate>(*std::move(t));
  }

  absl::StatusOr<std::optional<JsonataTemplate>> JTemplate(std::string_view key) const {
    const json::value* v = Get(key);
    if (v == nullptr) return std::optional<JsonataTemplate>();
    auto t = JsonataTemplate::Compile(*v);
    if (!t.ok()) return Error(key, ToStd(t.status().message()));
    return std::optional<JsonataTemplate>(*std::move(t));
  }

  // A JSONata-mode number field: an expression goes to `expr`, a number to
  // `value`.
  absl::Status JInt(std::string_view key, std::optional<int64_t>& value,
                    std::optional<JsonataTemplate>& expr) const {
    const json::value* v = Get(key);
    if (v != nullptr && IsJsonataString(*v)) {
      SW_ASSIGN_OR_RETURN(expr, JTemplate(key));
      return absl::OkStatus();
    }
    SW_ASSIGN_OR_RETURN(value, Int(key));
    return absl::OkStatus();
  }

  const std::string& location() const { return loc_; }

 private:
  const json::object& obj_;
  std::string loc_;
};

absl::StatusOr<std::vector<std::string>> ErrorEquals(const json::value* v,
                                                     const std::string& loc) {
  std::vector<std::string> out;
  const json::array* arr = v == nullptr ? nullptr : v->if_array();
  if (arr == nullptr || arr->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ErrorEquals must be a non-empty array at ", loc));
  }
  for (const json::value& e : *arr) {
    if (!e.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ErrorEquals entries must be strings at ", loc));
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const Scope>> ParseScope(const json::value& v,
                                                        const std::string& loc,
                                                        bool machine_jsonata);

absl::StatusOr<PathOrIntrinsic> ParsePathOrIntrinsic(const Fields& f,
                                                     std::string_view key) {
  PathOrIntrinsic out;
  SW_ASSIGN_OR_RETURN(std::optional<std::string> text, f.String(key));
  if (!text.has_value()) return f.Error(key, "expected a string");
  out.text = std::move(text).value();
  if (LooksLikeIntrinsic(out.text)) {
    auto call = IntrinsicCall::Parse(out.text);
    if (!call.ok()) return f.Error(key, ToStd(call.status().message()));
    out.call = *std::move(call);
  } else {
    SW_ASSIGN_OR_RETURN(out.path, f.Path(key));
  }
  return out;
}

// Calls `fn` with the Fields of each object in the array `key` of `f`, if
// present (located at <f>/<key>/<i>). `element` names an element in the
// error when one is not an object ("retrier", "catcher"). Stops at the first
// error.
absl::Status ForEachObject(const Fields& f, std::string_view key, std::string_view element,
                           absl::FunctionRef<absl::Status(const Fields&)> fn) {
  const json::value* v = f.Get(key);
  if (v == nullptr) return absl::OkStatus();
  const json::array* arr = v->if_array();
  if (arr == nullptr) return f.Error(key, "expected an array");
  for (size_t i = 0; i < arr->size(); ++i) {
    const json::object* o = (*arr)[i].if_object();
    std::string loc = absl::StrCat(f.location(), "/", ToAbsl(key), "/", i);
    if (o == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(element), " must be an object at ", loc));
    }
    SW_RETURN_IF_ERROR(fn(Fields(*o, std::move(loc))));
  }
  return absl::OkStatus();
}

absl::Status ParseRetryCatch(const Fields& f, State& s) {
  SW_RETURN_IF_ERROR(ForEachObject(f, "Retry", "retrier", [&](const Fields& rf) -> absl::Status {
    Retrier rt;
    SW_ASSIGN_OR_RETURN(rt.error_equals, ErrorEquals(rf.Get("ErrorEquals"), rf.location()));
    SW_ASSIGN_OR_RETURN(auto interval, rf.Int("IntervalSeconds"));
    if (interval) rt.interval_seconds = *interval;
    SW_ASSIGN_OR_RETURN(auto attempts, rf.Int("MaxAttempts"));
    if (attempts) rt.max_attempts = *attempts;
    SW_ASSIGN_OR_RETURN(auto rate, rf.Number("BackoffRate"));
    if (rate) rt.backoff_rate = *rate;
    SW_ASSIGN_OR_RETURN(rt.max_delay_seconds, rf.Int("MaxDelaySeconds"));
    SW_ASSIGN_OR_RETURN(std::optional<std::string> jitter, rf.String("JitterStrategy"));
    rt.jitter_full = jitter.value_or("") == "FULL";
    s.retry.push_back(std::move(rt));
    return absl::OkStatus();
  }));
  return ForEachObject(f, "Catch", "catcher", [&](const Fields& cf) -> absl::Status {
    Catcher ct;
    SW_ASSIGN_OR_RETURN(ct.error_equals, ErrorEquals(cf.Get("ErrorEquals"), cf.location()));
    SW_ASSIGN_OR_RETURN(auto next, cf.String("Next"));
    if (!next) return cf.Error("Next", "catcher needs Next");
    ct.next = *next;
    if (s.jsonata) {
      SW_ASSIGN_OR_RETURN(ct.output, cf.JTemplate("Output"));
      SW_ASSIGN_OR_RETURN(ct.jsonata_assign, cf.JTemplate("Assign"));
    } else {
      SW_ASSIGN_OR_RETURN(ct.result_path, cf.OptionalPath("ResultPath"));
      SW_ASSIGN_OR_RETURN(ct.assign, cf.Template("Assign"));
    }
    s.catchers.push_back(std::move(ct));
    return absl::OkStatus();
  });
}

absl::Status ParseJsonataState(const Fields& f, State& s, bool machine_jsonata);
absl::Status ParseProcessor(const Fields& f, State& s, bool machine_jsonata);

absl::StatusOr<State> ParseState(const std::string& name, const json::value& v,
                                 const std::string& loc, bool machine_jsonata) {
  const json::object* obj = v.if_object();
  if (obj == nullptr) {
    return absl::InvalidArgumentError("state must be an object at " + loc);
  }
  Fields f(*obj, loc);
  State s;
  s.name = name;
  // Nested states (Map/Parallel) are scanned again on their own; a false
  // positive only costs building the context object.
  s.uses_context = SerializeJson(v).find("$$") != std::string::npos;
  SW_ASSIGN_OR_RETURN(auto ql, f.String("QueryLanguage"));
  s.jsonata = ql ? *ql == "JSONata" : machine_jsonata;
  SW_ASSIGN_OR_RETURN(auto type, f.String("Type"));
  if (!type) return f.Error("Type", "missing Type");
  static const std::pair<const char*, StateType> kTypes[] = {
      {"Task", StateType::kTask},       {"Pass", StateType::kPass},
      {"Choice", StateType::kChoice},   {"Wait", StateType::kWait},
      {"Succeed", StateType::kSucceed}, {"Fail", StateType::kFail},
      {"Parallel", StateType::kParallel}, {"Map", StateType::kMap}};
  bool known = false;
  for (const auto& [n, t] : kTypes) {
    if (*type == n) {
      s.type = t;
      known = true;
    }
  }
  if (!known) return f.Error("Type", absl::StrCat("unknown state type ", *type));

  SW_ASSIGN_OR_RETURN(auto next, f.String("Next"));
  if (next) s.next = *next;
  if (const json::value* e = f.Get("End")) s.end = e->is_bool() && e->get_bool();
  if (s.jsonata) {
    SW_RETURN_IF_ERROR(ParseJsonataState(f, s, machine_jsonata));
    return s;
  }
  SW_ASSIGN_OR_RETURN(s.input_path, f.OptionalPath("InputPath"));
  SW_ASSIGN_OR_RETURN(s.output_path, f.OptionalPath("OutputPath"));
  SW_ASSIGN_OR_RETURN(s.result_path, f.OptionalPath("ResultPath"));
  if (s.result_path.path.has_value() && !s.result_path.path->IsReferencePath()) {
    return f.Error("ResultPath", "ResultPath must be a reference path");
  }
  SW_ASSIGN_OR_RETURN(s.result_selector, f.Template("ResultSelector"));
  SW_ASSIGN_OR_RETURN(s.assign, f.Template("Assign"));
  if (const json::value* r = f.Get("Result")) s.result = *r;

  switch (s.type) {
    case StateType::kTask: {
      SW_ASSIGN_OR_RETURN(auto res, f.String("Resource"));
      if (!res) return f.Error("Resource", "a Task needs Resource");
      s.resource = *res;
      SW_ASSIGN_OR_RETURN(s.parameters, f.Template("Parameters"));
      SW_ASSIGN_OR_RETURN(s.credentials, f.Template("Credentials"));
      SW_ASSIGN_OR_RETURN(s.timeout_seconds, f.Int("TimeoutSeconds"));
      SW_ASSIGN_OR_RETURN(s.timeout_seconds_path, f.Path("TimeoutSecondsPath"));
      SW_ASSIGN_OR_RETURN(s.heartbeat_seconds, f.Int("HeartbeatSeconds"));
      SW_ASSIGN_OR_RETURN(s.heartbeat_seconds_path, f.Path("HeartbeatSecondsPath"));
      SW_RETURN_IF_ERROR(ParseRetryCatch(f, s));
      break;
    }
    case StateType::kPass: {
      SW_ASSIGN_OR_RETURN(s.parameters, f.Template("Parameters"));
      break;
    }
    case StateType::kChoice: {
      const json::value* choices = f.Get("Choices");
      const json::array* arr = choices == nullptr ? nullptr : choices->if_array();
      if (arr == nullptr || arr->empty()) {
        return f.Error("Choices", "Choices must be a non-empty array");
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        auto rule = CompileChoiceRule((*arr)[i], true);
        if (!rule.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              rule.status().message(), " at ", loc, "/Choices/", i));
        }
        if (const json::object* ro = (*arr)[i].if_object()) {
          Fields rf(*ro, absl::StrCat(loc, "/Choices/", i));
          SW_ASSIGN_OR_RETURN(rule->assign, rf.Template("Assign"));
        }
        s.choices.push_back(*std::move(rule));
      }
      SW_ASSIGN_OR_RETURN(auto def, f.String("Default"));
      if (def) s.default_next = *def;
      break;
    }
    case StateType::kWait: {
      SW_ASSIGN_OR_RETURN(s.seconds, f.Int("Seconds"));
      SW_ASSIGN_OR_RETURN(s.timestamp, f.String("Timestamp"));
      SW_ASSIGN_OR_RETURN(s.seconds_path, f.Path("SecondsPath"));
      SW_ASSIGN_OR_RETURN(s.timestamp_path, f.Path("TimestampPath"));
      break;
    }
    case StateType::kSucceed:
      break;
    case StateType::kFail: {
      SW_ASSIGN_OR_RETURN(s.error, f.String("Error"));
      SW_ASSIGN_OR_RETURN(s.cause, f.String("Cause"));
      if (f.Get("ErrorPath") != nullptr) {
        SW_ASSIGN_OR_RETURN(s.error_path, ParsePathOrIntrinsic(f, "ErrorPath"));
      }
      if (f.Get("CausePath") != nullptr) {
        SW_ASSIGN_OR_RETURN(s.cause_path, ParsePathOrIntrinsic(f, "CausePath"));
      }
      break;
    }
    case StateType::kParallel: {
      SW_ASSIGN_OR_RETURN(s.parameters, f.Template("Parameters"));
      const json::value* b = f.Get("Branches");
      const json::array* arr = b == nullptr ? nullptr : b->if_array();
      if (arr == nullptr || arr->empty()) {
        return f.Error("Branches", "Branches must be a non-empty array");
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        SW_ASSIGN_OR_RETURN(auto scope,
                            ParseScope((*arr)[i], absl::StrCat(loc, "/Branches/", i),
                                       machine_jsonata));
        s.branches.push_back(std::move(scope));
      }
      SW_RETURN_IF_ERROR(ParseRetryCatch(f, s));
      break;
    }
    case StateType::kMap: {
      // ItemSelector, or the older Parameters.
      SW_ASSIGN_OR_RETURN(s.parameters, f.Template("ItemSelector"));
      if (!s.parameters) {
        SW_ASSIGN_OR_RETURN(s.parameters, f.Template("Parameters"));
      }
      SW_RETURN_IF_ERROR(ParseProcessor(f, s, machine_jsonata));
      SW_ASSIGN_OR_RETURN(s.items_path, f.Path("ItemsPath"));
      SW_ASSIGN_OR_RETURN(s.max_concurrency, f.Int("MaxConcurrency"));
      SW_ASSIGN_OR_RETURN(s.max_concurrency_path, f.Path("MaxConcurrencyPath"));
      SW_ASSIGN_OR_RETURN(s.tolerated_failure_percentage,
                          f.Number("ToleratedFailurePercentage"));
      SW_ASSIGN_OR_RETURN(s.tolerated_failure_percentage_path,
                          f.Path("ToleratedFailurePercentagePath"));
      SW_ASSIGN_OR_RETURN(s.tolerated_failure_count, f.Int("ToleratedFailureCount"));
      SW_ASSIGN_OR_RETURN(s.tolerated_failure_count_path,
                          f.Path("ToleratedFailureCountPath"));
      SW_ASSIGN_OR_RETURN(auto label, f.String("Label"));
      if (label) s.label = *label;
      s.has_item_reader = f.Get("ItemReader") != nullptr;
      s.has_result_writer = f.Get("ResultWriter") != nullptr;
      s.has_item_batcher = f.Get("ItemBatcher") != nullptr;
      SW_RETURN_IF_ERROR(ParseRetryCatch(f, s));
      break;
    }
  }
  return s;
}

absl::Status ParseProcessor(const Fields& f, State& s, bool machine_jsonata) {
  const char* proc_key = f.Get("ItemProcessor") ? "ItemProcessor" : "Iterator";
  const json::value* proc = f.Get(proc_key);
  if (proc == nullptr) return f.Error("ItemProcessor", "a Map needs ItemProcessor");
  SW_ASSIGN_OR_RETURN(s.processor, ParseScope(*proc, absl::StrCat(f.location(), "/", proc_key),
                                              machine_jsonata));
  if (const json::object* po = proc->if_object()) {
    if (const json::value* cfg = po->if_contains("ProcessorConfig")) {
      if (const json::object* co = cfg->if_object()) {
        if (const json::value* mode = co->if_contains("Mode")) {
          s.distributed = mode->is_string() && mode->get_string() == "DISTRIBUTED";
        }
      }
    }
  }
  return absl::OkStatus();
}

// The fields of a JSONata state (the JSONPath-only ones are left unset;
// the validator rejects them).
absl::Status ParseJsonataState(const Fields& f, State& s, bool machine_jsonata) {
  SW_ASSIGN_OR_RETURN(s.output, f.JTemplate("Output"));
  SW_ASSIGN_OR_RETURN(s.jsonata_assign, f.JTemplate("Assign"));
  switch (s.type) {
    case StateType::kTask: {
      SW_ASSIGN_OR_RETURN(auto res, f.String("Resource"));
      if (!res) return f.Error("Resource", "a Task needs Resource");
      s.resource = *res;
      SW_ASSIGN_OR_RETURN(s.arguments, f.JTemplate("Arguments"));
      SW_RETURN_IF_ERROR(f.JInt("TimeoutSeconds", s.timeout_seconds, s.timeout_seconds_expr));
      SW_RETURN_IF_ERROR(
          f.JInt("HeartbeatSeconds", s.heartbeat_seconds, s.heartbeat_seconds_expr));
      SW_RETURN_IF_ERROR(ParseRetryCatch(f, s));
      break;
    }
    case StateType::kPass:
    case StateType::kSucceed:
      break;
    case StateType::kChoice: {
      const json::value* choices = f.Get("Choices");
      const json::array* arr = choices == nullptr ? nullptr : choices->if_array();
      if (arr == nullptr || arr->empty()) {
        return f.Error("Choices", "Choices must be a non-empty array");
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        const json::object* ro = (*arr)[i].if_object();
        std::string rloc = absl::StrCat(f.location(), "/Choices/", i);
        if (ro == nullptr) return absl::InvalidArgumentError("choice rule must be an object at " + rloc);
        Fields rf(*ro, rloc);
        ChoiceRule rule;
        SW_ASSIGN_OR_RETURN(rule.condition, rf.JTemplate("Condition"));
        if (!rule.condition) return rf.Error("Condition", "a JSONata choice rule needs Condition");
        SW_ASSIGN_OR_RETURN(auto rnext, rf.String("Next"));
        if (!rnext) return rf.Error("Next", "a choice rule needs Next");
        rule.next = *rnext;
        SW_ASSIGN_OR_RETURN(rule.output, rf.JTemplate("Output"));
        SW_ASSIGN_OR_RETURN(rule.jsonata_assign, rf.JTemplate("Assign"));
        s.choices.push_back(std::move(rule));
      }
      SW_ASSIGN_OR_RETURN(auto def, f.String("Default"));
      if (def) s.default_next = *def;
      break;
    }
    case StateType::kWait: {
      SW_RETURN_IF_ERROR(f.JInt("Seconds", s.seconds, s.seconds_expr));
      if (const json::value* t = f.Get("Timestamp"); t && IsJsonataString(*t)) {
        SW_ASSIGN_OR_RETURN(s.timestamp_expr, f.JTemplate("Timestamp"));
      } else {
        SW_ASSIGN_OR_RETURN(s.timestamp, f.String("Timestamp"));
      }
      break;
    }
    case StateType::kFail: {
      SW_ASSIGN_OR_RETURN(s.error_expr, f.JTemplate("Error"));
      SW_ASSIGN_OR_RETURN(s.cause_expr, f.JTemplate("Cause"));
      break;
    }
    case StateType::kParallel: {
      SW_ASSIGN_OR_RETURN(s.arguments, f.JTemplate("Arguments"));
      const json::value* b = f.Get("Branches");
      const json::array* arr = b == nullptr ? nullptr : b->if_array();
      if (arr == nullptr || arr->empty()) {
        return f.Error("Branches", "Branches must be a non-empty array");
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        SW_ASSIGN_OR_RETURN(auto scope,
                            ParseScope((*arr)[i], absl::StrCat(f.location(), "/Branches/", i),
                                       machine_jsonata));
        s.branches.push_back(std::move(scope));
      }
      SW_RETURN_IF_ERROR(ParseRetryCatch(f, s));
      break;
    }
    case StateType::kMap: {
      SW_ASSIGN_OR_RETURN(s.item_selector, f.JTemplate("ItemSelector"));
      SW_ASSIGN_OR_RETURN(s.items, f.JTemplate("Items"));
      SW_RETURN_IF_ERROR(ParseProcessor(f, s, machine_jsonata));
      SW_RETURN_IF_ERROR(f.JInt("MaxConcurrency", s.max_concurrency, s.max_concurrency_expr));
      if (const json::value* t = f.Get("ToleratedFailurePercentage");
          t && IsJsonataString(*t)) {
        SW_ASSIGN_OR_RETURN(s.tolerated_failure_percentage_expr,
                            f.JTemplate("ToleratedFailurePercentage"));
      } else {
        SW_ASSIGN_OR_RETURN(s.tolerated_failure_percentage,
                            f.Number("ToleratedFailurePercentage"));
      }
      SW_RETURN_IF_ERROR(f.JInt("ToleratedFailureCount", s.tolerated_failure_count,
                                s.tolerated_failure_count_expr));
      SW_ASSIGN_OR_RETURN(auto label, f.String("Label"));
      if (label) s.label = *label;
      s.has_item_reader = f.Get("ItemReader") != nullptr;
      s.has_result_writer = f.Get("ResultWriter") != nullptr;
      s.has_item_batcher = f.Get("ItemBatcher") != nullptr;
      SW_RETURN_IF_ERROR(ParseRetryCatch(f, s));
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status ResolveTarget(const Scope& scope, const std::string& target,
                           int* index, const std::string& loc) {
  int i = scope.Find(target);
  if (i < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing transition target '", target, "' at ", loc));
  }
  *index = i;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Scope>> ParseScope(const json::value& v,
                                                        const std::string& loc,
                                                        bool machine_jsonata) {
  const json::object* obj = v.if_object();
  if (obj == nullptr) {
    return absl::InvalidArgumentError("expected an object at " + loc);
  }
  auto scope = std::make_shared<Scope>();
  const json::value* start = obj->if_contains("StartAt");
  if (start == nullptr || !start->is_string()) {
    return absl::InvalidArgumentError("missing StartAt at " + loc);
  }
  scope->start_at = std::string(start->get_string());
  const json::value* states = obj->if_contains("States");
  const json::object* so = states == nullptr ? nullptr : states->if_object();
  if (so == nullptr || so->empty()) {
    return absl::InvalidArgumentError("missing States at " + loc);
  }
  for (const auto& kv : *so) {
    std::string name(kv.key());
    SW_ASSIGN_OR_RETURN(State s, ParseState(name, kv.value(),
                                            absl::StrCat(loc, "/States/", name),
                                            machine_jsonata));
    scope->index[name] = static_cast<int>(scope->states.size());
    scope->states.push_back(std::move(s));
  }
  SW_RETURN_IF_ERROR(ResolveTarget(*scope, scope->start_at, &scope->start_index,
                                   loc + "/StartAt"));
  for (State& s : scope->states) {
    std::string sloc = absl::StrCat(loc, "/States/", s.name);
    if (!s.next.empty()) {
      SW_RETURN_IF_ERROR(ResolveTarget(*scope, s.next, &s.next_index, sloc + "/Next"));
    }
    for (Catcher& c : s.catchers) {
      SW_RETURN_IF_ERROR(ResolveTarget(*scope, c.next, &c.next_index, sloc + "/Catch"));
    }
    for (ChoiceRule& r : s.choices) {
      SW_RETURN_IF_ERROR(ResolveTarget(*scope, r.next, &r.next_index, sloc + "/Choices"));
    }
    if (!s.default_next.empty()) {
      SW_RETURN_IF_ERROR(ResolveTarget(*scope, s.default_next, &s.default_index,
                                       sloc + "/Default"));
    }
  }
  return std::shared_ptr<const Scope>(std::move(scope));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const StateMachine>> ParseStateMachine(
    const json::value& definition) {
  const json::object* obj = definition.if_object();
  if (obj == nullptr) {
    return absl::InvalidArgumentError("the definition must be a JSON object");
  }
  bool jsonata = false;
  if (const json::value* ql = obj->if_contains("QueryLanguage")) {
    jsonata = ql->is_string() && ql->get_string() == "JSONata";
  }
  auto sm = std::make_shared<StateMachine>();
  SW_ASSIGN_OR_RETURN(sm->root, ParseScope(definition, "", jsonata));
  Fields f(*obj, "");
  SW_ASSIGN_OR_RETURN(sm->timeout_seconds, f.Int("TimeoutSeconds"));
  SW_ASSIGN_OR_RETURN(auto comment, f.String("Comment"));
  if (comment) sm->comment = *comment;
  sm->definition = definition;
  return std::shared_ptr<const StateMachine>(std::move(sm));
}

}  // namespace stepwise::asl
