// The rules of each ASL state type, as the Validator checks them: Task
// (Resource against task_integrations.h, timeouts, Credentials), Retry and Catch, Choice rules, Wait,
// Fail, Parallel, and Map with ItemReader, ItemBatcher and ResultWriter.
// Internal to the validator (see validator_internal.h); pure and thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asl/task_integrations.h"
#include "asl/validator_internal.h"

namespace stepwise::asl::validator_internal {

void Validator::ValidateTask(const json::object& st, const std::string& loc,
                             Lang lang) {
  const json::value* res = st.if_contains("Resource");
  if (res == nullptr) {
    Error(kSchema, "These fields are required: [Resource]", loc);
  } else if (const json::string* s = res->if_string()) {
    std::optional<TaskResourceShape> shape = CheckTaskResource(Sv(*s), Join(loc, "Resource"));
    if (shape.has_value() && shape->kind == TaskResourceKind::kHttp) {
      CheckHttpTask(st, loc, lang);
    }
  } else {
    Error(kSchema, "Resource must be a string", Join(loc, "Resource"));
  }
  if (lang == Lang::kJsonPath) {
    if (const json::value* p = st.if_contains("Parameters")) {
      CheckTemplate(*p, Join(loc, "Parameters"));
    }
    if (const json::value* rs = st.if_contains("ResultSelector")) {
      CheckResultSelector(*rs, Join(loc, "ResultSelector"));
    }
  }
  CheckInteger(st, "TimeoutSeconds", loc, lang, 1, kMaxSeconds);
  CheckInteger(st, "HeartbeatSeconds", loc, lang, 1, kMaxSeconds);
  CheckPathField(st, "TimeoutSecondsPath", loc, lang, false);
  CheckPathField(st, "HeartbeatSecondsPath", loc, lang, false);
  Exclusive(st, "TimeoutSeconds", "TimeoutSecondsPath", loc);
  Exclusive(st, "HeartbeatSeconds", "HeartbeatSecondsPath", loc);
  const json::value* t = st.if_contains("TimeoutSeconds");
  const json::value* h = st.if_contains("HeartbeatSeconds");
  int64_t tn = 0, hn = 0;
  if (t && h && AsInteger(*t, tn) && AsInteger(*h, hn) && hn >= tn) {
    Error(kSchema, "HeartbeatSeconds must be smaller than TimeoutSeconds",
          Join(loc, "HeartbeatSeconds"));
  }
  if (const json::value* c = st.if_contains("Credentials")) {
    CheckCredentials(*c, Join(loc, "Credentials"), lang);
  }
}

// Credentials: {"RoleArn": "..."} (a literal, or in JSONata a "{% %}"
// expression) or, in JSONPath, {"RoleArn.$": path or intrinsic}. AWS reports
// a missing RoleArn as "The field 'RoleArn' is required but was missing" at
// .../Credentials, whatever else the object holds.
void Validator::CheckCredentials(const json::value& v, const std::string& at,
                                 Lang lang) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "Credentials must be a JSON object", at);
    return;
  }
  const json::value* literal = o->if_contains("RoleArn");
  bool dynamic = lang == Lang::kJsonPath && o->contains("RoleArn.$");
  if (literal == nullptr && !dynamic) {
    Error(kSchema, "The field 'RoleArn' is required but was missing", at);
  }
  if (literal != nullptr && !literal->is_string()) {
    Error(kSchema, "The value for the field 'RoleArn' must be a STRING",
          Join(at, "RoleArn"));
  }
  // The JSONPath template rules: "RoleArn.$" holds a path or an intrinsic,
  // and RoleArn and RoleArn.$ may not both be given.
  if (lang == Lang::kJsonPath) CheckTemplate(v, at);
}

void Validator::CheckResultSelector(const json::value& v, const std::string& at) {
  if (!v.is_object()) {
    Error(kSchema, "ResultSelector must be a JSON object", at);
    return;
  }
  CheckTemplate(v, at);
}

bool Validator::IsArnShaped(std::string_view r) {
  // arn:partition:service:region:account:resource
  size_t colons = 0;
  for (char c : r) colons += c == ':';
  return r.substr(0, 4) == "arn:" && colons >= 5;
}

std::optional<TaskResourceShape> Validator::CheckTaskResource(std::string_view r,
                                                             const std::string& at) {
  if (!IsArnShaped(r)) {
    Error(kInvalidResource, "Value is not a valid resource ARN", at);
    return std::nullopt;
  }
  std::optional<TaskResourceShape> shape = RecognizeTaskResource(r);
  if (!shape.has_value() ||
      (options_.unrecognized_resource && options_.unrecognized_resource(r))) {
    Error(kSchema,
          Cat("The resource provided ", r,
              " is not recognized. The value is not a valid resource ARN, or "
              "the resource is not available in this region."),
          at);
    return std::nullopt;
  }
  if (express_) {
    // AWS's words, the trailing space of the .waitForTaskToken one included.
    if (shape->kind == TaskResourceKind::kActivity) {
      Error(kSchema, "Express state machine does not support Activity ARN", at);
      return shape;
    }
    if (shape->pattern == IntegrationPattern::kSync ||
        shape->pattern == IntegrationPattern::kSync2) {
      Error(kSchema,
            "Express state machine does not support '.sync' service integration",
            at);
      return shape;
    }
    if (shape->pattern == IntegrationPattern::kWaitForTaskToken) {
      Error(kSchema,
            "Express state machine does not support '.waitForTaskToken' service "
            "integration ",
            at);
      return shape;
    }
  }
  // Only about a resource the machine may use.
  CheckRunnable(r, *shape, at);
  return shape;
}

void Validator::CheckRunnable(std::string_view r, const TaskResourceShape& shape,
                              const std::string& at) {
  if (!options_.why_not_runnable || shape.kind == TaskResourceKind::kActivity ||
      shape.kind == TaskResourceKind::kLambdaFunction) {
    return;
  }
  std::string why = options_.why_not_runnable(r);
  if (why.empty()) return;
  Warning(kNotRunnable,
          Cat(why, "; the Task fails with States.TaskFailed when it runs"), at);
}

void Validator::CheckResource(std::string_view r, const std::string& at) {
  if (!IsArnShaped(r)) {
    Error(kInvalidResource, "Value is not a valid resource ARN", at);
    return;
  }
  if (!express_) return;
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= r.size(); ++i) {
    if (i == r.size() || r[i] == ':') {
      parts.push_back(r.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() >= 6 && parts[2] == "states" && parts[5] == "activity") {
    Error(kSchema, "Express state machine does not support Activity ARN",
          at);
    return;
  }
  auto contains = [&](std::string_view needle) {
    return r.find(needle) != std::string_view::npos;
  };
  if (parts.size() >= 3 && parts[2] == "states") {
    std::string_view last = r.substr(r.rfind(':') + 1);
    if (contains(".sync")) {
      Error(kSchema,
            "Express state machine does not support '.sync' service "
            "integration",
            at);
    } else if (last.size() >= 17 &&
               last.substr(last.size() - 17) == ".waitForTaskToken") {
      Error(kSchema,
            "Express state machine does not support '.waitForTaskToken' "
            "service integration ",
            at);
    }
  }
}

// Checks ErrorEquals; returns true when it holds States.ALL.
bool Validator::CheckErrorEquals(const json::object& o, const std::string& at) {
  const json::value* ee = o.if_contains("ErrorEquals");
  if (ee == nullptr) {
    Error(kSchema, "These fields are required: [ErrorEquals]", at);
    return false;
  }
  const json::array* arr = ee->if_array();
  if (arr == nullptr || arr->empty()) {
    Error(kSchema, "ErrorEquals must be a non-empty array of strings",
          Join(at, "ErrorEquals"));
    return false;
  }
  bool has_all = false;
  for (const json::value& e : *arr) {
    const json::string* s = e.if_string();
    if (s == nullptr) {
      Error(kSchema, "ErrorEquals must be a non-empty array of strings",
            Join(at, "ErrorEquals"));
      return false;
    }
    if (Sv(*s) == "States.ALL") has_all = true;
  }
  if (has_all && arr->size() > 1) {
    Error(kSchema,
          "States.ALL must appear alone in ErrorEquals",
          Join(at, "ErrorEquals"));
  }
  return has_all;
}

void Validator::ValidateRetryCatch(const json::object& st, const std::string& loc,
                                   Lang lang, std::vector<Transition>& out) {
  if (const json::value* r = st.if_contains("Retry")) {
    std::string at = Join(loc, "Retry");
    const json::array* arr = r->if_array();
    if (arr == nullptr) {
      Error(kSchema, "Retry must be an array", at);
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        std::string ra = Join(at, std::to_string(i));
        const json::object* o = (*arr)[i].if_object();
        if (o == nullptr) {
          Error(kSchema, "A retrier must be a JSON object", ra);
          continue;
        }
        for (const auto& kv : *o) {
          std::string_view k = Sv(kv.key());
          if (k != "ErrorEquals" && k != "IntervalSeconds" &&
              k != "MaxAttempts" && k != "BackoffRate" &&
              k != "MaxDelaySeconds" && k != "JitterStrategy" &&
              k != "Comment") {
            UnknownField(k, ra);
          }
        }
        if (CheckErrorEquals(*o, ra) && i + 1 != arr->size()) {
          Error(kSchema, "States.ALL must appear in the last retrier",
                Join(ra, "ErrorEquals"));
        }
        CheckInteger(*o, "IntervalSeconds", ra, Lang::kJsonPath, 1,
                     kMaxSeconds);
        CheckInteger(*o, "MaxAttempts", ra, Lang::kJsonPath, 0, kMaxSeconds);
        CheckInteger(*o, "MaxDelaySeconds", ra, Lang::kJsonPath, 1,
                     kMaxDelaySeconds);
        if (const json::value* b = o->if_contains("BackoffRate")) {
          if (!IsNumber(*b) || ToDouble(*b) < 1.0) {
            Error(kSchema, "BackoffRate must be a number >= 1.0",
                  Join(ra, "BackoffRate"));
          }
        }
        if (const json::value* j = o->if_contains("JitterStrategy")) {
          const json::string* s = j->if_string();
          if (s == nullptr || (Sv(*s) != "FULL" && Sv(*s) != "NONE")) {
            Error(kSchema, "JitterStrategy must be FULL or NONE",
                  Join(ra, "JitterStrategy"));
          }
        }
        CheckComment(*o, ra);
      }
    }
  }
  if (const json::value* c = st.if_contains("Catch")) {
    std::string at = Join(loc, "Catch");
    const json::array* arr = c->if_array();
    if (arr == nullptr) {
      Error(kSchema, "Catch must be an array", at);
      return;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string ca = Join(at, std::to_string(i));
      const json::object* o = (*arr)[i].if_object();
      if (o == nullptr) {
        Error(kSchema, "A catcher must be a JSON object", ca);
        continue;
      }
      for (const auto& kv : *o) {
        std::string_view k = Sv(kv.key());
        if (k == "ErrorEquals" || k == "Next" || k == "Comment" ||
            k == "Assign") {
          continue;
        }
        if (k == "ResultPath" || k == "Output") {
          FieldKind kind = k == "Output" ? FieldKind::kJsonataOnly : FieldKind::kJsonPathOnly;
          if (!FieldMatchesLang(kind, lang)) WrongLanguageField(k, lang, ca);
          continue;
        }
        UnknownField(k, ca);
      }
      if (CheckErrorEquals(*o, ca) && i + 1 != arr->size()) {
        Error(kSchema, "States.ALL must appear in the last catcher",
              Join(ca, "ErrorEquals"));
      }
      const json::value* next = o->if_contains("Next");
      if (next == nullptr) {
        Error(kSchema, "These fields are required: [Next]", ca);
      } else if (const json::string* n = next->if_string()) {
        out.push_back({std::string(Sv(*n)), Join(ca, "Next"), "Next"});
      } else {
        Error(kSchema, "Next must be a string", Join(ca, "Next"));
      }
      CheckResultPath(*o, ca, lang);
      if (const json::value* a = o->if_contains("Assign")) {
        CheckAssign(*a, Join(ca, "Assign"), lang);
      }
      CheckComment(*o, ca);
    }
  }
}

void Validator::ValidateChoice(const json::object& st, const std::string& loc,
                               Lang lang, std::vector<Transition>& out) {
  const json::value* choices = st.if_contains("Choices");
  std::string at = Join(loc, "Choices");
  if (choices == nullptr) {
    Error(kSchema, "These fields are required: [Choices]", loc);
  } else if (const json::array* arr = choices->if_array();
             arr == nullptr || arr->empty()) {
    Error(kSchema, "Choices must be a non-empty array", at);
  } else {
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string ra = Join(at, std::to_string(i));
      const json::object* rule = (*arr)[i].if_object();
      if (rule == nullptr) {
        Error(kSchema, "A Choice rule must be a JSON object", ra);
        continue;
      }
      const json::value* next = rule->if_contains("Next");
      if (next == nullptr) {
        Error(kSchema, "These fields are required: [Next]", ra);
      } else if (const json::string* n = next->if_string()) {
        out.push_back({std::string(Sv(*n)), Join(ra, "Next"), "Next"});
      } else {
        Error(kSchema, "Next must be a string", Join(ra, "Next"));
      }
      if (const json::value* a = rule->if_contains("Assign")) {
        CheckAssign(*a, Join(ra, "Assign"), lang);
      }
      ValidateRule(*rule, ra, lang, /*top=*/true);
    }
  }
  if (const json::value* d = st.if_contains("Default")) {
    if (const json::string* n = d->if_string()) {
      out.push_back({std::string(Sv(*n)), Join(loc, "Default"), "Default"});
    } else {
      Error(kSchema, "Default must be a string", Join(loc, "Default"));
    }
  }
}

void Validator::ValidateRule(const json::object& rule, const std::string& at, Lang lang,
                             bool top) {
  const auto& ops = ChoiceOperators();
  if (lang == Lang::kJsonata) {
    for (const auto& kv : rule) {
      std::string_view k = Sv(kv.key());
      if (k == "Condition" || k == "Comment" ||
          (top && (k == "Next" || k == "Assign" || k == "Output"))) {
        continue;
      }
      if (k == "Variable" || k == "And" || k == "Or" || k == "Not" ||
          ops.count(k) > 0) {
        WrongLanguageField(k, lang, at);
      } else {
        UnknownField(k, at);
      }
    }
    const json::value* cond = rule.if_contains("Condition");
    if (cond == nullptr) {
      Error(kSchema, "These fields are required: [Condition]", at);
    } else if (!cond->is_bool() && !IsJsonataExpression(*cond)) {
      Error(kSchema,
            "Condition must be a boolean or a JSONata expression",
            Join(at, "Condition"));
    }
    return;
  }

  int operators = 0;
  bool has_variable = false;
  for (const auto& kv : rule) {
    std::string_view k = Sv(kv.key());
    std::string ka = Join(at, k);
    if (k == "Comment") continue;
    if (top && (k == "Next" || k == "Assign")) continue;
    if (k == "Condition" || k == "Output") {
      WrongLanguageField(k, lang, at);
      continue;
    }
    if (k == "Variable") {
      has_variable = true;
      const json::string* s = kv.value().if_string();
      if (s == nullptr || !IsValidPath(Sv(*s))) {
        Error(kSchema,
              "The value for the field 'Variable' must be a valid JSONPath",
              ka);
      }
      continue;
    }
    if (k == "And" || k == "Or") {
      ++operators;
      const json::array* arr = kv.value().if_array();
      if (arr == nullptr || arr->empty()) {
        Error(kSchema,
              Cat(k,
                           " must be a non-empty array of rules"),
              ka);
        continue;
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        const json::object* sub = (*arr)[i].if_object();
        std::string sa = Join(ka, std::to_string(i));
        if (sub == nullptr) {
          Error(kSchema, "A Choice rule must be a JSON object", sa);
        } else {
          ValidateRule(*sub, sa, lang, false);
        }
      }
      continue;
    }
    if (k == "Not") {
      ++operators;
      const json::object* sub = kv.value().if_object();
      if (sub == nullptr) {
        Error(kSchema, "Not must hold one rule", ka);
      } else {
        ValidateRule(*sub, ka, lang, false);
      }
      continue;
    }
    auto op = ops.find(k);
    if (op == ops.end()) {
      UnknownField(k, at);
      continue;
    }
    ++operators;
    const json::value& v = kv.value();
    bool ok = true;
    switch (op->second) {
      case OpKind::kString:
        ok = v.is_string();
        break;
      case OpKind::kNumber:
        ok = IsNumber(v);
        break;
      case OpKind::kBoolean:
      case OpKind::kTypeTest:
        ok = v.is_bool();
        break;
      case OpKind::kTimestamp:
        ok = v.is_string() && IsRfc3339(Sv(v.get_string()));
        break;
      case OpKind::kPath:
        ok = v.is_string() && IsValidPath(Sv(v.get_string()));
        break;
    }
    if (!ok) {
      Error(kSchema,
            Cat("Invalid value for the operator '",
                         k, "'"),
            ka);
    }
  }
  const bool combinator = rule.contains("And") || rule.contains("Or") ||
                          rule.contains("Not");
  if (operators != 1) {
    Error(kSchema,
          "A Choice rule must have exactly one comparison operator or one "
          "of And, Or, Not",
          at);
  } else if (combinator && has_variable) {
    Error(kSchema, "A rule with And, Or or Not cannot have a Variable", at);
  } else if (!combinator && !has_variable) {
    Error(kSchema, "These fields are required: [Variable]", at);
  }
}

void Validator::ValidateWait(const json::object& st, const std::string& loc,
                             Lang lang) {
  int count = 0;
  for (std::string_view k :
       {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) {
    count += st.contains(k) ? 1 : 0;
  }
  if (count != 1) {
    Error(kSchema,
          "Exactly one of Seconds, Timestamp, SecondsPath or TimestampPath "
          "is required",
          loc);
  }
  CheckInteger(st, "Seconds", loc, lang, 0, kMaxSeconds);
  if (const json::value* ts = st.if_contains("Timestamp")) {
    bool ok = (lang == Lang::kJsonata && IsJsonataExpression(*ts)) ||
              (ts->is_string() && IsRfc3339(Sv(ts->get_string())));
    if (!ok) {
      Error(kSchema, "String does not match RFC3339 timestamp",
            Join(loc, "Timestamp"));
    }
  }
  CheckPathField(st, "SecondsPath", loc, lang, false);
  CheckPathField(st, "TimestampPath", loc, lang, false);
}

void Validator::ValidateFail(const json::object& st, const std::string& loc,
                             Lang lang) {
  Exclusive(st, "Error", "ErrorPath", loc);
  Exclusive(st, "Cause", "CausePath", loc);
  for (std::string_view k : {"Error", "Cause"}) {
    const json::value* v = st.if_contains(k);
    if (v != nullptr && !v->is_string()) {
      Error(kSchema,
            Cat(k,
                         " must be a string"),
            Join(loc, k));
    }
  }
  if (lang != Lang::kJsonPath) return;
  for (std::string_view k : {"ErrorPath", "CausePath"}) {
    const json::value* v = st.if_contains(k);
    if (v == nullptr) continue;
    const json::string* s = v->if_string();
    if (s == nullptr || !IsValidPathOrIntrinsic(Sv(*s))) {
      Error(kSchema,
            Cat("The value for the field '",
                         k,
                         "' must be a valid JSONPath or a valid intrinsic "
                         "function call"),
            Join(loc, k));
    }
  }
}

void Validator::ValidateSubMachine(const json::value& v, const std::string& at,
                                   bool processor) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "Must be a JSON object with StartAt and States", at);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (k == "StartAt" || k == "States" || k == "Comment") continue;
    if (processor && k == "ProcessorConfig") {
      ValidateProcessorConfig(kv.value(), Join(at, k));
      continue;
    }
    UnknownField(k, at);
  }
  CheckComment(*o, at);
  // A Distributed Map's EXPRESS child workflows are Express executions:
  // they refuse what an EXPRESS machine refuses (activities, .sync,
  // .waitForTaskToken).
  bool express_child = false;
  if (const json::value* pc = processor ? o->if_contains("ProcessorConfig") : nullptr) {
    if (const json::object* pco = pc->if_object()) {
      const json::value* et = pco->if_contains("ExecutionType");
      express_child = et != nullptr && et->is_string() && Sv(et->get_string()) == "EXPRESS";
    }
  }
  bool was_express = express_;
  express_ = express_ || express_child;
  ValidateStatesBlock(*o, at);
  express_ = was_express;
}

void Validator::ValidateProcessorConfig(const json::value& v, const std::string& at) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "ProcessorConfig must be a JSON object", at);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    const json::string* s = kv.value().if_string();
    if (k == "Mode") {
      if (s == nullptr || (Sv(*s) != "INLINE" && Sv(*s) != "DISTRIBUTED")) {
        Error(kSchema, "Mode must be INLINE or DISTRIBUTED", Join(at, k));
      }
    } else if (k == "ExecutionType") {
      if (s == nullptr || (Sv(*s) != "STANDARD" && Sv(*s) != "EXPRESS")) {
        Error(kSchema, "ExecutionType must be STANDARD or EXPRESS",
              Join(at, k));
      }
    } else {
      UnknownField(k, at);
    }
  }
}

void Validator::ValidateParallel(const json::object& st, const std::string& loc,
                                 Lang lang) {
  const json::value* b = st.if_contains("Branches");
  std::string at = Join(loc, "Branches");
  if (b == nullptr) {
    Error(kSchema, "These fields are required: [Branches]", loc);
  } else if (const json::array* arr = b->if_array(); arr == nullptr) {
    Error(kSchema, "Branches must be a non-empty array", at);
  } else if (arr->empty()) {
    Error(kSchema, "Value cannot be empty", at);  // AWS's words
  } else {
    for (size_t i = 0; i < arr->size(); ++i) {
      ValidateSubMachine((*arr)[i], Join(at, std::to_string(i)), false);
    }
  }
  if (lang == Lang::kJsonPath) {
    if (const json::value* p = st.if_contains("Parameters")) {
      CheckTemplate(*p, Join(loc, "Parameters"));
    }
    if (const json::value* rs = st.if_contains("ResultSelector")) {
      CheckResultSelector(*rs, Join(loc, "ResultSelector"));
    }
  }
}

void Validator::ValidateMap(const json::object& st, const std::string& loc, Lang lang) {
  const json::value* proc = st.if_contains("ItemProcessor");
  const json::value* iter = st.if_contains("Iterator");
  if (proc != nullptr && iter != nullptr) {
    Error(kSchema, "Only one of ItemProcessor or Iterator can be set", loc);
  } else if (proc == nullptr && iter == nullptr) {
    Error(kSchema, "These fields are required: [ItemProcessor]", loc);
  }
  if (proc != nullptr) {
    ValidateSubMachine(*proc, Join(loc, "ItemProcessor"), true);
  }
  if (iter != nullptr) {
    ValidateSubMachine(*iter, Join(loc, "Iterator"), true);
  }
  CheckPathField(st, "ItemsPath", loc, lang, false);
  if (lang == Lang::kJsonPath) {
    for (std::string_view k : {"ItemSelector", "Parameters"}) {
      if (const json::value* p = st.if_contains(k)) {
        CheckTemplate(*p, Join(loc, k));
      }
    }
    if (const json::value* rs = st.if_contains("ResultSelector")) {
      CheckResultSelector(*rs, Join(loc, "ResultSelector"));
    }
  }
  Exclusive(st, "ItemSelector", "Parameters", loc);
  if (const json::value* items = st.if_contains("Items")) {
    if (!items->is_array() && !IsJsonataExpression(*items)) {
      Error(kSchema, "Items must be an array or a JSONata expression",
            Join(loc, "Items"));
    }
  }
  CheckInteger(st, "MaxConcurrency", loc, lang, 0, INT32_MAX);
  CheckInteger(st, "ToleratedFailureCount", loc, lang, 0, INT64_MAX);
  if (const json::value* p = st.if_contains("ToleratedFailurePercentage")) {
    bool ok = (lang == Lang::kJsonata && IsJsonataExpression(*p)) ||
              (IsNumber(*p) && ToDouble(*p) >= 0 && ToDouble(*p) <= 100);
    if (!ok) {
      Error(kSchema,
            "ToleratedFailurePercentage must be a number between 0 and 100",
            Join(loc, "ToleratedFailurePercentage"));
    }
  }
  for (std::string_view k :
       {"MaxConcurrencyPath", "ToleratedFailurePercentagePath",
        "ToleratedFailureCountPath"}) {
    CheckPathField(st, k, loc, lang, false);
  }
  Exclusive(st, "MaxConcurrency", "MaxConcurrencyPath", loc);
  Exclusive(st, "ToleratedFailureCount", "ToleratedFailureCountPath", loc);
  Exclusive(st, "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath", loc);
  if (const json::value* l = st.if_contains("Label")) {
    CheckLabel(*l, Join(loc, "Label"));
  }
  if (const json::value* r = st.if_contains("ItemReader")) {
    ValidateItemReader(*r, Join(loc, "ItemReader"), lang);
  }
  if (const json::value* b = st.if_contains("ItemBatcher")) {
    ValidateItemBatcher(*b, Join(loc, "ItemBatcher"), lang);
  }
  if (const json::value* w = st.if_contains("ResultWriter")) {
    ValidateResultWriter(*w, Join(loc, "ResultWriter"), lang);
  }
}

void Validator::CheckLabel(const json::value& v, const std::string& at) {
  const json::string* s = v.if_string();
  if (s == nullptr) {
    Error(kSchema, "Label must be a string", at);
    return;
  }
  std::vector<uint32_t> cps = DecodeUtf8(Sv(*s));
  if (cps.empty()) {
    Error(kSchema, "Label cannot be empty", at);
  } else if (cps.size() > kMaxLabelChars) {
    Error(kSchema,
          Cat("Label cannot exceed ", kMaxLabelChars,
                       " characters"),
          at);
  } else {
    for (uint32_t cp : cps) {
      if (IsForbiddenNameChar(cp)) {
        Error(kSchema, "Label contains an invalid character", at);
        break;
      }
    }
  }
}

// Resource + Parameters/Arguments shared by ItemReader and ResultWriter.
void Validator::CheckIoResource(const json::object& o, const std::string& at,
                                Lang lang, std::initializer_list<std::string_view> actions) {
  const json::value* res = o.if_contains("Resource");
  if (res == nullptr) {
    Error(kSchema, "These fields are required: [Resource]", at);
  } else if (const json::string* s = res->if_string()) {
    CheckResource(Sv(*s), Join(at, "Resource"));
    // Any partition (arn:aws:, arn:aws-cn:, ...); only these S3 actions.
    std::string_view r = Sv(*s);
    bool allowed = false;
    std::string names;
    for (std::string_view a : actions) {
      allowed = allowed || (r.starts_with("arn:") && r.ends_with(a));
      names += Cat(names.empty() ? "" : " or ", "arn:aws", a);
    }
    if (IsArnShaped(r) && !allowed) {
      Error(kSchema, Cat("The value for the 'Resource' field is not valid: expected ", names),
            Join(at, "Resource"));
    }
  } else {
    Error(kSchema, "Resource must be a string", Join(at, "Resource"));
  }
  if (const json::value* p = o.if_contains("Parameters")) {
    if (lang == Lang::kJsonata) {
      WrongLanguageField("Parameters", lang, at);
    } else {
      CheckTemplate(*p, Join(at, "Parameters"));
    }
  }
  if (o.contains("Arguments") && lang == Lang::kJsonPath) {
    WrongLanguageField("Arguments", lang, at);
  }
}

void Validator::CheckOneOf(const json::object& o, std::string_view key,
                           std::initializer_list<std::string_view> allowed,
                           const std::string& at, Lang lang) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || (lang == Lang::kJsonata && IsJsonataExpression(*v))) return;
  const json::string* s = v->if_string();
  std::string names;
  for (std::string_view a : allowed) {
    if (s != nullptr && Sv(*s) == a) return;
    names += Cat(names.empty() ? "" : ", ", a);
  }
  Error(kSchema, Cat("The value for the '", key, "' field is not valid: expected one of [",
                     names, "]"),
        Join(at, key));
}

void Validator::ValidateItemReader(const json::value& v, const std::string& at,
                                   Lang lang) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "ItemReader must be a JSON object", at);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (k != "Resource" && k != "Parameters" && k != "Arguments" &&
        k != "ReaderConfig") {
      UnknownField(k, at);
    }
  }
  CheckIoResource(*o, at, lang, {":states:::s3:getObject", ":states:::s3:listObjectsV2"});
  if (const json::value* rc = o->if_contains("ReaderConfig")) {
    std::string ra = Join(at, "ReaderConfig");
    const json::object* c = rc->if_object();
    if (c == nullptr) {
      Error(kSchema, "ReaderConfig must be a JSON object", ra);
      return;
    }
    for (const auto& kv : *c) {
      std::string_view k = Sv(kv.key());
      if (k == "MaxItemsPath" && lang == Lang::kJsonata) {
        WrongLanguageField(k, lang, ra);
      } else if (k != "InputType" && k != "CSVHeaderLocation" &&
                 k != "CSVHeaders" && k != "CSVDelimiter" &&
                 k != "MaxItems" && k != "MaxItemsPath" &&
                 k != "ManifestType" && k != "ItemsPointer") {
        UnknownField(k, ra);
      }
    }
    // ItemsPointer: a JSON Pointer to the array inside a JSON object read
    // from S3 (engine/map_run/item_reader_config.cc checks it further).
    if (const json::value* p = c->if_contains("ItemsPointer")) {
      if (!p->is_string() || !Sv(p->get_string()).starts_with("/")) {
        Error(kSchema, "ItemsPointer must be a JSON Pointer string starting with '/'",
              Join(ra, "ItemsPointer"));
      }
    }
    CheckOneOf(*c, "InputType", {"CSV", "JSON", "JSONL", "MANIFEST"}, ra, lang);
    CheckOneOf(*c, "CSVHeaderLocation", {"FIRST_ROW", "GIVEN"}, ra, lang);
    CheckOneOf(*c, "CSVDelimiter", {"COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"}, ra, lang);
    if (const json::value* h = c->if_contains("CSVHeaders");
        h != nullptr && !(lang == Lang::kJsonata && IsJsonataExpression(*h))) {
      const json::array* a = h->if_array();
      bool strings = a != nullptr && !a->empty();
      for (size_t i = 0; strings && i < a->size(); ++i) strings = (*a)[i].is_string();
      if (!strings) {
        Error(kSchema, "CSVHeaders must be a non-empty array of strings",
              Join(ra, "CSVHeaders"));
      }
    }
    Exclusive(*c, "MaxItems", "MaxItemsPath", ra);
    // AWS's limit (engine/map_run/item_reader_config.h kMaxItemsLimit).
    CheckInteger(*c, "MaxItems", ra, lang, 0, 100000000);
    CheckPathField(*c, "MaxItemsPath", ra, lang, false);
  }
}

void Validator::ValidateItemBatcher(const json::value& v, const std::string& at,
                                    Lang lang) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "ItemBatcher must be a JSON object", at);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    bool path = k == "MaxItemsPerBatchPath" ||
                k == "MaxInputBytesPerBatchPath";
    if (path && lang == Lang::kJsonata) {
      WrongLanguageField(k, lang, at);
    } else if (!path && k != "MaxItemsPerBatch" &&
               k != "MaxInputBytesPerBatch" && k != "BatchInput") {
      UnknownField(k, at);
    }
  }
  Exclusive(*o, "MaxItemsPerBatch", "MaxItemsPerBatchPath", at);
  Exclusive(*o, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", at);
  CheckInteger(*o, "MaxItemsPerBatch", at, lang, 1, INT64_MAX);
  CheckInteger(*o, "MaxInputBytesPerBatch", at, lang, 1, INT64_MAX);
  CheckPathField(*o, "MaxItemsPerBatchPath", at, lang, false);
  CheckPathField(*o, "MaxInputBytesPerBatchPath", at, lang, false);
  if (lang == Lang::kJsonPath) {
    if (const json::value* bi = o->if_contains("BatchInput")) {
      CheckTemplate(*bi, Join(at, "BatchInput"));
    }
  }
}

void Validator::ValidateResultWriter(const json::value& v, const std::string& at,
                                     Lang lang) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "ResultWriter must be a JSON object", at);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (k != "Resource" && k != "Parameters" && k != "Arguments" &&
        k != "WriterConfig") {
      UnknownField(k, at);
    }
  }
  if (o->contains("Resource") || o->contains("Parameters") ||
      o->contains("Arguments")) {
    CheckIoResource(*o, at, lang, {":states:::s3:putObject"});
  }
  if (const json::value* wc = o->if_contains("WriterConfig")) {
    std::string wa = Join(at, "WriterConfig");
    const json::object* c = wc->if_object();
    if (c == nullptr) {
      Error(kSchema, "WriterConfig must be a JSON object", wa);
      return;
    }
    for (const auto& kv : *c) {
      std::string_view k = Sv(kv.key());
      if (k != "OutputType" && k != "Transformation") UnknownField(k, wa);
    }
    CheckOneOf(*c, "OutputType", {"JSON", "JSONL"}, wa, lang);
    CheckOneOf(*c, "Transformation", {"NONE", "COMPACT", "FLATTEN"}, wa, lang);
  }
}

}  // namespace stepwise::asl::validator_internal
