#include "cli/cli_remote.h"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>
#include <system_error>
#include <thread>
#include <unistd.h>

#include "absl/status/status.h"
#include "cli/lambda_runtime.h"
#include "client/activity_worker.h"
#include "cli/cli_format.h"
#include "cli/resolve_names.h"
#include "cli/search_cmd.h"
#include "cli/tags_cmd.h"
#include "cli/versions_cmd.h"
#include "cli/batch_cmd.h"
#include "cli/cluster_cmd.h"
#include "cli/map_run_cmd.h"
#include "cli/restart_cmd.h"
#include "cli/test_state_cmd.h"
#include "cli/subprocess.h"
#include "common/json.h"
#include "common/strings.h"

namespace stepwise::client {
namespace {

int Usage(const std::string& message) {
  std::cerr << "stepwise: " << message << "\n";
  return kExitUsage;
}

void PrintKeyValues(const std::vector<std::pair<std::string, std::string>>& kv) {
  size_t w = 0;
  for (const auto& [k, v] : kv) w = std::max(w, k.size());
  for (const auto& [k, v] : kv) {
    std::cout << k << ":" << std::string(w - k.size() + 1, ' ') << v << "\n";
  }
}

// Prints what a create call made: its ARN, or with --json the ARN and the
// time under their AWS member names (e.g. "stateMachineArn", "creationDate").
void PrintCreated(bool as_json, const char* arn_member, const std::string& arn,
                  const char* date_member, const google::protobuf::Timestamp& date) {
  if (as_json) {
    json::object o;
    o[arn_member] = arn;
    o[date_member] = FormatTimestamp(date);
    std::cout << PrettyJson(o);
  } else {
    std::cout << arn << "\n";
  }
}

// Prints a listing: `items` as a JSON array with --json, else `rows` as a
// table under `headers`.
void PrintListing(bool as_json, const json::array& items,
                  const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
  if (as_json) {
    std::cout << PrettyJson(items);
  } else {
    std::cout << FormatTable(headers, rows);
  }
}

// Prints the diagnostics and returns true when the definition is invalid.
// A server without ValidateStateMachineDefinition is not an error.
absl::StatusOr<bool> Invalid(Client& c, const std::string& definition,
                             const std::string& type) {
  v1::ValidateStateMachineDefinitionRequest req;
  req.set_definition(definition);
  req.set_type(type.empty() ? "STANDARD" : type);
  auto resp = c.ValidateStateMachineDefinition(req);
  if (!resp.ok()) {
    if (resp.status().code() == absl::StatusCode::kUnimplemented) return false;
    return resp.status();
  }
  if (resp->result() == "OK") return false;
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : resp->diagnostics()) {
    rows.push_back({d.severity(), d.code(), d.location(), d.message()});
  }
  std::cerr << "error: InvalidDefinition: the definition is not valid\n"
            << FormatTable({"SEVERITY", "CODE", "LOCATION", "MESSAGE"}, rows);
  return true;
}

json::object MachineJson(const v1::DescribeStateMachineResponse& m) {
  json::object o;
  o["stateMachineArn"] = m.state_machine_arn();
  o["name"] = m.name();
  o["status"] = m.status();
  o["type"] = m.type();
  o["roleArn"] = m.role_arn();
  o["creationDate"] = FormatTimestamp(m.creation_date());
  o["revisionId"] = m.revision_id();
  o["definition"] = JsonOrString(m.definition());
  json::object logging{{"level", m.logging_configuration().level().empty()
                                      ? std::string("OFF")
                                      : m.logging_configuration().level()},
                       {"includeExecutionData", m.logging_configuration().include_execution_data()}};
  if (m.logging_configuration().log_group_arns_size() > 0) {
    json::array dests;
    for (const std::string& arn : m.logging_configuration().log_group_arns()) {
      dests.push_back(json::object{{"cloudWatchLogsLogGroup", json::object{{"logGroupArn", arn}}}});
    }
    logging["destinations"] = std::move(dests);
  }
  o["loggingConfiguration"] = std::move(logging);
  return o;
}

// --logging-level, --log-group-arn, --include-execution-data into `out`.
void SetLogging(const RemoteArgs& a, v1::LoggingConfiguration* out) {
  out->set_level(a.Get("logging-level"));
  if (a.Has("log-group-arn")) out->add_log_group_arns(a.Get("log-group-arn"));
  out->set_include_execution_data(a.Has("include-execution-data"));
}

json::object ExecutionJson(const v1::DescribeExecutionResponse& e) {
  json::object o;
  o["executionArn"] = e.execution_arn();
  o["stateMachineArn"] = e.state_machine_arn();
  o["name"] = e.name();
  o["status"] = e.status();
  o["startDate"] = FormatTimestamp(e.start_date());
  if (e.has_stop_date()) o["stopDate"] = FormatTimestamp(e.stop_date());
  o["input"] = JsonOrString(e.input());
  if (e.has_output()) o["output"] = JsonOrString(e.output());
  if (e.has_error()) o["error"] = e.error();
  if (e.has_cause()) o["cause"] = e.cause();
  if (!e.redrive_status().empty()) {
    o["redriveCount"] = e.redrive_count();
    if (e.has_redrive_date()) o["redriveDate"] = FormatTimestamp(e.redrive_date());
    o["redriveStatus"] = e.redrive_status();
    if (!e.redrive_status_reason().empty()) {
      o["redriveStatusReason"] = e.redrive_status_reason();
    }
  }
  return o;
}

json::object ResultJson(const v1::DescribeExecutionResponse& e) {
  json::object o;
  o["status"] = e.status();
  if (e.has_output()) o["output"] = JsonOrString(e.output());
  if (e.has_error()) o["error"] = e.error();
  if (e.has_cause()) o["cause"] = e.cause();
  return o;
}

// `start --sync`: StartSyncExecution (EXPRESS machines); prints how it
// ended (status, output, error, cause), or with --json the whole answer.
int StartSync(Client& c, const std::string& arn, const std::string& input,
              const std::string& name, bool as_json) {
  v1::StartSyncExecutionRequest req;
  req.set_state_machine_arn(arn);
  req.set_input(input);
  req.set_name(name);
  auto resp = c.StartSyncExecution(req);
  if (!resp.ok()) return CallFailed(resp.status());
  json::object o;
  if (as_json) {
    o["executionArn"] = resp->execution_arn();
    o["stateMachineArn"] = resp->state_machine_arn();
    o["name"] = resp->name();
  }
  o["status"] = resp->status();
  if (resp->has_output()) o["output"] = JsonOrString(resp->output());
  if (resp->has_error()) o["error"] = resp->error();
  if (resp->has_cause()) o["cause"] = resp->cause();
  if (as_json) {
    o["billingDetails"] = json::object{
        {"billedMemoryUsedInMB", resp->billed_memory_used_in_mb()},
        {"billedDurationInMilliseconds", resp->billed_duration_in_milliseconds()}};
  }
  std::cout << PrettyJson(o);
  return kExitOk;
}

int MachineCommand(const RemoteArgs& a, Client& c) {
  const std::string& cmd = a.command;
  bool as_json = a.Has("json");
  if (cmd == "machine create" || cmd == "machine update") {
    std::optional<std::string> definition;
    if (a.Has("definition")) {
      auto text = ReadFile(a.Get("definition"));
      if (!text.ok()) return Usage(std::string(text.status().message()));
      definition = *text;
      auto bad = Invalid(c, *definition, a.Get("type"));
      if (!bad.ok()) return CallFailed(bad.status());
      if (*bad) return kExitCallFailed;
    }
    if (cmd == "machine create") {
      v1::CreateStateMachineRequest req;
      req.set_name(a.positional[0]);
      req.set_definition(*definition);
      req.set_type(a.Get("type", "STANDARD"));
      req.set_role_arn(a.Get("role-arn"));
      if (a.Has("logging-level")) SetLogging(a, req.mutable_logging_configuration());
      auto resp = c.CreateStateMachine(req);
      if (!resp.ok()) return CallFailed(resp.status());
      PrintCreated(as_json, "stateMachineArn", resp->state_machine_arn(), "creationDate",
                   resp->creation_date());
      return kExitOk;
    }
    auto arn = ResolveStateMachine(c, a.positional[0]);
    if (!arn.ok()) return CallFailed(arn.status());
    v1::UpdateStateMachineRequest req;
    req.set_state_machine_arn(*arn);
    if (definition) req.set_definition(*definition);
    if (a.Has("role-arn")) req.set_role_arn(a.Get("role-arn"));
    if (a.Has("logging-level")) SetLogging(a, req.mutable_logging_configuration());
    auto resp = c.UpdateStateMachine(req);
    if (!resp.ok()) return CallFailed(resp.status());
    if (as_json) {
      json::object o;
      o["updateDate"] = FormatTimestamp(resp->update_date());
      o["revisionId"] = resp->revision_id();
      std::cout << PrettyJson(o);
    } else {
      std::cout << "updated " << *arn << " (revision " << resp->revision_id()
                << ")\n";
    }
    return kExitOk;
  }
  if (cmd == "machine list") {
    v1::ListStateMachinesRequest req;
    std::vector<std::vector<std::string>> rows;
    json::array items;
    while (true) {
      auto resp = c.ListStateMachines(req);
      if (!resp.ok()) return CallFailed(resp.status());
      for (const auto& m : resp->state_machines()) {
        rows.push_back({m.name(), m.type(), FormatTimestamp(m.creation_date()),
                        m.state_machine_arn()});
        json::object o;
        o["stateMachineArn"] = m.state_machine_arn();
        o["name"] = m.name();
        o["type"] = m.type();
        o["creationDate"] = FormatTimestamp(m.creation_date());
        items.push_back(std::move(o));
      }
      if (resp->next_token().empty()) break;
      req.set_next_token(resp->next_token());
    }
    PrintListing(as_json, items, {"NAME", "TYPE", "CREATED", "ARN"}, rows);
    return kExitOk;
  }
  auto arn = ResolveStateMachine(c, a.positional[0]);
  if (!arn.ok()) return CallFailed(arn.status());
  if (cmd == "machine delete") {
    v1::DeleteStateMachineRequest req;
    req.set_state_machine_arn(*arn);
    absl::Status s = c.DeleteStateMachine(req);
    if (!s.ok()) return CallFailed(s);
    std::cout << "deleted " << *arn << "\n";
    return kExitOk;
  }
  v1::DescribeStateMachineRequest req;  // machine describe
  req.set_state_machine_arn(*arn);
  auto m = c.DescribeStateMachine(req);
  if (!m.ok()) return CallFailed(m.status());
  if (as_json) {
    std::cout << PrettyJson(MachineJson(*m));
    return kExitOk;
  }
  PrintKeyValues({{"arn", m->state_machine_arn()},
                  {"name", m->name()},
                  {"status", m->status()},
                  {"type", m->type()},
                  {"role", m->role_arn().empty() ? "-" : m->role_arn()},
                  {"created", FormatTimestamp(m->creation_date())},
                  {"updated", FormatTimestamp(m->update_date())},
                  {"revision", m->revision_id().empty() ? "-" : m->revision_id()},
                  {"logging", m->logging_configuration().level().empty()
                                  ? std::string("OFF")
                                  : m->logging_configuration().level()}});
  std::cout << "definition:\n" << PrettyJson(JsonOrString(m->definition()));
  return kExitOk;
}

// Waits until the execution closes: follows WatchExecution to its end (or
// polls DescribeExecution when the server lacks it), then describes it.
absl::StatusOr<v1::DescribeExecutionResponse> WaitForClose(
    Client& c, const std::string& arn,
    const std::function<void(const v1::HistoryEvent&)>& on_event) {
  v1::WatchExecutionRequest watch;
  watch.set_execution_arn(arn);
  // Nobody reads the events: ask only for the end of the stream.
  if (!on_event) watch.set_after_event_id(std::numeric_limits<int64_t>::max());
  absl::Status s = c.WatchExecution(watch, [&](const v1::HistoryEvent& e) {
    if (on_event) on_event(e);
    return true;
  });
  bool poll = !s.ok() && s.code() == absl::StatusCode::kUnimplemented;
  if (!s.ok() && !poll) return s;
  v1::DescribeExecutionRequest req;
  req.set_execution_arn(arn);
  while (true) {
    auto d = c.DescribeExecution(req);
    if (!d.ok() || d->status() != "RUNNING") return d;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll ? 200 : 20));
  }
}

// The child executions the execution's Task events name (ChildExecutionArn),
// in history order, each once.
absl::StatusOr<std::vector<std::string>> ChildExecutions(Client& c, const std::string& arn) {
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  req.set_max_results(1000);
  std::vector<std::string> out;
  while (true) {
    auto resp = c.GetExecutionHistory(req);
    if (!resp.ok()) return resp.status();
    for (const auto& e : resp->events()) {
      if (e.type() != "TaskSubmitted" && e.type() != "TaskSucceeded") continue;
      auto parsed = ParseJson(ToAbsl(e.details_json()));
      if (!parsed.ok() || !parsed->is_object()) continue;
      std::string child = ChildExecutionArn(e.type(), parsed->get_object());
      if (!child.empty() && std::find(out.begin(), out.end(), child) == out.end()) {
        out.push_back(child);
      }
    }
    if (resp->next_token().empty()) break;
    req.set_next_token(resp->next_token());
  }
  return out;
}

// What the running execution's open tasks wait for (WaitingNote), if any.
std::vector<std::string> WaitingNotes(const v1::DescribeExecutionResponse& e) {
  std::vector<std::string> notes;
  for (const auto& t : e.open_tasks()) {
    std::string note = WaitingNote(t);
    if (!note.empty()) notes.push_back(note);
  }
  return notes;
}

int ExecutionCommand(const RemoteArgs& a, Client& c) {
  const std::string& cmd = a.command;
  bool as_json = a.Has("json");
  if (cmd == "start") {
    auto arn = ResolveStateMachine(c, a.positional[0]);
    if (!arn.ok()) return CallFailed(arn.status());
    auto input = ResolveInputSpec(a.Get("input", "{}"));
    if (!input.ok()) return Usage(std::string(input.status().message()));
    if (auto parsed = ParseJson(*input); !parsed.ok()) {
      return Usage("--input is not valid JSON: " +
                   std::string(parsed.status().message()));
    }
    if (a.Has("sync")) return StartSync(c, *arn, *input, a.Get("name"), as_json);
    if (a.Has("wait")) {
      // --wait follows the history, which an Express execution does not keep.
      v1::DescribeStateMachineRequest d;
      d.set_state_machine_arn(*arn);
      // (An alias ARN is not described; StartExecution answers for it.)
      auto m = c.DescribeStateMachine(d);
      if (m.ok() && m->type() == "EXPRESS") {
        return Usage("--wait follows a Standard execution's history; an EXPRESS machine's "
                     "executions keep none (as on AWS): use --sync to start one and wait");
      }
    }
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(*arn);
    req.set_input(*input);
    req.set_name(a.Get("name"));
    auto resp = c.StartExecution(req);
    if (!resp.ok()) return CallFailed(resp.status());
    if (!a.Has("wait")) {
      PrintCreated(as_json, "executionArn", resp->execution_arn(), "startDate",
                   resp->start_date());
      return kExitOk;
    }
    std::cerr << resp->execution_arn() << "\n";
    auto done = WaitForClose(c, resp->execution_arn(), nullptr);
    if (!done.ok()) return CallFailed(done.status());
    std::cout << PrettyJson(ResultJson(*done));
    return kExitOk;
  }
  const std::string& arn = a.positional[0];
  if (cmd == "describe") {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn(arn);
    req.set_include_open_tasks(!as_json);
    auto e = c.DescribeExecution(req);
    if (!e.ok()) return CallFailed(e.status());
    if (as_json) {
      std::cout << PrettyJson(ExecutionJson(*e));
      return kExitOk;
    }
    std::vector<std::pair<std::string, std::string>> kv = {
        {"arn", e->execution_arn()},
        {"state machine", e->state_machine_arn()},
        {"name", e->name()},
        {"status", e->status()}};
    for (const std::string& note : WaitingNotes(*e)) kv.push_back({"waiting", note});
    if (std::string parent = StartedByExecutionArn(e->input()); !parent.empty()) {
      kv.push_back({"started by", parent});
    }
    auto children = ChildExecutions(c, arn);
    if (!children.ok()) return CallFailed(children.status());
    constexpr size_t kMaxChildrenShown = 20;
    for (size_t i = 0; i < children->size() && i < kMaxChildrenShown; ++i) {
      kv.push_back({"child", (*children)[i]});
    }
    if (children->size() > kMaxChildrenShown) {
      kv.push_back({"child", "... " + std::to_string(children->size() - kMaxChildrenShown) +
                                 " more (stepwise history " + arn + ")"});
    }
    kv.push_back({"started", FormatTimestamp(e->start_date())});
    if (e->has_stop_date()) {
      kv.push_back({"stopped", FormatTimestamp(e->stop_date())});
      kv.push_back({"duration",
                    FormatDuration(TimestampMicros(e->stop_date()) -
                                   TimestampMicros(e->start_date()))});
    }
    kv.push_back({"input", SerializeJson(JsonOrString(e->input()))});
    if (e->has_output()) {
      kv.push_back({"output", SerializeJson(JsonOrString(e->output()))});
    }
    if (e->has_error()) kv.push_back({"error", e->error()});
    if (e->has_cause()) kv.push_back({"cause", e->cause()});
    if (e->redrive_count() > 0) {
      kv.push_back({"redriven", std::to_string(e->redrive_count()) + " time(s), last at " +
                                    FormatTimestamp(e->redrive_date())});
    }
    if (e->redrive_status() == "REDRIVABLE") {
      kv.push_back({"redrive", "possible (stepwise redrive " + arn + ")"});
    }
    PrintKeyValues(kv);
    return kExitOk;
  }
  if (cmd == "stop") {
    v1::StopExecutionRequest req;
    req.set_execution_arn(arn);
    req.set_error(a.Get("error"));
    req.set_cause(a.Get("cause"));
    auto resp = c.StopExecution(req);
    if (!resp.ok()) return CallFailed(resp.status());
    std::cout << "stopped " << arn << " at "
              << FormatTimestamp(resp->stop_date()) << "\n";
    return kExitOk;
  }
  if (cmd == "redrive") {
    v1::RedriveExecutionRequest req;
    req.set_execution_arn(arn);
    req.set_client_token(a.Get("client-token"));
    auto resp = c.RedriveExecution(req);
    if (!resp.ok()) return CallFailed(resp.status());
    std::cout << "redrove " << arn << " at " << FormatTimestamp(resp->redrive_date()) << "\n";
    return kExitOk;
  }
  if (cmd == "list") {
    auto machine = ResolveStateMachine(c, arn);
    if (!machine.ok()) return CallFailed(machine.status());
    v1::ListExecutionsRequest req;
    req.set_state_machine_arn(*machine);
    req.set_status_filter(a.Get("status"));
    int64_t max = a.GetInt("max", 0);
    std::vector<std::vector<std::string>> rows;
    json::array items;
    while (true) {
      auto resp = c.ListExecutions(req);
      if (!resp.ok()) return CallFailed(resp.status());
      for (const auto& e : resp->executions()) {
        if (max > 0 && static_cast<int64_t>(rows.size()) >= max) break;
        std::string duration = "-";
        if (e.has_stop_date()) {
          duration = FormatDuration(TimestampMicros(e.stop_date()) -
                                    TimestampMicros(e.start_date()));
        }
        rows.push_back({e.name(), e.status(), FormatTimestamp(e.start_date()),
                        duration, e.execution_arn()});
        json::object o;
        o["executionArn"] = e.execution_arn();
        o["stateMachineArn"] = e.state_machine_arn();
        o["name"] = e.name();
        o["status"] = e.status();
        o["startDate"] = FormatTimestamp(e.start_date());
        if (e.has_stop_date()) o["stopDate"] = FormatTimestamp(e.stop_date());
        items.push_back(std::move(o));
      }
      if (resp->next_token().empty() ||
          (max > 0 && static_cast<int64_t>(rows.size()) >= max)) {
        break;
      }
      req.set_next_token(resp->next_token());
    }
    PrintListing(as_json, items, {"NAME", "STATUS", "STARTED", "DURATION", "ARN"}, rows);
    return kExitOk;
  }
  // history
  HistoryFormatter formatter;
  if (a.Has("follow")) {
    if (!as_json) {
      std::cout << HistoryFormatter::FixedWidthLine(HistoryFormatter::Headers());
    }
    v1::WatchExecutionRequest req;
    req.set_execution_arn(arn);
    absl::Status s = c.WatchExecution(req, [&](const v1::HistoryEvent& e) {
      if (as_json) {
        std::cout << SerializeJson(HistoryEventJson(e)) << "\n";
      } else {
        std::cout << HistoryFormatter::FixedWidthLine(formatter.Row(e));
      }
      std::cout.flush();
      return true;
    });
    if (!s.ok()) return CallFailed(s);
    return kExitOk;
  }
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  std::vector<std::vector<std::string>> rows;
  json::array events;
  while (true) {
    auto resp = c.GetExecutionHistory(req);
    if (!resp.ok()) return CallFailed(resp.status());
    for (const auto& e : resp->events()) {
      rows.push_back(formatter.Row(e));
      events.push_back(HistoryEventJson(e));
    }
    if (resp->next_token().empty()) break;
    req.set_next_token(resp->next_token());
  }
  if (as_json) {
    json::object o;
    o["events"] = std::move(events);
    std::cout << PrettyJson(o);
  } else {
    std::cout << FormatTable(HistoryFormatter::Headers(), rows);
    // A running execution's open tasks that no worker serves.
    v1::DescribeExecutionRequest describe;
    describe.set_execution_arn(arn);
    describe.set_include_open_tasks(true);
    if (auto d = c.DescribeExecution(describe); d.ok()) {
      for (const std::string& note : WaitingNotes(*d)) std::cout << note << "\n";
    }
  }
  return kExitOk;
}

int ActivityCommand(const RemoteArgs& a, Client& c) {
  const std::string& cmd = a.command;
  bool as_json = a.Has("json");
  auto activity_json = [](const v1::DescribeActivityResponse& d) {
    json::object o;
    o["activityArn"] = d.activity_arn();
    o["name"] = d.name();
    o["creationDate"] = FormatTimestamp(d.creation_date());
    return o;
  };
  if (cmd == "activity create") {
    v1::CreateActivityRequest req;
    req.set_name(a.positional[0]);
    auto resp = c.CreateActivity(req);
    if (!resp.ok()) return CallFailed(resp.status());
    PrintCreated(as_json, "activityArn", resp->activity_arn(), "creationDate",
                 resp->creation_date());
    return kExitOk;
  }
  if (cmd == "activity list") {
    v1::ListActivitiesRequest req;
    std::vector<std::vector<std::string>> rows;
    json::array items;
    while (true) {
      auto resp = c.ListActivities(req);
      if (!resp.ok()) return CallFailed(resp.status());
      for (const auto& d : resp->activities()) {
        rows.push_back({d.name(), FormatTimestamp(d.creation_date()),
                        d.activity_arn()});
        items.push_back(activity_json(d));
      }
      if (resp->next_token().empty()) break;
      req.set_next_token(resp->next_token());
    }
    PrintListing(as_json, items, {"NAME", "CREATED", "ARN"}, rows);
    return kExitOk;
  }
  auto arn = ResolveActivity(c, a.positional[0]);
  if (!arn.ok()) return CallFailed(arn.status());
  if (cmd == "activity delete") {
    v1::DeleteActivityRequest req;
    req.set_activity_arn(*arn);
    absl::Status s = c.DeleteActivity(req);
    if (!s.ok()) return CallFailed(s);
    std::cout << "deleted " << *arn << "\n";
    return kExitOk;
  }
  v1::DescribeActivityRequest req;
  req.set_activity_arn(*arn);
  auto d = c.DescribeActivity(req);
  if (!d.ok()) return CallFailed(d.status());
  if (as_json) {
    std::cout << PrettyJson(activity_json(*d));
  } else {
    PrintKeyValues({{"arn", d->activity_arn()},
                    {"name", d->name()},
                    {"created", FormatTimestamp(d->creation_date())}});
  }
  return kExitOk;
}

int TaskCommand(const RemoteArgs& a, Client& c) {
  const std::string& token = a.positional[0];
  absl::Status s;
  if (a.command == "task success") {
    auto output = ResolveInputSpec(a.Get("output"));
    if (!output.ok()) return Usage(std::string(output.status().message()));
    if (auto parsed = ParseJson(*output); !parsed.ok()) {
      return Usage("--output is not valid JSON: " +
                   std::string(parsed.status().message()));
    }
    v1::SendTaskSuccessRequest req;
    req.set_task_token(token);
    req.set_output(*output);
    s = c.SendTaskSuccess(req);
  } else if (a.command == "task failure") {
    v1::SendTaskFailureRequest req;
    req.set_task_token(token);
    req.set_error(a.Get("error"));
    req.set_cause(a.Get("cause"));
    s = c.SendTaskFailure(req);
  } else {
    v1::SendTaskHeartbeatRequest req;
    req.set_task_token(token);
    s = c.SendTaskHeartbeat(req);
  }
  if (!s.ok()) return CallFailed(s);
  return kExitOk;
}

int AdminCommand(const RemoteArgs& a, Client& c) {
  if (a.command == "admin cluster") return ClusterCommand(a, c);
  // "admin backup": the server writes DIR; a relative DIR is
  // resolved here, which is right when client and server share a host.
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(a.positional[0], ec);
  if (ec) return Usage("cannot resolve " + a.positional[0] + ": " + ec.message());
  v1::BackupRequest req;
  req.set_dir(dir.lexically_normal().string());
  auto r = c.Backup(req);
  if (!r.ok()) return CallFailed(r.status());
  if (a.Has("json")) {
    json::object o;
    o["dir"] = r->dir();
    o["bytes"] = r->bytes();
    std::cout << PrettyJson(o);
  } else {
    std::cout << "backup written to " << r->dir() << " (" << r->bytes() << " bytes)\n";
  }
  return kExitOk;
}

int WorkerCommand(const RemoteArgs& a, Client& c, const sigset_t& signals) {
  ActivityWorkerOptions options;
  std::string polled;  // what the worker polls, for the log line
  if (a.Has("function")) {
    // Validated by the parser.
    options.function_name = FunctionNameFromArg(a.Get("function")).value_or("");
    polled = "function " + options.function_name;
  } else {
    std::string arn;
    std::string activity = a.Get("activity");
    if (activity.rfind("arn:", 0) == 0) {
      arn = activity;
    } else {
      // CreateActivity is idempotent for an existing name in AWS; look up
      // first so that a server that is not idempotent works too.
      auto found = ResolveActivity(c, activity);
      if (found.ok()) {
        arn = *found;
      } else if (found.status().code() == absl::StatusCode::kNotFound) {
        v1::CreateActivityRequest req;
        req.set_name(activity);
        auto created = c.CreateActivity(req);
        if (!created.ok()) return CallFailed(created.status());
        arn = created->activity_arn();
      } else {
        return CallFailed(found.status());
      }
    }
    options.activity_arn = arn;
    polled = arn;
  }
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  options.worker_name =
      a.Get("name", std::string(host) + ":" + std::to_string(getpid()));
  options.concurrency = static_cast<int>(a.GetInt("concurrency", 1));
  options.heartbeat_interval =
      absl::Seconds(a.GetDouble("heartbeat-seconds", 10));
  std::vector<std::string> argv = a.command_line;
  ActivityWorker worker(
      &c, options,
      [&argv](const std::string& input,
              const HeartbeatFn&) -> absl::StatusOr<std::string> {
        auto result = RunCommand(argv, input);
        if (!result.ok()) {
          return TaskFailure("CommandFailed",
                             std::string(result.status().message()));
        }
        TaskReport r = ReportFromCommand(result->exit_code, result->stdout_text,
                                         result->stderr_text);
        if (r.success) return r.output;
        return TaskFailure(r.error, r.cause);
      });
  worker.Start();
  std::cerr << "stepwise worker: polling " << polled << " with "
            << options.concurrency << " poller(s); Ctrl-C stops\n";
  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  std::cerr << "stepwise worker: stopping (signal " << sig
            << "); running tasks finish, a second signal exits now\n";
  std::thread second([signals]() {
    timespec ts{0, 100 * 1000 * 1000};
    siginfo_t info;
    while (true) {
      int r = sigtimedwait(&signals, &info, &ts);
      if (r > 0) _exit(130);
    }
  });
  second.detach();
  worker.Stop();
  std::cerr << "stepwise worker: stopped (" << worker.tasks_succeeded()
            << " succeeded, " << worker.tasks_failed() << " failed)\n";
  return kExitOk;
}

}  // namespace

int CallFailed(const absl::Status& status) {
  std::string name = AwsErrorName(status);
  if (name.empty()) name = absl::StatusCodeToString(status.code());
  std::cerr << "error: " << name << ": " << status.message() << "\n";
  return kExitCallFailed;
}

int RunRemote(const RemoteArgs& a) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (a.command == "worker" || a.command == "lambda-runtime") {
    // Before any thread starts, so that only sigwait sees them.
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  std::signal(SIGPIPE, SIG_IGN);
  ClientOptions options;
  options.endpoint = a.connection.endpoint;
  options.bearer_token = a.connection.token;
  if (!a.connection.tls_ca.empty()) options.tls_ca_file = a.connection.tls_ca;
  if (!a.connection.tls_cert.empty()) {
    options.tls_cert_file = a.connection.tls_cert;
  }
  if (!a.connection.tls_key.empty()) options.tls_key_file = a.connection.tls_key;
  auto client = Client::Connect(options);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  Client& c = **client;
  const std::string& cmd = a.command;
  if (IsSearchCommand(a)) return SearchCommand(a, c);
  if (IsVersionsCommand(cmd)) return VersionsCommand(a, c);
  if (cmd == "restart") return RestartCommand(a, c);
  if (cmd.rfind("machine ", 0) == 0) return MachineCommand(a, c);
  if (cmd.rfind("activity ", 0) == 0) return ActivityCommand(a, c);
  if (cmd.rfind("task ", 0) == 0) return TaskCommand(a, c);
  if (cmd.rfind("admin ", 0) == 0) return AdminCommand(a, c);
  if (cmd == "worker") return WorkerCommand(a, c, signals);
  if (cmd == "lambda-runtime") return LambdaRuntimeCommand(a, c, signals);
  if (cmd == "bench") return RunBench(a, c);
  if (cmd == "test-state") return TestStateCommand(a, c);
  if (cmd == "tag" || cmd == "untag" || cmd == "tags") return TagsCommand(a, c);
  if (cmd.rfind("batch ", 0) == 0) return BatchCommand(a, c);
  if (cmd.rfind("map-run ", 0) == 0) return MapRunCommand(a, c);
  return ExecutionCommand(a, c);
}

}  // namespace stepwise::client
