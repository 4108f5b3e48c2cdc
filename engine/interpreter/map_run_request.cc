// A DISTRIBUTED Map run as a Map Run task (InterpreterOptions::
// map_runs_as_tasks): the Map's items, selector, concurrency and tolerances
// are evaluated in the parent's step (PrepareMap), then one task of the
// internal resource kMapRunResource carries them with the processor's
// definition to the Map Run room (engine/map_run/map_run_dispatcher.h); the
// Map waits for it like a Task (Retry/Catch apply to its outcome) and its
// result closes the Map with AWS's MapRun* events. Runs on whichever thread
// calls the Interpreter; pure: no I/O, no locks.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/jsonata_template.h"
#include "asl/path.h"
#include "asl/payload_template.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/interpreter/event_details.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

using interpreter::Str;

namespace {

// The JSON of the Map state `name` anywhere in `scope` (a definition or a
// processor/branch), or null. State names are unique in a machine.
const json::object* FindStateJson(const json::value& scope, const std::string& name) {
  if (!scope.is_object()) return nullptr;
  const json::value* states = scope.get_object().if_contains("States");
  if (states == nullptr || !states->is_object()) return nullptr;
  for (const auto& [key, st] : states->get_object()) {
    if (!st.is_object()) continue;
    if (key == name) return &st.get_object();
    const json::object& o = st.get_object();
    for (const char* inner : {"ItemProcessor", "Iterator"}) {
      if (const json::value* p = o.if_contains(inner)) {
        if (const json::object* found = FindStateJson(*p, name)) return found;
      }
    }
    if (const json::value* b = o.if_contains("Branches"); b != nullptr && b->is_array()) {
      for (const json::value& branch : b->get_array()) {
        if (const json::object* found = FindStateJson(branch, name)) return found;
      }
    }
  }
  return nullptr;
}

// The name of the machine in an execution ARN (…:execution:MACHINE:NAME).
std::string MachineOfExecution(const std::string& arn) {
  size_t at = arn.find(":execution:");
  if (at == std::string::npos) return "";
  std::string rest = arn.substr(at + 11);
  size_t colon = rest.rfind(':');
  return colon == std::string::npos ? rest : rest.substr(0, colon);
}

}  // namespace

absl::StatusOr<json::value> Interpreter::Run::EvaluateMapRunField(const Frame& f,
                                                                  const State& s,
                                                                  const json::value& field,
                                                                  std::string_view name) const {
  if (s.jsonata) {
    SW_ASSIGN_OR_RETURN(asl::JsonataTemplate t, asl::JsonataTemplate::Compile(field));
    return t.Evaluate(Bindings(f, s), name);
  }
  SW_ASSIGN_OR_RETURN(asl::PayloadTemplate t, asl::PayloadTemplate::Compile(field));
  json::value ctx = ContextObject(f, s);
  return t.Evaluate(Env(f, &f.effective, &ctx));
}

absl::Status Interpreter::Run::AddMapRunSources(const Frame& f, const State& s,
                                                const json::object& map_json,
                                                json::object& spec) const {
  // Resolves the size field `name` of `config` (ReaderConfig.MaxItems,
  // ItemBatcher.MaxItemsPerBatch / MaxInputBytesPerBatch) given as
  // `name`Path (over the effective input) or as a JSONata expression: the
  // integer (at least `min`) replaces them in `config`. States.Runtime
  // (JSONPath) or States.QueryEvaluationError (JSONata) naming the field.
  auto resolve_size = [&](json::object& config, std::string_view name,
                          int64_t min) -> absl::Status {
    std::string key(name);
    std::string path_key = absl::StrCat(ToAbsl(name), "Path");
    int64_t n = 0;
    if (const json::value* p = config.if_contains(path_key); p != nullptr && p->is_string()) {
      SW_ASSIGN_OR_RETURN(asl::JsonPath path, asl::JsonPath::Parse(p->get_string()));
      SW_ASSIGN_OR_RETURN(double v, NumberAtPath(f, s, f.effective, path, path_key,
                                                 /*integer=*/true));
      n = static_cast<int64_t>(v);
      if (n < min) {
        // As AWS words a negative ToleratedFailureCount(Path).
        return asl::RuntimeError(asl::kStatesRuntime,
                                 min == 0 ? absl::StrCat(ToAbsl(name), " cannot be negative.")
                                          : absl::StrCat(ToAbsl(name), " must be at least ", min, "."));
      }
      config.erase(path_key);
    } else if (const json::value* v = config.if_contains(key);
               s.jsonata && v != nullptr && v->is_string()) {
      SW_ASSIGN_OR_RETURN(asl::JsonataTemplate t, asl::JsonataTemplate::Compile(*v));
      SW_ASSIGN_OR_RETURN(n, JsonataInt(f, s, t, name, min));
    } else {
      return absl::OkStatus();
    }
    config[key] = n;
    return absl::OkStatus();
  };
  if (const json::value* reader = map_json.if_contains("ItemReader");
      reader != nullptr && reader->is_object()) {
    json::object r;
    json::object config = reader->get_object();
    if (json::value* rc = config.if_contains("ReaderConfig"); rc != nullptr && rc->is_object()) {
      SW_RETURN_IF_ERROR(resolve_size(rc->get_object(), "MaxItems", 0));
    }
    r["config"] = std::move(config);
    const char* args_name = s.jsonata ? "Arguments" : "Parameters";
    if (const json::value* a = reader->get_object().if_contains(args_name)) {
      SW_ASSIGN_OR_RETURN(r["arguments"],
                          EvaluateMapRunField(f, s, *a, absl::StrCat("ItemReader.", args_name)));
    }
    spec["reader"] = std::move(r);
    const json::value* selector = map_json.if_contains("ItemSelector");
    if (selector == nullptr) selector = map_json.if_contains("Parameters");
    if (selector != nullptr) {
      json::object sel;
      sel["template"] = *selector;
      sel["jsonata"] = s.jsonata;
      sel["input"] = s.jsonata ? f.input : f.effective;
      sel["context"] = ContextObject(f, s);
      sel["variables"] = f.variables;
      spec["selector"] = std::move(sel);
    }
  }
  if (const json::value* writer = map_json.if_contains("ResultWriter");
      writer != nullptr && writer->is_object()) {
    json::object w;
    w["config"] = *writer;
    const char* args_name = s.jsonata ? "Arguments" : "Parameters";
    if (const json::value* a = writer->get_object().if_contains(args_name)) {
      SW_ASSIGN_OR_RETURN(w["arguments"],
                          EvaluateMapRunField(f, s, *a, absl::StrCat("ResultWriter.", args_name)));
    }
    spec["writer"] = std::move(w);
  }
  if (const json::value* batcher = map_json.if_contains("ItemBatcher");
      batcher != nullptr && batcher->is_object()) {
    json::object b;
    json::object config = batcher->get_object();
    SW_RETURN_IF_ERROR(resolve_size(config, "MaxItemsPerBatch", 1));
    SW_RETURN_IF_ERROR(resolve_size(config, "MaxInputBytesPerBatch", 1));
    b["config"] = std::move(config);
    if (const json::value* in = batcher->get_object().if_contains("BatchInput")) {
      SW_ASSIGN_OR_RETURN(b["batchInput"],
                          EvaluateMapRunField(f, s, *in, "ItemBatcher.BatchInput"));
    }
    spec["batcher"] = std::move(b);
  }
  return absl::OkStatus();
}

std::string Interpreter::Run::MapRunArn(const Frame& f, const State& s) const {
  const std::string& exec = st_.info.execution_arn;
  size_t at = exec.find(":execution:");
  std::string prefix = at == std::string::npos ? exec : exec.substr(0, at);
  std::string machine = MachineOfExecution(exec);
  // Without a Label, one stable for the machine's state (AWS: a UUID), so
  // every run of it shares one hidden child machine.
  std::string label = s.label.empty()
                          ? StableUuid(absl::StrCat(machine, "#label#", s.name)).substr(0, 8)
                          : s.label;
  return absl::StrCat(prefix, ":mapRun:", machine, "/", label, ":",
                      StableUuid(absl::StrCat(exec, "#mapRun#", s.name, "#",
                                              f.entered_event_id, "#", f.retry_count)));
}

absl::Status Interpreter::Run::ScheduleMapRun(Frame& f, const State& s, json::value eff,
                                              FanOut& fan) {
  const json::object* map_json = FindStateJson(in_.machine_->definition, s.name);
  const json::value* proc = nullptr;
  if (map_json != nullptr) {
    proc = map_json->if_contains("ItemProcessor");
    if (proc == nullptr) proc = map_json->if_contains("Iterator");
  }
  if (proc == nullptr || !proc->is_object()) {
    return asl::RuntimeError(asl::kStatesRuntime,
                             absl::StrCat("The ItemProcessor of Map state '", s.name,
                                          "' was not found in the definition"));
  }
  json::object child_def = proc->get_object();
  std::string execution_type = "STANDARD";
  if (const json::value* pc = child_def.if_contains("ProcessorConfig");
      pc != nullptr && pc->is_object()) {
    if (const json::value* t = pc->get_object().if_contains("ExecutionType");
        t != nullptr && t->is_string()) {
      execution_type = std::string(t->get_string());
    }
  }
  child_def.erase("ProcessorConfig");
  if (s.jsonata && !child_def.contains("QueryLanguage")) child_def["QueryLanguage"] = "JSONata";
  f.effective = std::move(eff);
  // A redrive of the parent redrives the Map Run that failed (same ARN).
  const bool redrive = RedrivesMapRun(f);
  std::string arn = redrive ? redriven_map_run_ : MapRunArn(f, s);
  f.map_run_arn = arn;
  f.map_run_redrive_count = redrive ? redriven_map_run_count_ : 0;
  if (redrive) redriven_map_run_.clear();
  std::string machine = arn.substr(arn.find(":mapRun:") + 8);
  machine.resize(machine.rfind(':'));

  json::object spec;
  spec["mapRunArn"] = Str(arn);
  spec["executionArn"] = Str(st_.info.execution_arn);
  spec["childMachine"] = Str(machine);
  spec["definition"] = Str(SerializeJson(json::value(std::move(child_def))));
  spec["executionType"] = Str(execution_type);
  spec["maxConcurrency"] = fan.max_concurrency;
  if (fan.tolerated_count) spec["toleratedFailureCount"] = *fan.tolerated_count;
  if (fan.tolerated_percentage) spec["toleratedFailurePercentage"] = *fan.tolerated_percentage;
  if (f.map_run_redrive_count > 0) {
    spec["redriveCount"] = f.map_run_redrive_count;
    spec["redriveDate"] = now_;
  }
  json::array items;
  items.reserve(fan.inputs.size());
  for (json::value& v : fan.inputs) items.push_back(std::move(v));
  spec["items"] = std::move(items);
  SW_RETURN_IF_ERROR(AddMapRunSources(f, s, *map_json, spec));

  ScheduleTaskCommand cmd;
  cmd.kind = TaskKind::kService;
  cmd.state_name = s.name;
  cmd.resource = kMapRunResource;
  cmd.input = json::value(std::move(spec));
  cmd.attempt = static_cast<int>(f.retry_count);
  cmd.task_id = st_.next_task_id++;
  f.task_id = cmd.task_id;
  f.task_started = false;
  f.phase = Frame::Phase::kAwaitTask;
  out_.schedule_tasks.push_back(std::move(cmd));
  return absl::OkStatus();
}

void Interpreter::Run::CompleteMapRun(Frame& f, const TaskResult& r) {
  f.task_id = 0;
  f.task_started = false;
  if (r.kind == TaskResult::Kind::kSucceeded) {
    f.map_run_arn.clear();  // nothing left to redrive
    f.map_run_redrive_count = 0;
    int64_t prev = Emit(&f, "MapRunSucceeded", {}, f.tail);
    Emit(&f, "MapStateSucceeded", {}, prev);
    FinishWithResult(f, r.output);
  } else {
    bool timeout = r.kind == TaskResult::Kind::kTimedOut;
    std::string error = timeout ? std::string(asl::kStatesTimeout) : r.error;
    std::string cause = timeout ? "" : r.cause;
    json::object d;
    d["error"] = Str(error);
    d["cause"] = Str(cause);
    EmitFrame(f, "MapRunFailed", std::move(d));
    HandleError(f, error, cause, /*from_children=*/true);
    Schedule(f);
  }
  Drain();
}

}  // namespace stepwise::engine
