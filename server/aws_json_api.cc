#include "server/aws_json_api.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "asl/validator.h"
#include "engine/service_error.h"
#include "server/sigv4.h"
#include "server/status_conversion.h"

namespace stepwise::server {

namespace {

constexpr char kContentType[] = "application/x-amz-json-1.0";
constexpr std::string_view kTargetPrefix = "AWSStepFunctions.";

// AWS's default and longest GetActivityTask long poll.
constexpr int64_t kPollMs = 60000;

// Actions in AWS's model that Stepwise does not serve yet.
constexpr std::array<std::string_view, 17> kUnsupported = {
    "StartSyncExecution",      "TestState",
    "RedriveExecution",        "CreateStateMachineAlias",
    "DeleteStateMachineAlias", "DescribeStateMachineAlias",
    "ListStateMachineAliases", "UpdateStateMachineAlias",
    "DeleteStateMachineVersion", "ListStateMachineVersions",
    "PublishStateMachineVersion", "DescribeMapRun",
    "ListMapRuns",             "UpdateMapRun",
    "ListTagsForResource",     "TagResource",
    "UntagResource",
};

constexpr std::array<std::string_view, 5> kExecutionStatuses = {
    "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"};

// A timestamp as AWS sends it: epoch seconds, fractional.
json::value Seconds(TimeMs ms) { return json::value(static_cast<double>(ms) / 1000.0); }

absl::Status Serialization(std::string_view message) {
  return engine::ServiceError("SerializationException", message);
}

absl::Status Validation(std::string_view message) {
  return engine::ServiceError("ValidationException", message);
}

// AWS's wording for one failed member constraint.
absl::Status ConstraintError(std::string_view value, std::string_view member,
                             std::string_view constraint) {
  return Validation(absl::StrCat("1 validation error detected: Value ", ToAbsl(value), " at '",
                                 ToAbsl(member), "' failed to satisfy constraint: ",
                                 ToAbsl(constraint)));
}

std::string EnumConstraint(const std::string_view* allowed, size_t n) {
  std::string out = "Member must satisfy enum value set: [";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += allowed[i];
  }
  return out + "]";
}

// Reads request members, remembering the first problem. A member that is
// JSON null counts as absent (as AWS's deserializers treat it).
class Members {
 public:
  explicit Members(const json::object& o) : o_(o) {}

  std::optional<std::string> Str(std::string_view name) {
    const json::value* v = Get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      Fail(Serialization(absl::StrCat("member '", ToAbsl(name), "' must be a string")));
      return std::nullopt;
    }
    return std::string(v->as_string());
  }

  // The string member `name`; ValidationException when absent.
  std::string Need(std::string_view name) {
    if (Get(name) == nullptr) {
      Fail(ConstraintError("null", name, "Member must not be null"));
      return "";
    }
    return Str(name).value_or("");
  }

  std::optional<int64_t> Int(std::string_view name) {
    const json::value* v = Get(name);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<int64_t>(v->as_uint64());
    }
    if (v->is_double() && IsIntegral(*v) && std::abs(v->as_double()) < 9e15) {
      return static_cast<int64_t>(v->as_double());
    }
    Fail(Serialization(absl::StrCat("member '", ToAbsl(name), "' must be an integer")));
    return std::nullopt;
  }

  std::optional<bool> Bool(std::string_view name) {
    const json::value* v = Get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_bool()) {
      Fail(Serialization(absl::StrCat("member '", ToAbsl(name), "' must be a boolean")));
      return std::nullopt;
    }
    return v->as_bool();
  }

  // maxResults in [0, `max`], 0 when absent.
  int MaxResults(int64_t max) {
    std::optional<int64_t> n = Int("maxResults");
    if (!n.has_value()) return 0;
    if (*n < 0) {
      Fail(ConstraintError(absl::StrCat("'", *n, "'"), "maxResults",
                           "Member must have value greater than or equal to 0"));
      return 0;
    }
    if (*n > max) {
      Fail(ConstraintError(absl::StrCat("'", *n, "'"), "maxResults",
                           absl::StrCat("Member must have value less than or equal to ", max)));
      return 0;
    }
    return static_cast<int>(*n);
  }

  // The string member `name`, which must be one of `allowed` when present.
  template <size_t N>
  std::optional<std::string> Enum(std::string_view name,
                                  const std::array<std::string_view, N>& allowed) {
    std::optional<std::string> v = Str(name);
    if (!v.has_value()) return v;
    if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
      Fail(ConstraintError(absl::StrCat("'", *v, "'"), name,
                           EnumConstraint(allowed.data(), allowed.size())));
      return std::nullopt;
    }
    return v;
  }

  bool Has(std::string_view name) const { return Get(name) != nullptr; }

  void Fail(absl::Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  const absl::Status& status() const { return status_; }

 private:
  const json::value* Get(std::string_view name) const {
    auto it = o_.find(name);
    if (it == o_.end() || it->value().is_null()) return nullptr;
    return &it->value();
  }

  const json::object& o_;
  absl::Status status_;
};

std::string Body(const json::object& o) { return SerializeJson(json::value(o)); }

json::object LoggingConfiguration() {
  return json::object{{"level", "OFF"}, {"includeExecutionData", false}};
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
    o["creationDate"] = Seconds(d.creation_date);
  } else {
    o["updateDate"] = Seconds(d.update_date != 0 ? d.update_date : d.creation_date);
  }
  o["loggingConfiguration"] = LoggingConfiguration();
  o["tracingConfiguration"] = json::object{{"enabled", false}};
  if (!d.revision_id.empty()) o["revisionId"] = d.revision_id;
  return o;
}

json::object ActivityJson(const engine::ActivityDescription& d) {
  return json::object{
      {"activityArn", d.arn}, {"name", d.name}, {"creationDate", Seconds(d.creation_date)}};
}

// Pages an in-memory list: the token is the decimal offset of the next item.
absl::Status PageBounds(int max_results, const std::optional<std::string>& token, size_t total,
                        size_t* begin, size_t* end) {
  size_t n = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  uint64_t start = 0;
  if (token.has_value() && (!absl::SimpleAtoi(*token, &start) || start > total)) {
    return engine::ServiceError("InvalidToken", absl::StrCat("Invalid Token: '", *token, "'"));
  }
  *begin = static_cast<size_t>(start);
  *end = std::min(total, *begin + n);
  return absl::OkStatus();
}

using Action = absl::StatusOr<std::string> (*)(engine::Engine*, const json::object&);

// ---- state machines ----

absl::StatusOr<std::string> CreateStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string name = m.Need("name");
  std::string definition = m.Need("definition");
  std::string role_arn = m.Need("roleArn");
  std::optional<std::string> type =
      m.Enum("type", std::array<std::string_view, 2>{"STANDARD", "EXPRESS"});
  std::optional<bool> publish = m.Bool("publish");
  m.Str("versionDescription");
  if (!m.status().ok()) return m.status();
  if (publish.value_or(false)) {
    return Validation("publish (state machine versions) is not supported by Stepwise yet");
  }
  if (absl::Status s = CheckDefinitionSize(definition); !s.ok()) return s;
  auto d = e->CreateStateMachine(name, definition, role_arn, type.value_or("STANDARD"));
  if (!d.ok()) return d.status();
  return Body(json::object{{"stateMachineArn", d->arn},
                           {"creationDate", Seconds(d->creation_date)}});
}

absl::StatusOr<std::string> DescribeStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  m.Enum("includedData", std::array<std::string_view, 2>{"ALL_DATA", "METADATA_ONLY"});
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeStateMachine(arn);
  if (!d.ok()) return d.status();
  return Body(MachineJson(*d, false));
}

absl::StatusOr<std::string> UpdateStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  std::optional<std::string> definition = m.Str("definition");
  std::optional<std::string> role_arn = m.Str("roleArn");
  std::optional<bool> publish = m.Bool("publish");
  if (!m.status().ok()) return m.status();
  if (publish.value_or(false)) {
    return Validation("publish (state machine versions) is not supported by Stepwise yet");
  }
  if (definition.has_value()) {
    if (absl::Status s = CheckDefinitionSize(*definition); !s.ok()) return s;
  }
  auto d = e->UpdateStateMachine(arn, definition, role_arn);
  if (!d.ok()) return d.status();
  json::object o{{"updateDate", Seconds(d->update_date)}};
  if (!d->revision_id.empty()) o["revisionId"] = d->revision_id;
  return Body(o);
}

absl::StatusOr<std::string> DeleteStateMachine(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->DeleteStateMachine(arn); !s.ok()) return s;
  return std::string("{}");
}

absl::StatusOr<std::string> ListStateMachines(engine::Engine* e, const json::object& req) {
  Members m(req);
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.Str("nextToken");
  if (!m.status().ok()) return m.status();
  auto all = e->ListStateMachines();
  if (!all.ok()) return all.status();
  size_t begin = 0, end = 0;
  if (absl::Status s = PageBounds(max_results, token, all->size(), &begin, &end); !s.ok()) {
    return s;
  }
  json::array items;
  for (size_t i = begin; i < end; ++i) {
    const auto& d = (*all)[i];
    items.push_back(json::object{{"stateMachineArn", d.arn},
                                 {"name", d.name},
                                 {"type", d.type},
                                 {"creationDate", Seconds(d.creation_date)}});
  }
  json::object o{{"stateMachines", std::move(items)}};
  if (end < all->size()) o["nextToken"] = std::to_string(end);
  return Body(o);
}

absl::StatusOr<std::string> DescribeStateMachineForExecution(engine::Engine* e,
                                                             const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  m.Enum("includedData", std::array<std::string_view, 2>{"ALL_DATA", "METADATA_ONLY"});
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeStateMachineForExecution(arn);
  if (!d.ok()) return d.status();
  return Body(MachineJson(*d, true));
}

absl::StatusOr<std::string> ValidateStateMachineDefinition(engine::Engine* /*e*/,
                                                           const json::object& req) {
  Members m(req);
  std::string definition = m.Need("definition");
  std::optional<std::string> type =
      m.Enum("type", std::array<std::string_view, 2>{"STANDARD", "EXPRESS"});
  std::optional<std::string> severity =
      m.Enum("severity", std::array<std::string_view, 2>{"ERROR", "WARNING"});
  int max_results = m.MaxResults(100);
  if (!m.status().ok()) return m.status();
  if (absl::Status s = CheckDefinitionSize(definition); !s.ok()) return s;
  asl::ValidationResult r = asl::ValidateForStepwise(definition, type.value_or("STANDARD"));
  bool warnings = severity.value_or("ERROR") == "WARNING";
  size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  json::array diagnostics;
  bool truncated = false;
  for (const asl::Diagnostic& d : r.diagnostics) {
    if (d.severity != "ERROR" && !warnings) continue;
    if (diagnostics.size() == limit) {
      truncated = true;
      break;
    }
    json::object o{{"severity", d.severity}, {"code", d.code}, {"message", d.message}};
    if (!d.location.empty()) o["location"] = d.location;
    diagnostics.push_back(std::move(o));
  }
  return Body(json::object{{"result", r.ok() ? "OK" : "FAIL"},
                           {"diagnostics", std::move(diagnostics)},
                           {"truncated", truncated}});
}

// ---- executions ----

absl::StatusOr<std::string> StopExecution(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  std::optional<std::string> error = m.Str("error");
  std::optional<std::string> cause = m.Str("cause");
  if (!m.status().ok()) return m.status();
  auto d = e->StopExecution(arn, error.value_or(""), cause.value_or(""));
  if (!d.ok()) return d.status();
  return Body(json::object{{"stopDate", Seconds(*d)}});
}

absl::StatusOr<std::string> DescribeExecution(engine::Engine* e, const json::object& req) {
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
  o["startDate"] = Seconds(d->start_date);
  if (d->stop_date != 0) o["stopDate"] = Seconds(d->stop_date);
  if (data) o["input"] = d->input;
  o["inputDetails"] = json::object{{"included", data}};
  if (d->output.has_value()) {
    if (data) o["output"] = *d->output;
    o["outputDetails"] = json::object{{"included", data}};
  }
  if (d->error.has_value()) o["error"] = *d->error;
  if (d->cause.has_value()) o["cause"] = *d->cause;
  o["redriveCount"] = 0;
  return Body(o);
}

absl::StatusOr<std::string> ListExecutions(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::optional<std::string> arn = m.Str("stateMachineArn");
  std::optional<std::string> status = m.Enum("statusFilter", kExecutionStatuses);
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.Str("nextToken");
  std::optional<std::string> redrive =
      m.Enum("redriveFilter", std::array<std::string_view, 2>{"REDRIVEN", "NOT_REDRIVEN"});
  if (m.Has("mapRunArn")) {
    return engine::ServiceError("UnknownOperationException",
                                "listing a map run's executions (mapRunArn) is not supported "
                                "by Stepwise yet");
  }
  if (!m.status().ok()) return m.status();
  if (!arn.has_value()) return Validation("Must provide a StateMachine ARN or MapRun ARN");
  auto l = e->ListExecutions(*arn, status.value_or(""), max_results, token.value_or(""));
  if (!l.ok()) return l.status();
  json::array items;
  // Stepwise never redrives, so every execution is NOT_REDRIVEN.
  if (redrive.value_or("") != "REDRIVEN") {
    for (const auto& d : l->executions) {
      json::object o{{"executionArn", d.execution_arn},
                     {"stateMachineArn", d.state_machine_arn},
                     {"name", d.name},
                     {"status", d.status},
                     {"startDate", Seconds(d.start_date)}};
      if (d.stop_date != 0) o["stopDate"] = Seconds(d.stop_date);
      items.push_back(std::move(o));
    }
  }
  json::object o{{"executions", std::move(items)}};
  if (!l->next_token.empty() && redrive.value_or("") != "REDRIVEN") {
    o["nextToken"] = l->next_token;
  }
  return Body(o);
}

absl::StatusOr<std::string> GetExecutionHistory(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.Str("nextToken");
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

absl::StatusOr<std::string> CreateActivity(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string name = m.Need("name");
  if (!m.status().ok()) return m.status();
  auto d = e->CreateActivity(name);
  if (!d.ok()) return d.status();
  return Body(
      json::object{{"activityArn", d->arn}, {"creationDate", Seconds(d->creation_date)}});
}

absl::StatusOr<std::string> DescribeActivity(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("activityArn");
  if (!m.status().ok()) return m.status();
  auto d = e->DescribeActivity(arn);
  if (!d.ok()) return d.status();
  return Body(ActivityJson(*d));
}

absl::StatusOr<std::string> DeleteActivity(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("activityArn");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->DeleteActivity(arn); !s.ok()) return s;
  return std::string("{}");
}

absl::StatusOr<std::string> ListActivities(engine::Engine* e, const json::object& req) {
  Members m(req);
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.Str("nextToken");
  if (!m.status().ok()) return m.status();
  auto all = e->ListActivities();
  if (!all.ok()) return all.status();
  size_t begin = 0, end = 0;
  if (absl::Status s = PageBounds(max_results, token, all->size(), &begin, &end); !s.ok()) {
    return s;
  }
  json::array items;
  for (size_t i = begin; i < end; ++i) items.push_back(ActivityJson((*all)[i]));
  json::object o{{"activities", std::move(items)}};
  if (end < all->size()) o["nextToken"] = std::to_string(end);
  return Body(o);
}

absl::StatusOr<std::string> SendTaskSuccess(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string token = m.Need("taskToken");
  std::string output = m.Need("output");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->SendTaskSuccess(token, output); !s.ok()) return s;
  return std::string("{}");
}

absl::StatusOr<std::string> SendTaskFailure(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string token = m.Need("taskToken");
  std::optional<std::string> error = m.Str("error");
  std::optional<std::string> cause = m.Str("cause");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->SendTaskFailure(token, error.value_or(""), cause.value_or(""));
      !s.ok()) {
    return s;
  }
  return std::string("{}");
}

absl::StatusOr<std::string> SendTaskHeartbeat(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string token = m.Need("taskToken");
  if (!m.status().ok()) return m.status();
  if (absl::Status s = e->SendTaskHeartbeat(token); !s.ok()) return s;
  return std::string("{}");
}

// The actions answered by a blocking engine call on the pool.
Action FindBlocking(std::string_view action) {
  static const std::array<std::pair<std::string_view, Action>, 18> kActions = {{
      {"CreateStateMachine", &CreateStateMachine},
      {"DescribeStateMachine", &DescribeStateMachine},
      {"UpdateStateMachine", &UpdateStateMachine},
      {"DeleteStateMachine", &DeleteStateMachine},
      {"ListStateMachines", &ListStateMachines},
      {"DescribeStateMachineForExecution", &DescribeStateMachineForExecution},
      {"ValidateStateMachineDefinition", &ValidateStateMachineDefinition},
      {"StopExecution", &StopExecution},
      {"DescribeExecution", &DescribeExecution},
      {"ListExecutions", &ListExecutions},
      {"GetExecutionHistory", &GetExecutionHistory},
      {"CreateActivity", &CreateActivity},
      {"DescribeActivity", &DescribeActivity},
      {"DeleteActivity", &DeleteActivity},
      {"ListActivities", &ListActivities},
      {"SendTaskSuccess", &SendTaskSuccess},
      {"SendTaskFailure", &SendTaskFailure},
      {"SendTaskHeartbeat", &SendTaskHeartbeat},
  }};
  for (const auto& [name, fn] : kActions) {
    if (name == action) return fn;
  }
  return nullptr;
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t RandomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

int AwsErrorHttpStatus(const std::string& aws_name) {
  if (aws_name == "ServiceQuotaExceededException") return 402;
  if (aws_name == "ConflictException") return 409;
  if (aws_name == "InternalFailure") return 500;
  if (aws_name == "ServiceUnavailable") return 503;
  return 400;
}

AwsJsonApi::AwsJsonApi(engine::Engine* engine, AwsJsonApiOptions options)
    : engine_(engine),
      options_(std::move(options)),
      request_seed_(RandomSeed()),
      pool_(options_.pool_threads) {}

AwsJsonApi::~AwsJsonApi() = default;

void AwsJsonApi::Register(HttpServer* http) {
  http->HandleAsync("POST", "/", [this](const HttpRequest& r, HttpReplyFn reply) {
    Handle(r, std::move(reply));
  });
  http->HandleErrors("/", [this](int status, const std::string& message) {
    HttpResponse resp;
    resp.status = status;
    resp.content_type = kContentType;
    resp.headers["x-amzn-RequestId"] = NewRequestId();
    resp.headers["x-amzn-ErrorType"] = "ValidationException";
    json::object o{{"__type", "ValidationException"}, {"message", message}};
    resp.body = SerializeJson(json::value(std::move(o)));
    return resp;
  });
}

absl::Status AwsJsonApi::Authenticate(const HttpRequest& request, std::string* caller) const {
  *caller = request.client_subject.empty() ? "anonymous" : "cert:" + request.client_subject;
  auto it = request.headers.find("authorization");
  if (options_.access_keys.empty() && options_.tokens.empty()) return absl::OkStatus();
  if (!options_.tokens.empty() && HasBearerToken(request, options_.tokens)) {
    std::string_view v = it->second;
    v.remove_prefix(std::min(v.size(), v.find("Bearer ") + 7));
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    *caller = TokenCaller(v);
    return absl::OkStatus();
  }
  if (it != request.headers.end() && it->second.rfind("Bearer ", 0) == 0) {
    return engine::ServiceError("UnrecognizedClientException",
                                "The security token included in the request is invalid.");
  }
  int64_t now = options_.now_seconds
                    ? options_.now_seconds()
                    : std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  absl::Status s = VerifySigV4(request, options_.access_keys, "states", now);
  if (s.ok()) {
    // Credential=<key id>/<date>/... (verified above).
    std::string_view v = it->second;
    size_t at = v.find("Credential=");
    if (at != std::string_view::npos) {
      v.remove_prefix(at + 11);
      *caller = absl::StrCat("aws:", ToAbsl(v.substr(0, v.find('/'))));
    }
  }
  return s;
}

std::string AwsJsonApi::NewRequestId() {
  uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed);
  uint64_t a = SplitMix(request_seed_ ^ n);
  uint64_t b = SplitMix(a ^ n);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

namespace {

// `s` with every byte sequence that is not well-formed UTF-8 replaced by
// U+FFFD, so error messages echoing a request's bytes (e.g. the action name
// from the X-Amz-Target header) stay valid JSON for every client.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
             : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    }
    if (ok && n >= 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      // No overlong forms, no surrogates, nothing above U+10FFFF.
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
          (c == 0xf4 && c1 > 0x8f)) {
        ok = false;
      }
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += 1;
    }
  }
  return out;
}

// What the audit log records about one call.
struct AuditInfo {
  std::string caller;
  std::string peer;
  std::string action;
  std::string resource;
};

// The resource a request names: an ARN, else a task-token fingerprint, else
// the name it creates.
std::string RequestResource(const json::object& req) {
  for (const char* key : {"executionArn", "stateMachineArn", "activityArn"}) {
    if (const json::value* v = req.if_contains(key); v != nullptr && v->is_string()) {
      return std::string(v->as_string());
    }
  }
  if (const json::value* v = req.if_contains("taskToken"); v != nullptr && v->is_string()) {
    return "taskToken:" + Fingerprint(std::string_view(v->as_string()));
  }
  if (const json::value* v = req.if_contains("name"); v != nullptr && v->is_string()) {
    return std::string(v->as_string());
  }
  return "";
}

// The ARN a successful reply names (what Create*/StartExecution made).
std::string ReplyResource(const std::string& body) {
  absl::StatusOr<json::value> v = ParseJson(body);
  if (!v.ok() || !v->is_object()) return "";
  for (const char* key : {"executionArn", "stateMachineArn", "activityArn"}) {
    if (const json::value* x = v->as_object().if_contains(key); x != nullptr && x->is_string()) {
      return std::string(x->as_string());
    }
  }
  return "";
}

}  // namespace

void AwsJsonApi::Handle(const HttpRequest& request, HttpReplyFn reply) {
  auto target_it = request.headers.find("x-amz-target");
  std::string_view target =
      target_it == request.headers.end() ? std::string_view() : target_it->second;
  std::shared_ptr<AuditInfo> audit;
  if (options_.audit != nullptr && target.substr(0, kTargetPrefix.size()) == kTargetPrefix &&
      IsMutatingAction(target.substr(kTargetPrefix.size()))) {
    audit = std::make_shared<AuditInfo>();
    audit->peer = request.peer;
    audit->action = std::string(target.substr(kTargetPrefix.size()));
  }
  // Wraps `reply`: turns a body or a status into AWS's reply.
  auto finish = [request_id = NewRequestId(), reply = std::move(reply), audit,
                 log = options_.audit](absl::StatusOr<std::string> r) {
    HttpResponse resp;
    resp.content_type = kContentType;
    resp.headers["x-amzn-RequestId"] = request_id;
    std::string outcome = "OK";
    if (r.ok()) {
      resp.status = 200;
      resp.body = std::move(*r);
    } else {
      std::string name = AwsErrorName(r.status());
      outcome = name;
      resp.status = AwsErrorHttpStatus(name);
      resp.headers["x-amzn-ErrorType"] = name;
      json::object o{{"__type", name}, {"message", ValidUtf8(ToStd(r.status().message()))}};
      resp.body = SerializeJson(json::value(std::move(o)));
    }
    // An empty long poll changed nothing: not audited.
    if (audit != nullptr && !(audit->action == "GetActivityTask" && r.ok() && resp.body == "{}")) {
      std::string resource = audit->resource;
      if (r.ok() && audit->action != "GetActivityTask") {
        std::string made = ReplyResource(resp.body);
        if (!made.empty()) resource = made;
      }
      log->Record(AuditRecord{"aws", audit->caller, audit->peer, audit->action, resource,
                              outcome});
    }
    reply(std::move(resp));
  };

  std::string caller;
  absl::Status auth = Authenticate(request, &caller);
  if (audit != nullptr) audit->caller = caller;
  if (!auth.ok()) return finish(auth);

  if (target.substr(0, kTargetPrefix.size()) != kTargetPrefix) {
    return finish(engine::ServiceError(
        "UnknownOperationException",
        target.empty() ? "missing X-Amz-Target header (expected AWSStepFunctions.<Action>)"
                       : absl::StrCat("unknown operation '", ToAbsl(target), "'")));
  }
  std::string action(target.substr(kTargetPrefix.size()));

  // An empty body is an empty request (some clients send none).
  json::object req;
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    absl::StatusOr<json::value> v = ParseJson(request.body);
    if (!v.ok()) {
      return finish(Serialization(absl::StrCat("request body is not valid JSON: ",
                                               v.status().message())));
    }
    if (!v->is_object()) return finish(Serialization("request body must be a JSON object"));
    req = std::move(v->as_object());
  }
  if (audit != nullptr) audit->resource = RequestResource(req);

  if (action == "StartExecution") {
    Members m(req);
    std::string arn = m.Need("stateMachineArn");
    std::optional<std::string> name = m.Str("name");
    std::optional<std::string> input = m.Str("input");
    m.Str("traceHeader");
    if (!m.status().ok()) return finish(m.status());
    engine_->StartExecutionAsync(
        arn, name.value_or(""), input.value_or("{}"),
        [finish = std::move(finish), arn, started = options_.on_execution_started](
            absl::StatusOr<engine::StartExecutionResult> r) mutable {
          if (!r.ok()) return finish(r.status());
          if (started) started(arn);
          finish(Body(json::object{{"executionArn", r->execution_arn},
                                   {"startDate", Seconds(r->start_date)}}));
        });
    return;
  }
  if (action == "GetActivityTask") {
    Members m(req);
    std::string arn = m.Need("activityArn");
    std::optional<std::string> worker = m.Str("workerName");
    if (!m.status().ok()) return finish(m.status());
    // A worker that hung up mid-poll is not handed a task.
    engine_->GetActivityTaskAsync(
        arn, worker.value_or(""), kPollMs,
        [finish = std::move(finish)](absl::StatusOr<engine::ActivityTaskGrant> r) mutable {
          if (!r.ok()) return finish(r.status());
          // No task before the poll ended: AWS answers with no token.
          if (r->task_token.empty()) return finish(std::string("{}"));
          finish(Body(json::object{{"taskToken", r->task_token}, {"input", r->input}}));
        },
        request.client_gone);
    return;
  }
  if (Action fn = FindBlocking(action); fn != nullptr) {
    engine::Engine* e = engine_;
    pool_.Submit([e, fn, req = std::move(req), finish = std::move(finish)]() mutable {
      finish(fn(e, req));
    });
    return;
  }
  if (std::find(kUnsupported.begin(), kUnsupported.end(), action) != kUnsupported.end()) {
    return finish(engine::ServiceError("UnknownOperationException",
                                       absl::StrCat(action, " is not supported by Stepwise yet")));
  }
  finish(engine::ServiceError("UnknownOperationException",
                              absl::StrCat("unknown operation '", action, "'")));
}

}  // namespace stepwise::server
