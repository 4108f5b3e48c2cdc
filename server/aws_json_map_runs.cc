// The AWS JSON actions on Map Runs (see aws_json_map_runs.h). Any pool
// thread.
#include "server/aws_json_map_runs.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "server/aws_json_members.h"
#include "server/paging.h"

namespace stepwise::server {

namespace {

// mapRunArn: AWS's LongArn, 1..2000 characters.
std::string MapRunArnMember(Members& m) {
  std::string arn = m.Need("mapRunArn");
  if (m.status().ok() && (arn.empty() || arn.size() > 2000)) {
    m.Fail(AwsConstraintError(absl::StrCat("'", arn, "'"), "mapRunArn",
                              "Member must have length between 1 and 2000"));
  }
  return arn;
}

absl::StatusOr<AwsActionResult> DescribeMapRun(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = MapRunArnMember(m);
  if (!m.status().ok()) return m.status();
  absl::StatusOr<engine::MapRunDescription> d = e->DescribeMapRun(arn);
  if (!d.ok()) return d.status();
  json::object o{{"mapRunArn", d->map_run_arn},
                 {"executionArn", d->execution_arn},
                 {"status", d->status},
                 {"startDate", AwsSeconds(d->start_date)},
                 {"maxConcurrency", d->max_concurrency},
                 {"toleratedFailurePercentage", d->tolerated_failure_percentage},
                 {"toleratedFailureCount", d->tolerated_failure_count},
                 {"itemCounts", MapRunCountsJson(d->items)},
                 {"executionCounts", MapRunCountsJson(d->executions)}};
  if (d->stop_date != 0) o["stopDate"] = AwsSeconds(d->stop_date);
  o["redriveCount"] = d->redrive_count;
  if (d->redrive_date != 0) o["redriveDate"] = AwsSeconds(d->redrive_date);
  return AwsActionResult(AwsBody(o));
}

absl::StatusOr<AwsActionResult> ListMapRuns(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  int max = m.MaxResults(1000);
  std::optional<std::string> token = m.NextToken();
  if (!m.status().ok()) return m.status();
  absl::StatusOr<std::vector<engine::MapRunDescription>> runs = e->ListMapRuns(arn);
  if (!runs.ok()) return runs.status();
  absl::StatusOr<PageRange> page = PageBounds(max, token.value_or(""), runs->size());
  if (!page.ok()) return page.status();
  json::array out;
  for (size_t i = page->begin; i < page->end; ++i) {
    const engine::MapRunDescription& d = (*runs)[i];
    json::object item{{"executionArn", d.execution_arn},
                      {"mapRunArn", d.map_run_arn},
                      {"stateMachineArn", d.state_machine_arn},
                      {"startDate", AwsSeconds(d.start_date)}};
    if (d.stop_date != 0) item["stopDate"] = AwsSeconds(d.stop_date);
    out.push_back(std::move(item));
  }
  json::object o{{"mapRuns", std::move(out)}};
  if (std::string next = NextPageToken(*page, runs->size()); !next.empty()) o["nextToken"] = next;
  return AwsActionResult(AwsBody(o));
}

absl::StatusOr<AwsActionResult> UpdateMapRun(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = MapRunArnMember(m);
  engine::MapRunSettings s;
  s.max_concurrency = m.Int("maxConcurrency");
  s.tolerated_failure_count = m.Int("toleratedFailureCount");
  if (const json::value* p = m.Get("toleratedFailurePercentage")) {
    if (!p->is_number()) {
      m.Fail(AwsSerializationError("member 'toleratedFailurePercentage' must be a number"));
    } else {
      s.tolerated_failure_percentage = p->to_number<double>();
    }
  }
  if (!m.status().ok()) return m.status();
  // AWS's model: maxConcurrency and toleratedFailureCount >= 0, the
  // percentage within 0..100.
  if (s.max_concurrency && (*s.max_concurrency < 0 || *s.max_concurrency > INT32_MAX)) {
    return AwsConstraintError(absl::StrCat("'", *s.max_concurrency, "'"), "maxConcurrency",
                              *s.max_concurrency < 0
                                  ? "Member must have value greater than or equal to 0"
                                  : "Member must have value less than or equal to 2147483647");
  }
  if (s.tolerated_failure_count && *s.tolerated_failure_count < 0) {
    return AwsConstraintError(absl::StrCat("'", *s.tolerated_failure_count, "'"),
                              "toleratedFailureCount",
                              "Member must have value greater than or equal to 0");
  }
  if (s.tolerated_failure_percentage && (*s.tolerated_failure_percentage < 0 ||
                                         *s.tolerated_failure_percentage > 100)) {
    return AwsConstraintError(absl::StrCat("'", *s.tolerated_failure_percentage, "'"),
                              "toleratedFailurePercentage",
                              *s.tolerated_failure_percentage < 0
                                  ? "Member must have value greater than or equal to 0"
                                  : "Member must have value less than or equal to 100");
  }
  if (absl::Status st = e->UpdateMapRun(arn, s); !st.ok()) return st;
  return AwsActionResult("{}");
}

}  // namespace

json::object MapRunCountsJson(const engine::MapRunCounts& c) {
  return json::object{{"pending", c.pending},
                      {"running", c.running},
                      {"succeeded", c.succeeded},
                      {"failed", c.failed},
                      {"timedOut", c.timed_out},
                      {"aborted", c.aborted},
                      {"total", c.total},
                      {"resultsWritten", c.results_written},
                      {"failuresNotRedrivable", c.failures_not_redrivable},
                      {"pendingRedrive", c.pending_redrive}};
}

AwsAction FindMapRunAwsAction(std::string_view action) {
  static const std::array<std::pair<std::string_view, AwsAction>, 3> kActions = {{
      {"DescribeMapRun", &Blocking<&DescribeMapRun>},
      {"ListMapRuns", &Blocking<&ListMapRuns>},
      {"UpdateMapRun", &Blocking<&UpdateMapRun>},
  }};
  for (const auto& [name, fn] : kActions) {
    if (name == action) return fn;
  }
  return nullptr;
}

}  // namespace stepwise::server
