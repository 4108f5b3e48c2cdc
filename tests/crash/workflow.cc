// The crash harnesses' torture workflow (workflow.h).
#include "tests/crash/workflow.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace stepwise::crash {
namespace {

constexpr char kPrefix[] = "arn:aws:states:us-east-1:123456789012:";

// `"by":"<nonce>"` after a comma, or nothing without a nonce.
std::string By(const std::string& nonce) {
  return nonce.empty() ? "" : absl::StrCat(R"(,"by":")", nonce, R"(")");
}

}  // namespace

std::string Workflow::ActivityArn() const {
  return absl::StrCat(kPrefix, "activity:", o_.activity_name);
}
std::string Workflow::MachineArn() const {
  return absl::StrCat(kPrefix, "stateMachine:", o_.machine_name);
}
std::string Workflow::ExecName(int i) { return absl::StrCat("exec-", i); }
std::string Workflow::ExecArn(int i) const {
  return absl::StrCat(kPrefix, "execution:", o_.machine_name, ":", ExecName(i));
}

std::string Workflow::Definition() const {
  const std::string act = ActivityArn();
  const bool beats = o_.heartbeat_seconds > 0;
  const std::string timeouts =
      beats ? R"J(["States.Timeout","States.HeartbeatTimeout"])J" : R"J(["States.Timeout"])J";
  const std::string timeout_retry =
      absl::StrCat(R"J({"ErrorEquals":)J", timeouts,
                   R"J(,"IntervalSeconds":1,"MaxAttempts":)J", o_.timeout_max_attempts,
                   R"J(,"BackoffRate":1.0})J");
  // A task handed out by a life that died before its reply left is given up
  // by its timeout (or heartbeat timeout) and retried.
  const std::string retry = absl::StrCat(
      R"J("Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":3,"BackoffRate":1.0},
                  )J",
      timeout_retry, "]");
  const std::string timing = absl::StrCat(
      R"J("TimeoutSeconds":)J", o_.task_timeout_seconds, ",",
      beats ? absl::StrCat(R"J("HeartbeatSeconds":)J", o_.heartbeat_seconds, ",") : "");
  const std::string names_task = R"J(,"exec.$":"$$.Execution.Name","state.$":"$$.State.Name")J";
  return absl::StrCat(R"J({"Comment":")J", o_.comment, R"J(","StartAt":"P1","States":{
  "P1":{"Type":"Pass","Result":"p1","ResultPath":"$.p1","Next":"P2"},
  "P2":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.n, 100)"},"ResultPath":"$.p2","Next":"Route"},
  "Route":{"Type":"Choice","Choices":[
)J",
      o_.hold ? R"J(      {"Variable":"$.hold","BooleanEquals":true,"Next":"Hold"},
)J" : "",
      R"J(      {"Variable":"$.kind","NumericEquals":0,"Next":"Sleep"},
      {"Variable":"$.kind","NumericEquals":1,"Next":"Work"}],"Default":"Fan"},
)J",
      o_.hold ? R"J(  "Hold":{"Type":"Wait","Seconds":86400,"Next":"Done"},
)J" : "",
      R"J(  "Sleep":{"Type":"Wait","Seconds":1,"Next":"Work"},
  "Work":{"Type":"Task","Resource":")J", act, R"J(",
      "Parameters":{"n.$":"$.n","op":"square","failFirst.$":"$.failFirst")J", names_task, R"J(},
      )J", timing, R"J("ResultPath":"$.work",)J", retry, R"J(,"Next":"Fan"},
  "Fan":{"Type":"Map","ItemsPath":"$.items",
      "ItemSelector":{"i.$":"$$.Map.Item.Value","n.$":"$.n"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"MAdd","States":{
        "MAdd":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($.i, $.n)"},"Next":"MCheck"},
        "MCheck":{"Type":"Choice","Choices":[{"Variable":"$.v","NumericGreaterThanEquals":10,"Next":"MBig"}],
                  "Default":"MSmall"},
        "MBig":{"Type":"Pass","Result":"big","ResultPath":"$.size","End":true},
        "MSmall":{"Type":"Pass","Result":"small","ResultPath":"$.size","End":true}}},
      "ResultPath":"$.mapped","Next":"Par"},
  "Par":{"Type":"Parallel","ResultPath":"$.par","Next":"Risky","Branches":[
      {"StartAt":"B1Pass","States":{"B1Pass":{"Type":"Pass","Parameters":{"b":1,"n.$":"$.n"},"End":true}}},
      {"StartAt":"B2Work","States":{"B2Work":{"Type":"Task","Resource":")J", act, R"J(",
          "Parameters":{"n.$":"$.n","op":"triple","failFirst.$":"$.failFirst")J", names_task, R"J(},
          )J", timing, retry, R"J(,"End":true}}},
      {"StartAt":"B3Wait","States":{"B3Wait":{"Type":"Wait","Seconds":1,"Next":"B3Pass"},
          "B3Pass":{"Type":"Pass","Result":"waited","End":true}}}]},
  "Risky":{"Type":"Task","Resource":")J", act, R"J(",
      "Parameters":{"n.$":"$.n","op":"risky")J", o_.risky_names_its_task ? names_task : "", R"J(},
      )J", timing, R"J("ResultPath":"$.risky",
      "Retry":[)J", timeout_retry, R"J(],
      "Catch":[{"ErrorEquals":["Permanent"],"ResultPath":"$.caught","Next":"Done"}],
      "Next":"Done"},
  "Done":{"Type":"Pass","End":true}}})J");
}

json::value Workflow::Input(int i) const {
  json::object o;
  o["n"] = i;
  o["kind"] = i % 3;
  o["failFirst"] = (i % 4 == 0);
  if (o_.hold) o["hold"] = Held(i);
  json::array items;
  for (int k = 0; k < 10; ++k) items.push_back(k);
  o["items"] = std::move(items);
  return o;
}

std::string Workflow::TaskKey(const json::object& in) {
  return absl::StrCat(std::string(in.at("exec").as_string()), "/",
                      std::string(in.at("state").as_string()));
}

WorkerAnswer Workflow::Answer(const json::object& in, const std::string& nonce,
                              const std::function<bool(const std::string&)>& first_time) {
  int64_t n = in.at("n").as_int64();
  std::string op(in.at("op").as_string());
  WorkerAnswer a;
  if (op == "risky") {
    if (n % 5 == 0) {
      a.success = false;
      a.error = "Permanent";
      a.cause = "n divisible by 5";
      return a;
    }
    a.output = absl::StrCat(R"({"ok":)", n, By(nonce), "}");
    return a;
  }
  // The first attempt fails; $$.State.RetryCount cannot tell the worker
  // (Parameters are evaluated once per state entry, see README.md).
  const json::value* ff = in.if_contains("failFirst");
  if (ff != nullptr && ff->is_bool() && ff->get_bool() && first_time(TaskKey(in))) {
    a.success = false;
    a.error = "Flaky";
    a.cause = "first attempt fails";
    return a;
  }
  a.output = absl::StrCat(R"({"r":)", op == "square" ? n * n : 3 * n, By(nonce), "}");
  return a;
}

}  // namespace stepwise::crash
