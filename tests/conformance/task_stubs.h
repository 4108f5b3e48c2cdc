// TaskResponder answers the Task states of one conformance case, standing in
// for the Lambda functions, activity workers and AWS services the recording
// used:
//  * Lambda functions run their `lambda_stubs` behaviour (identity, constant,
//    raise, python_format, constant_bytes, large_output,
//    sleep_then_identity). `arn:aws:states:::lambda:invoke` results are
//    wrapped in {ExecutedVersion, Payload, SdkHttpMetadata,
//    SdkResponseMetadata, StatusCode}; the metadata (masked in the recording)
//    is taken from the matching `task_replay` entry when there is one.
//    Failures (raise, unknown function) carry the recorded error and cause
//    when a replay entry matches, since AWS's cause text (stack trace,
//    request id) cannot be recomputed.
//  * Activities follow `activity_stubs` (identity, heartbeat_then_identity,
//    send_task_failure, never_answers).
//  * Everything else is answered from `task_replay`: matched by (state,
//    parameters) with placeholders, then by order within the state.
// Not thread-safe internally; Answer takes a lock so that it may be called
// from any thread.
#ifndef SW_TESTS_CONFORMANCE_TASK_STUBS_H_
#define SW_TESTS_CONFORMANCE_TASK_STUBS_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/local_runner.h"

namespace stepwise::conformance {

// Formats `v` as Python's str() prints the value json.loads gives
// ({'a': 1, 'b': [True, None]}).
std::string PythonStr(const json::value& v);

// Serialises `v` as Python's json.dumps does by default (", " and ": "
// separators, non-ASCII escaped as \uXXXX), which is how Lambda renders an
// error cause.
std::string PythonJsonDumps(const json::value& v);

class TaskResponder {
 public:
  // `case_doc` must outlive the responder.
  TaskResponder(const json::object& case_doc, uint64_t seed);

  // Returns the outcome of one task invocation.
  engine::TaskOutcome Answer(const engine::TaskRequest& request);

  // One line per invocation saying how it was answered (for --verbose).
  std::vector<std::string> log() const;

 private:
  struct ReplayEntry {
    const json::object* entry;
    bool used = false;
  };

  // Returns the first unused replay entry for `state` whose parameters match
  // `input`, marking it used, or nullptr.
  const json::object* TakeReplay(const std::string& state,
                                 const json::value& input);
  engine::TaskOutcome AnswerLambda(const engine::TaskRequest& request,
                                   const json::object* replay);
  engine::TaskOutcome AnswerActivity(const engine::TaskRequest& request,
                                     const json::object& stub,
                                     const json::object* replay);
  engine::TaskOutcome FromReplay(const json::object& replay) const;
  std::string NextUuid();

  const json::object& case_doc_;
  const json::value* definition_ = nullptr;
  const json::object* lambda_stubs_ = nullptr;
  const json::object* activity_stubs_ = nullptr;
  std::vector<ReplayEntry> replay_;
  uint64_t uuid_state_;
  mutable std::mutex mu_;
  std::vector<std::string> log_;
  // Why the last TakeReplay found no entry (first parameter difference).
  std::string last_mismatch_;
};

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_TASK_STUBS_H_
