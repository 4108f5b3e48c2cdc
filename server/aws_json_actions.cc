// The AWS JSON 1.0 action handlers and their table (see aws_json_actions.h):
// AWS's request members in, engine call, AWS's response members out.
// Handlers run on AwsJsonApi's pool; the *Async ones answer from an engine
// thread.
#include "server/aws_json_actions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/service_error.h"
#include "engine/test_state/test_state.h"
#include "server/aws_json_members.h"
#include "server/aws_json_tags.h"
#include "server/aws_logging_configuration.h"
#include "server/aws_json_versions.h"
#include "server/aws_json_map_runs.h"
#include "server/paging.h"

namespace stepwise::server {

namespace {

// AWS's default and longest GetActivityTask long poll.
constexpr int64_t kPollMs = 60000;

// Actions in AWS's model that Stepwise does not serve yet (none now).
constexpr std::array<std::string_view, 0> kUnsupported = {};

// ListExecutions' statusFilter, in the order AWS's message lists them.
constexpr std::array<std::string_view, 6> kExecutionStatuses = {
    "SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING"};

// The request's loggingConfiguration, nullopt when absent (or null).
absl::StatusOr<std::optional<engine::LoggingConfiguration>> LoggingMember(
    const json::object& req) {
  auto it = req.find("loggingConfiguration");
  if (it == req.end() || it->value().is_null()) {
    return std::optional<engine::LoggingConfiguration>();
  }
  auto c = LoggingConfigurationFromAws(it->value());
  if (!c.ok()) return c.status();
  return std::optional<engine::LoggingConfiguration>(*std::move(c));
}

json::object MachineJson(const engine::StateMachineDescription& d, bool for_execution) {
  json::object o;
  o["stateMachineArn"] = d.arn;
  o["name"] = d.name;
  if (!for_execution) o["status"] = d.status.empty() ? "ACTIVE" : d.status;
  o["definition"] = d.definition;
  o["roleArn"] = d.role_arn;
  if (!for_execution) {
    o["type"] = d.type;
    o["creationDate"] = AwsSeconds(d.creation_date);
  } else {
    o["updateDate"] = AwsSeconds(d.update_date != 0 ? d.update_date : d.creation_date);
  }
  o["loggingConfiguration"] = LoggingConfigurationToAws(d.logging_configuration);
  o["tracingConfiguration"] = json::object{{"enabled", false}};
  if (!d.revision_id.empty()) o["revisionId"] = d.revision_id;
  if (!d.description.empty()) o["description"] = d.description;  // of a version
  return o;
}

json::object ActivityJson(const engine::ActivityDescription& d) {
  return json::object{
      {"activityArn", d.arn}, {"name", d.name}, {"creationDate", AwsSeconds(d.creation_date)}};
}

// ---- state machines ----

absl::StatusOr<AwsActionResult> CreateStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string name = m.Need("name");
  std::string definition = m.Need("definition");
  std::string role_arn = m.Need("roleArn");
  std::optional<std::string> type =
      m.Enum("type", std::array<std::string_view, 2>{"STANDARD", "EXPRESS"});
  std::optional<bool> publish = m.Bool("publish");
  std::optional<std::string> version_description = m.Str("versionDescription");
  if (!m.status().ok()) return m.status();
  auto tags = ReadTagList(req, "tags", false);
  if (!tags.ok()) return tags.status();
  auto logging = LoggingMember(req);
  if (!logging.ok()) return logging.status();
  auto d = e->CreateStateMachine(name, definition, role_arn, type.value_or("STANDARD"), *tags,
                                 logging->value_or(engine::LoggingConfiguration{}),
                                 publish.value_or(false), version_description.value_or(""));
  if (!d.ok()) return d.status();
  json::object o{{"stateMachineArn", d->arn}, {"creationDate", AwsSeconds(d->creation_date)}};
  if (!d->version_arn.empty()) o["stateMachineVersionArn"] = d->version_arn;
  return AwsActionResult(AwsBody(o), d->arn);
}

absl::StatusOr<AwsActionResult> DescribeStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  m.Enum("includedData", std::array<std::string_view, 2>{"ALL_DATA", "METADATA_ONLY"});
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeStateMachine(arn);
  if (!d.ok()) return d.status();
  return AwsBody(MachineJson(*d, false));
}

absl::StatusOr<AwsActionResult> UpdateStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  std::optional<std::string> definition = m.Str("definition");
  std::optional<std::string> role_arn = m.Str("roleArn");
  std::optional<bool> publish = m.Bool("publish");
  std::optional<std::string> version_description = m.Str("versionDescription");
  if (!m.status().ok()) return m.status();
  auto logging = LoggingMember(req);
  if (!logging.ok()) return logging.status();
  auto d = e->UpdateStateMachine(arn, definition, role_arn, *logging, publish.value_or(false),
                                 version_description.value_or(""));
  if (!d.ok()) return d.status();
  json::object o{{"updateDate", AwsSeconds(d->update_date)}};
  if (!d->revision_id.empty()) o["revisionId"] = d->revision_id;
  if (!d->version_arn.empty()) o["stateMachineVersionArn"] = d->version_arn;
  return AwsBody(o);
}

absl::StatusOr<AwsActionResult> DeleteStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->DeleteStateMachine(arn); !s.ok()) return s;
  return AwsActionResult("{}");
}

absl::StatusOr<AwsActionResult> ListStateMachines(engine::Engine* e, const json::object& req) {
  Members m(req);
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.NextToken();
  if (!m.status().ok()) return m.status();
  auto all = e->ListStateMachines();
  if (!all.ok()) return all.status();
  absl::StatusOr<PageRange> page = PageBounds(max_results, token.value_or(""), all->size());
  if (!page.ok()) return page.status();
  json::array items;
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& d = (*all)[i];
    items.push_back(json::object{{"stateMachineArn", d.arn},
                                 {"name", d.name},
                                 {"type", d.type},
                                 {"creationDate", AwsSeconds(d.creation_date)}});
  }
  json::object o{{"stateMachines", std::move(items)}};
  if (std::string next = NextPageToken(*page, all->size()); !next.empty()) o["nextToken"] = next;
  return AwsBody(o);
}

absl::StatusOr<AwsActionResult> DescribeStateMachineForExecution(engine::Engine* e,
                                                             const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  m.Enum("includedData", std::array<std::string_view, 2>{"ALL_DATA", "METADATA_ONLY"});
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeStateMachineForExecution(arn);
  if (!d.ok()) return d.status();
  return AwsBody(MachineJson(*d, true));
}

absl::StatusOr<AwsActionResult> ValidateStateMachineDefinition(engine::Engine* e,
                                                           const json::object& req) {
  Members m(req);
  std::string definition = m.Need("definition");
  std::optional<std::string> type =
      m.Enum("type", std::array<std::string_view, 2>{"STANDARD", "EXPRESS"});
  std::optional<std::string> severity =
      m.Enum("severity", std::array<std::string_view, 2>{"ERROR", "WARNING"});
  int max_results = m.MaxResults(100);
  if (!m.status().ok()) return m.status();
  // With the engine's options: a WARNING for each Task it cannot run.
  auto found = engine::Engine::ValidateStateMachineDefinition(
      definition, type.value_or("STANDARD"), e->validation_options());
  if (!found.ok()) return found.status();
  bool ok = true;
  bool warnings = severity.value_or("ERROR") == "WARNING";
  size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  json::array diagnostics;
  bool truncated = false;
  for (const engine::DefinitionDiagnostic& d : *found) {
    if (d.severity == "ERROR") ok = false;
    if (d.severity != "ERROR" && !warnings) continue;
    if (diagnostics.size() == limit) {
      truncated = true;
      break;
    }
    json::object o{{"severity", d.severity}, {"code", d.code}, {"message", d.message}};
    if (!d.location.empty()) o["location"] = d.location;
    diagnostics.push_back(std::move(o));
  }
  return AwsBody(json::object{{"result", ok ? "OK" : "FAIL"},
                           {"diagnostics", std::move(diagnostics)},
                           {"truncated", truncated}});
}

// ---- executions ----

void StartExecution(const AwsActionContext& ctx, const json::object& req, AwsActionDone done) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  std::optional<std::string> name = m.Str("name");
  std::optional<std::string> input = m.Str("input");
  m.Str("traceHeader");
  if (!m.status().ok()) return done(m.status());
  ctx.engine->StartExecutionAsync(
      arn, name.value_or(""), input.value_or("{}"),
      [done = std::move(done), arn, started = ctx.on_execution_started](
          absl::StatusOr<engine::StartExecutionResult> r) {
        if (!r.ok()) return done(r.status());
        if (started) started(arn);
        done(AwsActionResult(AwsBody(json::object{{"executionArn", r->execution_arn},
                                               {"startDate", AwsSeconds(r->start_date)}}),
                             r->execution_arn));
      });
}

// StartSyncExecution (Express only): answered when the execution closes,
// HTTP 200 whatever its status. Any Host, the SDKs' "sync-" prefix included.
void StartSyncExecution(const AwsActionContext& ctx, const json::object& req,
                        AwsActionDone done) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  std::optional<std::string> name = m.Str("name");
  std::optional<std::string> input = m.Str("input");
  std::optional<std::string> trace = m.Str("traceHeader");
  std::optional<std::string> included =
      m.Enum("includedData", std::array<std::string_view, 2>{"ALL_DATA", "METADATA_ONLY"});
  if (!m.status().ok()) return done(m.status());
  bool data = included.value_or("ALL_DATA") == "ALL_DATA";
  ctx.engine->StartSyncExecutionAsync(
      arn, name.value_or(""), input.value_or("{}"),
      [done = std::move(done), arn, data, trace,
       started = ctx.on_execution_started](absl::StatusOr<engine::SyncExecutionResult> r) {
        if (!r.ok()) return done(r.status());
        if (started) started(arn);
        const engine::ExecutionDescription& d = r->execution;
        json::object o;
        o["executionArn"] = d.execution_arn;
        o["stateMachineArn"] = d.state_machine_arn;
        o["name"] = d.name;
        o["startDate"] = AwsSeconds(d.start_date);
        o["stopDate"] = AwsSeconds(d.stop_date);
        o["status"] = d.status;
        if (d.error.has_value()) o["error"] = *d.error;
        if (d.cause.has_value()) o["cause"] = *d.cause;
        if (data) o["input"] = d.input;
        o["inputDetails"] = json::object{{"included", data}};
        if (d.output.has_value()) {
          if (data) o["output"] = *d.output;
          o["outputDetails"] = json::object{{"included", data}};
        }
        if (trace.has_value()) o["traceHeader"] = *trace;
        o["billingDetails"] = json::object{{"billedMemoryUsedInMB", r->billed_memory_mb},
                                           {"billedDurationInMilliseconds", r->billed_duration_ms}};
        done(AwsActionResult(AwsBody(std::move(o)), d.execution_arn));
      });
}

absl::StatusOr<AwsActionResult> StopExecution(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  std::optional<std::string> error = m.Str("error");
  std::optional<std::string> cause = m.Str("cause");
  if (!m.status().ok()) return m.status();
  auto d = e->StopExecution(arn, error.value_or(""), cause.value_or(""));
  if (!d.ok()) return d.status();
  return AwsBody(json::object{{"stopDate", AwsSeconds(*d)}});
}

absl::StatusOr<AwsActionResult> DescribeExecution(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  std::optional<std::string> included =
      m.Enum("includedData", std::array<std::string_view, 2>{"ALL_DATA", "METADATA_ONLY"});
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeExecution(arn);
  if (!d.ok()) return d.status();
  bool data = included.value_or("ALL_DATA") == "ALL_DATA";
  json::object o;
  o["executionArn"] = d->execution_arn;
  o["stateMachineArn"] = d->state_machine_arn;
  o["name"] = d->name;
  o["status"] = d->status;
  o["startDate"] = AwsSeconds(d->start_date);
  if (d->stop_date != 0) o["stopDate"] = AwsSeconds(d->stop_date);
  if (data) o["input"] = d->input;
  o["inputDetails"] = json::object{{"included", data}};
  if (d->output.has_value()) {
    if (data) o["output"] = *d->output;
    o["outputDetails"] = json::object{{"included", data}};
  }
  if (d->error.has_value()) o["error"] = *d->error;
  if (d->cause.has_value()) o["cause"] = *d->cause;
  if (!d->redrive_status.empty()) {  // EXPRESS executions show no redrive fields
    o["redriveCount"] = d->redrive_count;
    if (d->redrive_date != 0) o["redriveDate"] = AwsSeconds(d->redrive_date);
    o["redriveStatus"] = d->redrive_status;
    if (!d->redrive_status_reason.empty()) o["redriveStatusReason"] = d->redrive_status_reason;
  }
  if (!d->version_arn.empty()) o["stateMachineVersionArn"] = d->version_arn;
  if (!d->alias_arn.empty()) o["stateMachineAliasArn"] = d->alias_arn;
  if (!d->map_run_arn.empty()) o["mapRunArn"] = d->map_run_arn;
  return AwsBody(o);
}

absl::StatusOr<AwsActionResult> RedriveExecution(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  std::optional<std::string> token = m.Str("clientToken");
  if (!m.status().ok()) return m.status();
  if (arn.size() > 256) {  // AWS: executionArn 1..256
    return AwsConstraintError(absl::StrCat("'", ToAbsl(arn), "'"), "executionArn",
                           "Member must have length less than or equal to 256");
  }
  if (token.has_value()) {
    bool printable = std::all_of(token->begin(), token->end(),
                                 [](char c) { return c >= '!' && c <= '~'; });
    if (token->empty() || token->size() > 64) {
      return AwsConstraintError(absl::StrCat("'", ToAbsl(*token), "'"), "clientToken",
                             "Member must have length between 1 and 64");
    }
    if (!printable) {
      return AwsConstraintError(absl::StrCat("'", ToAbsl(*token), "'"), "clientToken",
                             "Member must satisfy regular expression pattern: [!-~]+");
    }
  }
  auto d = e->RedriveExecution(arn, token.value_or(""));
  if (!d.ok()) return d.status();
  return AwsBody(json::object{{"redriveDate", AwsSeconds(*d)}});
}

absl::StatusOr<AwsActionResult> ListExecutions(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::optional<std::string> arn = m.Str("stateMachineArn");
  std::optional<std::string> status = m.Enum("statusFilter", kExecutionStatuses);
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.NextToken(3096);
  std::optional<std::string> redrive =
      m.Enum("redriveFilter", std::array<std::string_view, 2>{"REDRIVEN", "NOT_REDRIVEN"});
  std::optional<std::string> map_run = m.Str("mapRunArn");
  if (!m.status().ok()) return m.status();
  if (!arn.has_value() && !map_run.has_value()) {
    return AwsValidationError("Must provide a StateMachine ARN or MapRun ARN");
  }
  if (arn.has_value() && map_run.has_value()) {  // AWS: one or the other, not both
    return AwsValidationError("Must provide either a StateMachine ARN or a MapRun ARN, not both");
  }
  auto l = map_run.has_value()
               ? e->ListMapRunExecutions(*map_run, status.value_or(""), max_results,
                                         token.value_or(""), redrive.value_or(""))
               : e->ListExecutions(*arn, status.value_or(""), max_results, token.value_or(""),
                                   redrive.value_or(""));
  if (!l.ok()) return l.status();
  json::array items;
  for (const auto& d : l->executions) items.push_back(AwsExecutionListItem(d));
  json::object o{{"executions", std::move(items)}};
  if (!l->next_token.empty()) o["nextToken"] = l->next_token;
  return AwsBody(o);
}

absl::StatusOr<AwsActionResult> GetExecutionHistory(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.NextToken();
  std::optional<bool> reverse = m.Bool("reverseOrder");
  std::optional<bool> include_data = m.Bool("includeExecutionData");
  if (!m.status().ok()) return m.status();
  auto page = e->GetExecutionHistory(arn, max_results, token.value_or(""),
                                     reverse.value_or(false), include_data.value_or(true));
  if (!page.ok()) return page.status();
  // Events are already in AWS's HistoryEvent shape: append them without
  // building a second tree.
  std::string out = "{\"events\":[";
  for (size_t i = 0; i < page->events.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJson(page->events[i], out);
  }
  out.push_back(']');
  if (!page->next_token.empty()) {
    out += ",\"nextToken\":";
    AppendJsonString(page->next_token, out);
  }
  out.push_back('}');
  return out;
}

// ---- activities ----

absl::StatusOr<AwsActionResult> CreateActivity(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string name = m.Need("name");
  if (!m.status().ok()) return m.status();
  auto tags = ReadTagList(req, "tags", false);
  if (!tags.ok()) return tags.status();
  auto d = e->CreateActivity(name, *tags);
  if (!d.ok()) return d.status();
  return AwsActionResult(
      AwsBody(json::object{{"activityArn", d->arn}, {"creationDate", AwsSeconds(d->creation_date)}}),
      d->arn);
}

absl::StatusOr<AwsActionResult> DescribeActivity(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("activityArn");
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeActivity(arn);
  if (!d.ok()) return d.status();
  return AwsBody(ActivityJson(*d));
}

absl::StatusOr<AwsActionResult> DeleteActivity(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("activityArn");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->DeleteActivity(arn); !s.ok()) return s;
  return AwsActionResult("{}");
}

absl::StatusOr<AwsActionResult> ListActivities(engine::Engine* e, const json::object& req) {
  Members m(req);
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.NextToken();
  if (!m.status().ok()) return m.status();
  auto all = e->ListActivities();
  if (!all.ok()) return all.status();
  absl::StatusOr<PageRange> page = PageBounds(max_results, token.value_or(""), all->size());
  if (!page.ok()) return page.status();
  json::array items;
  for (size_t i = page->begin; i < page->end; ++i) items.push_back(ActivityJson((*all)[i]));
  json::object o{{"activities", std::move(items)}};
  if (std::string next = NextPageToken(*page, all->size()); !next.empty()) o["nextToken"] = next;
  return AwsBody(o);
}

// ---- tags ----

absl::StatusOr<AwsActionResult> TagResource(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("resourceArn");
  if (!m.status().ok()) return m.status();
  auto tags = ReadTagList(req, "tags", true);
  if (!tags.ok()) return tags.status();
  if (absl::Status s = e->TagResource(arn, *tags); !s.ok()) return s;
  return AwsActionResult("{}");
}

absl::StatusOr<AwsActionResult> UntagResource(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("resourceArn");
  if (!m.status().ok()) return m.status();
  auto keys = ReadTagKeys(req);
  if (!keys.ok()) return keys.status();
  if (absl::Status s = e->UntagResource(arn, *keys); !s.ok()) return s;
  return AwsActionResult("{}");
}

absl::StatusOr<AwsActionResult> ListTagsForResource(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("resourceArn");
  if (!m.status().ok()) return m.status();
  auto tags = e->ListTagsForResource(arn);
  if (!tags.ok()) return tags.status();
  return AwsBody(TagListJson(*tags));
}

// Long-polls for up to 60 s without holding a thread: the engine answers
// from its own thread when a task arrives or the poll ends.
void GetActivityTask(const AwsActionContext& ctx, const json::object& req, AwsActionDone done) {
  Members m(req);
  std::string arn = m.Need("activityArn");
  std::optional<std::string> worker = m.Str("workerName");
  if (!m.status().ok()) return done(m.status());
  // A worker that hung up mid-poll is not handed a task.
  ctx.engine->GetActivityTaskAsync(
      arn, worker.value_or(""), kPollMs,
      [done = std::move(done)](absl::StatusOr<engine::ActivityTaskGrant> r) {
        if (!r.ok()) return done(r.status());
        // No task before the poll ended: AWS answers with no token.
        if (r->task_token.empty()) return done(AwsActionResult("{}"));
        done(AwsActionResult(
            AwsBody(json::object{{"taskToken", r->task_token}, {"input", r->input}})));
      },
      ctx.client_gone);
}

// AWS answers a task report with an empty object.
std::function<void(absl::Status)> EmptyReply(AwsActionDone done) {
  return [done = std::move(done)](absl::Status s) {
    if (!s.ok()) return done(s);
    done(AwsActionResult("{}"));
  };
}

void SendTaskSuccess(const AwsActionContext& ctx, const json::object& req, AwsActionDone done) {
  Members m(req);
  std::string token = m.Need("taskToken");
  std::string output = m.Need("output");
  if (!m.status().ok()) return done(m.status());
  ctx.engine->SendTaskSuccessAsync(token, output, EmptyReply(std::move(done)));
}

void SendTaskFailure(const AwsActionContext& ctx, const json::object& req, AwsActionDone done) {
  Members m(req);
  std::string token = m.Need("taskToken");
  std::optional<std::string> error = m.Str("error");
  std::optional<std::string> cause = m.Str("cause");
  if (!m.status().ok()) return done(m.status());
  ctx.engine->SendTaskFailureAsync(token, error.value_or(""), cause.value_or(""),
                                   EmptyReply(std::move(done)));
}

void SendTaskHeartbeat(const AwsActionContext& ctx, const json::object& req,
                       AwsActionDone done) {
  Members m(req);
  std::string token = m.Need("taskToken");
  if (!m.status().ok()) return done(m.status());
  ctx.engine->SendTaskHeartbeatAsync(token, EmptyReply(std::move(done)));
}


// TestState's request from AWS's TestStateInput.
absl::StatusOr<engine::TestStateRequest> TestStateRequestOf(const json::object& req) {
  Members m(req);
  engine::TestStateRequest r;
  r.definition = m.Need("definition");
  r.role_arn = m.Str("roleArn").value_or("");
  r.input = m.Str("input");
  r.variables = m.Str("variables");
  r.state_name = m.Str("stateName");
  r.context = m.Str("context");
  r.inspection_level =
      m.Enum("inspectionLevel", std::array<std::string_view, 3>{"INFO", "DEBUG", "TRACE"})
          .value_or("INFO");
  r.reveal_secrets = m.Bool("revealSecrets").value_or(false);
  if (!m.status().ok()) return m.status();
  auto object_member = [&](std::string_view name) -> absl::StatusOr<const json::object*> {
    auto it = req.find(name);
    if (it == req.end() || it->value().is_null()) return nullptr;
    if (!it->value().is_object()) {
      return AwsSerializationError(absl::StrCat("member '", ToAbsl(name), "' must be an object"));
    }
    return &it->value().get_object();
  };
  auto mock = object_member("mock");
  if (!mock.ok()) return mock.status();
  if (*mock != nullptr) {
    Members mm(**mock);
    engine::TestStateRequest::Mock mk;
    mk.result = mm.Str("result");
    mk.field_validation_mode =
        mm.Enum("fieldValidationMode",
                std::array<std::string_view, 3>{"STRICT", "PRESENT", "NONE"})
            .value_or("STRICT");
    if (!mm.status().ok()) return mm.status();
    auto it = (*mock)->find("errorOutput");
    if (it != (*mock)->end() && !it->value().is_null()) {
      if (!it->value().is_object()) return AwsSerializationError("member 'errorOutput' must be an object");
      Members em(it->value().get_object());
      mk.has_error_output = true;
      mk.error = em.Str("error").value_or("");
      mk.cause = em.Str("cause").value_or("");
      if (!em.status().ok()) return em.status();
    }
    r.mock = std::move(mk);
  }
  auto config = object_member("stateConfiguration");
  if (!config.ok()) return config.status();
  if (*config != nullptr) {
    Members cm(**config);
    engine::TestStateRequest::Configuration c;
    c.retrier_retry_count = cm.Int("retrierRetryCount");
    c.error_caused_by_state = cm.Str("errorCausedByState");
    c.map_iteration_failure_count = cm.Int("mapIterationFailureCount");
    c.map_item_reader_data = cm.Str("mapItemReaderData");
    if (!cm.status().ok()) return cm.status();
    r.state_configuration = std::move(c);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  r.execution_name = engine::NewUuid(rng);
  r.now = SystemClock().NowMs();
  return r;
}

// AWS's TestStateOutput.
std::string TestStateBody(const engine::TestStateResult& result) {
  json::object o;
  o["status"] = result.status;
  if (result.output.has_value()) o["output"] = *result.output;
  if (result.error.has_value()) o["error"] = *result.error;
  if (result.cause.has_value()) o["cause"] = *result.cause;
  if (result.next_state.has_value()) o["nextState"] = *result.next_state;
  if (!result.inspection_data.empty()) o["inspectionData"] = result.inspection_data;
  return AwsBody(o);
}

// TestState (engine/test_state/): a Task without a mock calls its
// resource, and the answer comes from the call's thread.
void TestState(const AwsActionContext& ctx, const json::object& req, AwsActionDone done) {
  absl::StatusOr<engine::TestStateRequest> r = TestStateRequestOf(req);
  if (!r.ok()) return done(r.status());
  engine::RunTestStateAsync(
      *r, ctx.test_state_targets,
      [done = std::move(done)](absl::StatusOr<engine::TestStateResult> result) {
        if (!result.ok()) return done(result.status());
        done(AwsActionResult(TestStateBody(*result)));
      });
}
}  // namespace

AwsAction FindAwsAction(std::string_view action) {
  static const std::array<std::pair<std::string_view, AwsAction>, 26> kActions = {{
      {"CreateStateMachine", &Blocking<&CreateStateMachine>},
      {"DescribeStateMachine", &Blocking<&DescribeStateMachine>},
      {"UpdateStateMachine", &Blocking<&UpdateStateMachine>},
      {"DeleteStateMachine", &Blocking<&DeleteStateMachine>},
      {"ListStateMachines", &Blocking<&ListStateMachines>},
      {"DescribeStateMachineForExecution", &Blocking<&DescribeStateMachineForExecution>},
      {"ValidateStateMachineDefinition", &Blocking<&ValidateStateMachineDefinition>},
      {"TestState", &TestState},
      {"StartExecution", &StartExecution},
      {"StartSyncExecution", &StartSyncExecution},
      {"StopExecution", &Blocking<&StopExecution>},
      {"RedriveExecution", &Blocking<&RedriveExecution>},
      {"DescribeExecution", &Blocking<&DescribeExecution>},
      {"ListExecutions", &Blocking<&ListExecutions>},
      {"GetExecutionHistory", &Blocking<&GetExecutionHistory>},
      {"CreateActivity", &Blocking<&CreateActivity>},
      {"DescribeActivity", &Blocking<&DescribeActivity>},
      {"DeleteActivity", &Blocking<&DeleteActivity>},
      {"ListActivities", &Blocking<&ListActivities>},
      {"GetActivityTask", &GetActivityTask},
      {"SendTaskSuccess", &SendTaskSuccess},
      {"SendTaskFailure", &SendTaskFailure},
      {"SendTaskHeartbeat", &SendTaskHeartbeat},
      {"TagResource", &Blocking<&TagResource>},
      {"UntagResource", &Blocking<&UntagResource>},
      {"ListTagsForResource", &Blocking<&ListTagsForResource>},
  }};
  for (const auto& [name, fn] : kActions) {
    if (name == action) return fn;
  }
  if (AwsAction fn = FindVersionAwsAction(action)) return fn;  // versions and aliases
  return FindMapRunAwsAction(action);  // Map Runs
}

bool IsUnsupportedAwsAction(std::string_view action) {
  return std::find(kUnsupported.begin(), kUnsupported.end(), action) != kUnsupported.end();
}


}  // namespace stepwise::server
