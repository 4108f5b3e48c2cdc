// `stepwise map-run describe|list` (see map_run_cmd.h). Main thread.
#include "cli/map_run_cmd.h"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "common/json.h"

namespace stepwise::client {

namespace {

json::object CountsJson(const v1::MapRunCounts& c) {
  return json::object{{"pending", c.pending()},
                      {"running", c.running()},
                      {"succeeded", c.succeeded()},
                      {"failed", c.failed()},
                      {"timedOut", c.timed_out()},
                      {"aborted", c.aborted()},
                      {"total", c.total()},
                      {"resultsWritten", c.results_written()}};
}

std::string CountsLine(const v1::MapRunCounts& c) {
  return absl::StrCat(c.total(), " total: ", c.pending(), " pending, ", c.running(),
                      " running, ", c.succeeded(), " succeeded, ", c.failed(), " failed, ",
                      c.timed_out(), " timed out, ", c.aborted(), " aborted, ",
                      c.results_written(), " results written");
}

int Describe(const RemoteArgs& a, Client& c) {
  v1::DescribeMapRunRequest req;
  req.set_map_run_arn(a.positional[0]);
  auto d = c.DescribeMapRun(req);
  if (!d.ok()) return CallFailed(d.status());
  if (a.Has("json")) {
    json::object o{{"mapRunArn", d->map_run_arn()},
                   {"executionArn", d->execution_arn()},
                   {"status", d->status()},
                   {"startDate", FormatTimestamp(d->start_date())},
                   {"maxConcurrency", d->max_concurrency()},
                   {"toleratedFailurePercentage", d->tolerated_failure_percentage()},
                   {"toleratedFailureCount", d->tolerated_failure_count()},
                   {"itemCounts", CountsJson(d->item_counts())},
                   {"executionCounts", CountsJson(d->execution_counts())}};
    if (d->has_stop_date()) o["stopDate"] = FormatTimestamp(d->stop_date());
    o["redriveCount"] = d->redrive_count();
    if (d->has_redrive_date()) o["redriveDate"] = FormatTimestamp(d->redrive_date());
    std::cout << PrettyJson(o);
    return kExitOk;
  }
  std::cout << "map run:     " << d->map_run_arn() << "\n"
            << "execution:   " << d->execution_arn() << "\n"
            << "status:      " << d->status() << "\n"
            << "started:     " << FormatTimestamp(d->start_date()) << "\n";
  if (d->has_stop_date()) std::cout << "stopped:     " << FormatTimestamp(d->stop_date()) << "\n";
  if (d->redrive_count() > 0) {
    std::cout << "redriven:    " << d->redrive_count() << " time(s), last "
              << FormatTimestamp(d->redrive_date()) << "\n";
  }
  std::cout << "concurrency: " << d->max_concurrency() << " (0: the server's cap)\n"
            << "tolerated:   " << d->tolerated_failure_count() << " failures, "
            << d->tolerated_failure_percentage() << "%\n"
            << "items:       " << CountsLine(d->item_counts()) << "\n"
            << "executions:  " << CountsLine(d->execution_counts()) << "\n";
  return kExitOk;
}

int List(const RemoteArgs& a, Client& c) {
  std::vector<v1::MapRunListItem> runs;
  v1::ListMapRunsRequest req;
  req.set_execution_arn(a.positional[0]);
  req.set_max_results(1000);
  do {
    auto page = c.ListMapRuns(req);
    if (!page.ok()) return CallFailed(page.status());
    for (const auto& r : page->map_runs()) runs.push_back(r);
    req.set_next_token(page->next_token());
  } while (!req.next_token().empty());
  if (a.Has("json")) {
    json::array items;
    for (const auto& r : runs) {
      json::object o{{"mapRunArn", r.map_run_arn()},
                     {"executionArn", r.execution_arn()},
                     {"stateMachineArn", r.state_machine_arn()},
                     {"startDate", FormatTimestamp(r.start_date())}};
      if (r.has_stop_date()) o["stopDate"] = FormatTimestamp(r.stop_date());
      items.push_back(std::move(o));
    }
    std::cout << PrettyJson(json::object{{"mapRuns", std::move(items)}});
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    rows.push_back({r.map_run_arn(), FormatTimestamp(r.start_date()),
                    r.has_stop_date() ? FormatTimestamp(r.stop_date()) : "-"});
  }
  std::cout << FormatTable({"MAP RUN", "STARTED", "STOPPED"}, rows);
  return kExitOk;
}

}  // namespace

int MapRunCommand(const RemoteArgs& a, Client& c) {
  return a.command == "map-run describe" ? Describe(a, c) : List(a, c);
}

}  // namespace stepwise::client
