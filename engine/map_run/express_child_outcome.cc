// ExpressChildOutcome (express_child_outcome.h): the key and JSON of a Map
// Run's Express child's stored outcome.
#include "engine/map_run/express_child_outcome.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/arn.h"

namespace stepwise::engine {

std::string MapRunExpressChildArn(std::string_view region, std::string_view account,
                                  std::string_view machine, std::string_view name) {
  std::string uuid = StableUuid(absl::StrCat(ToAbsl(machine), "#express#", ToAbsl(name)));
  return ExpressExecutionArn(ToAbsl(region), ToAbsl(account), ToAbsl(machine), ToAbsl(name),
                             uuid);
}

bool IsMapRunExpressChildArn(std::string_view arn) {
  size_t at = arn.find(":express:");
  if (at == std::string_view::npos) return false;
  std::string_view rest = arn.substr(at + 9);
  size_t colon = rest.find(':');
  return colon != std::string_view::npos &&
         rest.substr(0, colon).find('/') != std::string_view::npos;
}

std::string ExpressChildOutcomeKey(std::string_view execution_arn) {
  return absl::StrCat("mapRunExpressChild/", ToAbsl(execution_arn));
}

std::string EncodeExpressChildOutcome(const ExecutionDescription& closed) {
  json::object o;
  o["stateMachineArn"] = json::string(closed.state_machine_arn);
  o["name"] = json::string(closed.name);
  o["status"] = json::string(closed.status);
  o["startDate"] = closed.start_date;
  o["stopDate"] = closed.stop_date;
  o["input"] = json::string(closed.input);
  if (closed.output) o["output"] = json::string(*closed.output);
  if (closed.error) o["error"] = json::string(*closed.error);
  if (closed.cause) o["cause"] = json::string(*closed.cause);
  o["revision"] = closed.revision;
  return SerializeJson(json::value(std::move(o)));
}

absl::StatusOr<ExecutionDescription> DecodeExpressChildOutcome(std::string_view execution_arn,
                                                               std::string_view bytes) {
  absl::StatusOr<json::value> v = ParseJson(ToAbsl(bytes));
  auto bad = [&] {
    return absl::DataLossError(
        absl::StrCat("the stored outcome of ", ToAbsl(execution_arn), " is malformed"));
  };
  if (!v.ok() || !v->is_object()) return bad();
  const json::object& o = v->get_object();
  ExecutionDescription d;
  d.execution_arn = std::string(execution_arn);
  auto str = [&](const char* key, std::string* out) {
    const json::value* f = o.if_contains(key);
    if (f == nullptr || !f->is_string()) return false;
    *out = std::string(f->get_string());
    return true;
  };
  auto opt = [&](const char* key, std::optional<std::string>* out) {
    std::string s;
    if (str(key, &s)) *out = std::move(s);
  };
  auto num = [&](const char* key, int64_t* out) {
    const json::value* f = o.if_contains(key);
    if (f == nullptr || !f->is_int64()) return false;
    *out = f->get_int64();
    return true;
  };
  if (!str("stateMachineArn", &d.state_machine_arn) || !str("name", &d.name) ||
      !str("status", &d.status) || !str("input", &d.input) || !num("startDate", &d.start_date) ||
      !num("stopDate", &d.stop_date)) {
    return bad();
  }
  opt("output", &d.output);
  opt("error", &d.error);
  opt("cause", &d.cause);
  num("revision", &d.revision);
  return d;
}

}  // namespace stepwise::engine
