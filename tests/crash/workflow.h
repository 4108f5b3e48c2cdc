// The torture workflow both crash harnesses run (crash_driver on the
// embedded engine, daemon_crash on the real daemon; README.md): its names
// and ARNs, its definition (Pass chain, Choice, Wait, an activity Task with
// Retry, inline Map of 10, Parallel of 3, a Task whose failure is caught),
// the input of execution i, and what a worker answers to one of its tasks.
// What each harness checks afterwards is in checker.h. The two harnesses
// differ only by the knobs of WorkflowOptions. Pure; thread-safe.
#ifndef SW_TESTS_CRASH_WORKFLOW_H_
#define SW_TESTS_CRASH_WORKFLOW_H_

#include <functional>
#include <string>

#include "common/json.h"

namespace stepwise::crash {

struct WorkflowOptions {
  std::string machine_name;   // state machine
  std::string activity_name;  // the one activity every Task uses
  std::string comment;        // the definition's "Comment"
  // Every tenth execution ($.hold) parks in a one-day Wait, for the
  // harness to stop it.
  bool hold = false;
  int task_timeout_seconds = 30;
  // The Tasks' HeartbeatSeconds; then States.HeartbeatTimeout is retried
  // like States.Timeout (0: no heartbeats).
  int heartbeat_seconds = 0;
  int timeout_max_attempts = 50;  // retries of a timed-out Task
  // The Risky task's input names its execution and state like the others'.
  bool risky_names_its_task = false;
};

// One answer of a worker to a task of the workflow.
struct WorkerAnswer {
  bool success = true;
  std::string output;  // JSON, when success
  std::string error, cause;
};

class Workflow {
 public:
  explicit Workflow(WorkflowOptions options) : o_(std::move(options)) {}

  std::string ActivityArn() const;
  std::string MachineArn() const;
  static std::string ExecName(int i);  // "exec-<i>"
  std::string ExecArn(int i) const;
  // True for the executions that park in the long Wait (with `hold`).
  bool Held(int i) const { return o_.hold && i % 10 == 9; }

  std::string Definition() const;
  // {"n":i,"kind":i%3,"failFirst":i%4==0[,"hold":Held(i)],"items":[0..9]}
  json::value Input(int i) const;

  // What a worker answers to a task with input `in`, deterministic in it but
  // for `nonce` ("" = none), which names the answer in a success output's
  // "by" member. `first_time(key)` says whether the task (key
  // "<execution>/<state>") is seen for the first time; the first attempt of a
  // failFirst execution's task fails with Flaky. Risky fails with Permanent
  // when n % 5 == 0.
  static WorkerAnswer Answer(const json::object& in, const std::string& nonce,
                             const std::function<bool(const std::string&)>& first_time);
  // "<execution>/<state>" from a task input that names them.
  static std::string TaskKey(const json::object& in);

 private:
  const WorkflowOptions o_;
};

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_WORKFLOW_H_
