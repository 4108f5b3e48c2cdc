// `stepwise restart` (see restart_cmd.h). Main thread.
#include "cli/restart_cmd.h"

#include <iostream>
#include <string>

#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "common/json.h"

namespace stepwise::client {

int RestartCommand(const RemoteArgs& a, Client& c) {
  v1::RestartExecutionRequest req;
  req.set_execution_arn(a.positional[0]);
  req.set_state_name(a.Get("from"));
  req.set_event_id(a.GetInt("event-id", 0));
  req.set_name(a.Get("name"));
  if (a.Has("input")) {
    auto input = ResolveInputSpec(a.Get("input"));
    if (!input.ok()) {
      std::cerr << "error: " << input.status().message() << "\n";
      return kExitUsage;
    }
    if (auto parsed = ParseJson(*input); !parsed.ok()) {
      std::cerr << "error: --input is not valid JSON: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    req.set_input(*input);
  }
  auto resp = c.RestartExecution(req);
  if (!resp.ok()) return CallFailed(resp.status());
  if (a.Has("json")) {
    json::object o;
    o["executionArn"] = resp->execution_arn();
    o["startDate"] = FormatTimestamp(resp->start_date());
    std::cout << PrettyJson(o);
  } else {
    std::cout << resp->execution_arn() << "\n";
  }
  return kExitOk;
}

}  // namespace stepwise::client
