// The daemon crash harness's Lambda, callback and nested-execution
// workload (nested_workflow.h).
#include "tests/crash/nested_workflow.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace stepwise::crash {
namespace {

constexpr char kPrefix[] = "arn:aws:states:us-east-1:123456789012:";
constexpr char kFunctionPrefix[] = "arn:aws:lambda:us-east-1:123456789012:function:";

// A task hand-out lost with a life is given up by its heartbeat timeout and
// retried; a callback attempt by its timeout.
constexpr char kTimeoutRetry[] =
    R"J({"ErrorEquals":["States.Timeout","States.HeartbeatTimeout"],"IntervalSeconds":1,"MaxAttempts":100,"BackoffRate":1.0})J";
constexpr char kFlakyRetry[] =
    R"J({"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":3,"BackoffRate":1.0})J";

std::string TaskKeyOf(int i, const char* state) {
  return absl::StrCat(NestedWorkflow::ParentName(i), "/", state);
}

// Takes the "by" member out of `v` (an object), recording it under `key`.
void TakeBy(json::value* v, const std::string& key, std::map<std::string, std::string>* by) {
  if (v == nullptr || !v->is_object()) return;
  json::object& o = v->get_object();
  if (const json::value* b = o.if_contains("by"); b != nullptr && b->is_string()) {
    (*by)[key] = std::string(b->get_string());
  }
  o.erase("by");
}

}  // namespace

std::string NestedWorkflow::ParentMachineArn() const {
  return absl::StrCat(kPrefix, "stateMachine:", parent_);
}
std::string NestedWorkflow::ChildMachineArn() const {
  return absl::StrCat(kPrefix, "stateMachine:", child_);
}
std::string NestedWorkflow::ParentName(int i) { return absl::StrCat("parent-", i); }
std::string NestedWorkflow::ParentArn(int i) const {
  return absl::StrCat(kPrefix, "execution:", parent_, ":", ParentName(i));
}
std::string NestedWorkflow::ChildArnPrefix() const {
  return absl::StrCat(kPrefix, "execution:", child_, ":");
}

std::string NestedWorkflow::ParentDefinition() const {
  const std::string names = R"J("exec.$":"$$.Execution.Name","state.$":"$$.State.Name")J";
  const std::string worker_retry = absl::StrCat(R"J("Retry":[)J", kFlakyRetry, ",", kTimeoutRetry, "]");
  const std::string child = ChildMachineArn();
  const std::string children = absl::StrCat(R"J(  "Child":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
      "Parameters":{"StateMachineArn":")J", child, R"J(",
                    "Input":{"n.$":"$.n","parent.$":"$$.Execution.Name","mode":"sync"}},
      "ResultSelector":{"out.$":"$.Output","status.$":"$.Status"},"ResultPath":"$.child","Next":"Fire"},
  "Fire":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
      "Parameters":{"StateMachineArn":")J", child, R"J(",
                    "Input":{"n.$":"$.n","parent.$":"$$.Execution.Name","mode":"fire"}},
      "ResultPath":null,"Next":"Done"},
)J");
  return absl::StrCat(
      R"J({"Comment":"daemon crash test: Lambda tasks, callbacks, nested executions","StartAt":"FnArn","States":{
  "FnArn":{"Type":"Task","Resource":")J", kFunctionPrefix, kFnArn, R"J(",
      "Parameters":{"n.$":"$.n","op":"arn","failFirst.$":"$.failFirst",)J", names, R"J(},
      "TimeoutSeconds":60,"HeartbeatSeconds":2,"ResultPath":"$.fn",)J", worker_retry, R"J(,"Next":"FnInvoke"},
  "FnInvoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Parameters":{"FunctionName":")J", kFnInvoke, R"J(",
                    "Payload":{"n.$":"$.n","op":"invoke","failFirst.$":"$.failFirst",)J", names, R"J(}},
      "ResultSelector":{"r.$":"$.Payload.r","by.$":"$.Payload.by","code.$":"$.StatusCode"},
      "TimeoutSeconds":60,"HeartbeatSeconds":2,"ResultPath":"$.inv",)J", worker_retry, R"J(,"Next":"Callback"},
  "Callback":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"FunctionName":")J", kFnCallback, R"J(",
                    "Payload":{"n.$":"$.n","op":"callback","token.$":"$$.Task.Token",)J", names, R"J(}},
      "TimeoutSeconds":12,"ResultPath":"$.cb","Retry":[)J", kTimeoutRetry, R"J(],"Next":"Child"},
)J", children, R"J(  "Done":{"Type":"Pass","End":true}}})J");
}

std::string NestedWorkflow::ChildDefinition() const {
  return R"J({"Comment":"daemon crash test: child","StartAt":"CAdd","States":{
  "CAdd":{"Type":"Pass","Parameters":{"m.$":"States.MathAdd($.n, 1000)","parent.$":"$.parent","mode.$":"$.mode"},"Next":"CWait"},
  "CWait":{"Type":"Wait","Seconds":1,"End":true}}})J";
}

json::value NestedWorkflow::ParentInput(int i) {
  json::object o;
  o["n"] = i;
  o["failFirst"] = (i % 4 == 0);
  return o;
}

WorkerAnswer NestedWorkflow::FunctionAnswer(
    const json::object& event, const std::string& nonce,
    const std::function<bool(const std::string&)>& first_time) {
  int64_t n = event.at("n").as_int64();
  std::string op(event.at("op").as_string());
  WorkerAnswer a;
  if (op == "callback") {
    a.output = R"({"accepted":true})";
    return a;
  }
  const json::value* ff = event.if_contains("failFirst");
  if (ff != nullptr && ff->is_bool() && ff->get_bool() && first_time(Workflow::TaskKey(event))) {
    a.success = false;
    a.error = "Flaky";
    a.cause = "first attempt fails";
    return a;
  }
  a.output = absl::StrCat(R"({"r":)", op == "arn" ? 7 * n : 11 * n, R"(,"by":")", nonce, R"("})");
  return a;
}

std::string NestedWorkflow::CallbackOutput(int64_t n, const std::string& nonce) {
  return absl::StrCat(R"({"cb":)", n + 5, R"(,"by":")", nonce, R"("})");
}

json::value NestedWorkflow::ParentOutput(int i) const {
  json::object o = ParentInput(i).as_object();
  int64_t n = i;
  json::object fn;
  fn["r"] = 7 * n;
  o["fn"] = std::move(fn);
  json::object inv;
  inv["r"] = 11 * n;
  inv["code"] = 200;
  o["inv"] = std::move(inv);
  json::object cb;
  cb["cb"] = n + 5;
  o["cb"] = std::move(cb);
  json::object child;
  child["out"] = ChildOutput(ChildInput(i, "sync").as_object());
  child["status"] = "SUCCEEDED";
  o["child"] = std::move(child);
  return o;
}

std::map<std::string, int> NestedWorkflow::ParentEntered() const {
  return {{kFnArnState, 1}, {kFnInvokeState, 1}, {kCallbackState, 1},
          {kChildState, 1}, {kFireState, 1},     {"Done", 1}};
}

void NestedWorkflow::ParentStrip(int i, json::object& out,
                                 std::map<std::string, std::string>* by) {
  TakeBy(out.if_contains("fn"), TaskKeyOf(i, kFnArnState), by);
  TakeBy(out.if_contains("inv"), TaskKeyOf(i, kFnInvokeState), by);
  TakeBy(out.if_contains("cb"), TaskKeyOf(i, kCallbackState), by);
}

json::value NestedWorkflow::ChildInput(int i, const std::string& mode) {
  json::object o;
  o["n"] = i;
  o["parent"] = ParentName(i);
  o["mode"] = mode;
  return o;
}

json::value NestedWorkflow::ChildOutput(const json::object& input) {
  json::object o;
  o["m"] = input.at("n").as_int64() + 1000;
  o["parent"] = input.at("parent");
  o["mode"] = input.at("mode");
  return o;
}

std::map<std::string, int> NestedWorkflow::ChildEntered() { return {{"CAdd", 1}, {"CWait", 1}}; }

}  // namespace stepwise::crash
