// Names on the command line → ARNs (resolve_names.h). Main thread.
#include "cli/resolve_names.h"

#include "absl/status/status.h"

namespace stepwise::client {

namespace {

bool IsArn(const std::string& name) { return name.rfind("arn:", 0) == 0; }

// The ARN of the machine named `name`, "" when there is none.
absl::StatusOr<std::string> FindMachine(Client& c, const std::string& name) {
  v1::ListStateMachinesRequest req;
  while (true) {
    auto resp = c.ListStateMachines(req);
    if (!resp.ok()) return resp.status();
    for (const auto& m : resp->state_machines()) {
      if (m.name() == name) return m.state_machine_arn();
    }
    if (resp->next_token().empty()) return std::string();
    req.set_next_token(resp->next_token());
  }
}

absl::StatusOr<std::string> FindActivity(Client& c, const std::string& name) {
  v1::ListActivitiesRequest req;
  while (true) {
    auto resp = c.ListActivities(req);
    if (!resp.ok()) return resp.status();
    for (const auto& a : resp->activities()) {
      if (a.name() == name) return a.activity_arn();
    }
    if (resp->next_token().empty()) return std::string();
    req.set_next_token(resp->next_token());
  }
}

absl::Status NotFoundAws(const std::string& what, const std::string& aws) {
  return WithAwsErrorName(absl::NotFoundError(what), aws);
}

}  // namespace

absl::StatusOr<std::string> ResolveStateMachine(Client& c, const std::string& name) {
  if (IsArn(name)) return name;
  auto arn = FindMachine(c, name);
  if (!arn.ok() || !arn->empty()) return arn;
  return NotFoundAws("state machine " + name + " not found", "StateMachineDoesNotExist");
}

absl::StatusOr<std::string> ResolveActivity(Client& c, const std::string& name) {
  if (IsArn(name)) return name;
  auto arn = FindActivity(c, name);
  if (!arn.ok() || !arn->empty()) return arn;
  return NotFoundAws("activity " + name + " not found", "ActivityDoesNotExist");
}

absl::StatusOr<std::string> ResolveMachineOrActivity(Client& c, const std::string& name) {
  if (IsArn(name)) return name;
  auto arn = FindMachine(c, name);
  if (!arn.ok() || !arn->empty()) return arn;
  arn = FindActivity(c, name);
  if (!arn.ok() || !arn->empty()) return arn;
  return NotFoundAws("no state machine or activity named " + name, "ResourceNotFound");
}

}  // namespace stepwise::client
