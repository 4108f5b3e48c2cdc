// The second workload of the daemon crash harness (daemon_crash.cc,
// README.md): a parent machine whose Tasks are Lambda functions served by
// Stepwise workers on function queues (the function ARN form, and
// lambda:invoke, both with Retry), a lambda:invoke.waitForTaskToken Task
// completed by a callback, a states:startExecution.sync:2 child and a
// fire-and-forget states:startExecution child of a small child machine.
// Names, definitions, inputs, what a function answers, and what a closed
// parent or child must look like. Pure; thread-safe.
#ifndef SW_TESTS_CRASH_NESTED_WORKFLOW_H_
#define SW_TESTS_CRASH_NESTED_WORKFLOW_H_

#include <functional>
#include <map>
#include <string>

#include "common/json.h"
#include "tests/crash/workflow.h"

namespace stepwise::crash {

class NestedWorkflow {
 public:
  // The functions the parent calls (function queue names).
  static constexpr char kFnArn[] = "crash-fn-arn";         // Resource = function ARN
  static constexpr char kFnInvoke[] = "crash-fn-invoke";   // lambda:invoke
  static constexpr char kFnCallback[] = "crash-fn-callback";  // lambda:invoke.waitForTaskToken
  // The parent's states, in order.
  static constexpr char kFnArnState[] = "FnArn";
  static constexpr char kFnInvokeState[] = "FnInvoke";
  static constexpr char kCallbackState[] = "Callback";
  static constexpr char kChildState[] = "Child";  // startExecution.sync:2
  static constexpr char kFireState[] = "Fire";    // startExecution (request-response)

  NestedWorkflow(std::string parent_machine, std::string child_machine)
      : parent_(std::move(parent_machine)), child_(std::move(child_machine)) {}

  const std::string& parent_machine() const { return parent_; }
  const std::string& child_machine() const { return child_; }
  std::string ParentMachineArn() const;
  std::string ChildMachineArn() const;
  static std::string ParentName(int i);  // "parent-<i>"
  std::string ParentArn(int i) const;
  // The prefix of every child execution's ARN.
  std::string ChildArnPrefix() const;

  std::string ParentDefinition() const;
  std::string ChildDefinition() const;
  // {"n":i,"failFirst":i%4==0}
  static json::value ParentInput(int i);

  // What the worker of function `function` answers to `event` (a function
  // task's payload), with `nonce` as its "by" member; `first_time(key)`
  // says whether the task (key "<execution>/<state>") is seen for the
  // first time: the first attempt of a failFirst parent's FnArn and
  // FnInvoke fails with Flaky. The callback function's answer only submits
  // its task ({"accepted":true}).
  static WorkerAnswer FunctionAnswer(const json::object& event, const std::string& nonce,
                                     const std::function<bool(const std::string&)>& first_time);
  // The callback's output for parent n, named by `nonce`.
  static std::string CallbackOutput(int64_t n, const std::string& nonce);

  // The output a SUCCEEDED parent i must have once every "by" member is
  // taken out (ParentStrip), and how often each state is entered.
  json::value ParentOutput(int i) const;
  std::map<std::string, int> ParentEntered() const;
  // Takes the "by" nonces out of a parent's output (in place), by task key
  // "<parent name>/<state>".
  static void ParentStrip(int i, json::object& out, std::map<std::string, std::string>* by);

  // A child's input for parent i from state `mode` ("sync" or "fire"), and
  // its output once SUCCEEDED; how often each of its states is entered.
  static json::value ChildInput(int i, const std::string& mode);
  static json::value ChildOutput(const json::object& input);
  static std::map<std::string, int> ChildEntered();

 private:
  const std::string parent_;
  const std::string child_;
};

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_NESTED_WORKFLOW_H_
