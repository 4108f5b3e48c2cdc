// The shapes of history event details the interpreter writes: JSON strings,
// {"input"/"output": <text>, "...Details": {"truncated": false}} payloads
// and {"Error", "Cause"} error outputs. Internal to engine/interpreter/;
// pure functions: any thread.
#ifndef SW_ENGINE_INTERPRETER_EVENT_DETAILS_H_
#define SW_ENGINE_INTERPRETER_EVENT_DETAILS_H_

#include <string>
#include <string_view>
#include <utility>

#include "asl/definition.h"
#include "common/json.h"

namespace stepwise::engine::interpreter {

inline json::value Str(std::string_view s) { return json::value(json::string(s)); }

// {"<key>": <v as JSON text>, "<key>Details": {"truncated": false}}. When
// `text` is given it is v's serialisation, already made for an earlier event.
inline json::object PayloadDetails(std::string_view key, const json::value& v,
                                   const json::string* text = nullptr) {
  json::object d(4);
  if (text != nullptr) {
    d[key] = *text;
  } else {
    std::string s = SerializeJson(v);
    d[key] = json::string(std::string_view(s));
  }
  json::object truncated(1);
  truncated["truncated"] = false;
  d[key == "input" ? "inputDetails" : "outputDetails"] = std::move(truncated);
  return d;
}

// The error output a Catcher or a failed Map iteration sees.
inline json::value ErrorOutput(const std::string& error, const std::string& cause) {
  json::object o;
  o["Error"] = Str(error);
  o["Cause"] = Str(cause);
  return o;
}

// "<Type>StateEntered" and "<Type>StateExited" (PassStateEntered, ...),
// without building the name on each step.
inline std::string_view StateEnteredType(asl::StateType t) {
  switch (t) {
    case asl::StateType::kTask: return "TaskStateEntered";
    case asl::StateType::kPass: return "PassStateEntered";
    case asl::StateType::kChoice: return "ChoiceStateEntered";
    case asl::StateType::kWait: return "WaitStateEntered";
    case asl::StateType::kSucceed: return "SucceedStateEntered";
    case asl::StateType::kFail: return "FailStateEntered";
    case asl::StateType::kParallel: return "ParallelStateEntered";
    case asl::StateType::kMap: return "MapStateEntered";
  }
  return "StateEntered";
}

inline std::string_view StateExitedType(asl::StateType t) {
  switch (t) {
    case asl::StateType::kTask: return "TaskStateExited";
    case asl::StateType::kPass: return "PassStateExited";
    case asl::StateType::kChoice: return "ChoiceStateExited";
    case asl::StateType::kWait: return "WaitStateExited";
    case asl::StateType::kSucceed: return "SucceedStateExited";
    case asl::StateType::kFail: return "FailStateExited";
    case asl::StateType::kParallel: return "ParallelStateExited";
    case asl::StateType::kMap: return "MapStateExited";
  }
  return "StateExited";
}

}  // namespace stepwise::engine::interpreter

#endif  // SW_ENGINE_INTERPRETER_EVENT_DETAILS_H_
