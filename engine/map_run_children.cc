// ListExecutions(mapRunArn)'s parts (engine_impl.h): a Map Run's EXPRESS
// children listed, and the itemCount of every child row. Express children
// keep no visibility row on disk: a running one has its in-memory row (the
// ExpressRoutingStore's), a closed one its outcome row in the meta table
// (engine/map_run/express_child_outcome.h). Pages go through the running
// ones (newest first) and then the closed ones (in name order, the outcome
// rows' key order); the page token names the source and the last key.
// Any thread.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "engine/engine_impl.h"
#include "engine/execution_record.h"
#include "engine/map_run/express_child_outcome.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

// The first byte of a decoded page token: which source its key is from.
constexpr char kRunningSource = 'R';  // in-memory visibility rows
constexpr char kClosedSource = 'C';   // outcome rows

absl::Status InvalidToken(const std::string& token) {
  return ServiceError("InvalidToken", "Invalid Token: '" + token + "'");
}

// AWS's itemCount of a child whose input is `input`: with an ItemBatcher the
// size of its batch's Items, else one item.
int64_t ItemCountOf(const std::string& input, bool item_batcher) {
  if (!item_batcher) return 1;
  absl::StatusOr<json::value> v = ParseJson(input);
  if (!v.ok() || !v->is_object()) return 1;
  const json::value* items = v->get_object().if_contains("Items");
  if (items == nullptr || !items->is_array()) return 1;
  return static_cast<int64_t>(items->get_array().size());
}

}  // namespace

absl::StatusOr<ExecutionList> EngineImpl::ListMapRunExpressChildren(
    const std::string& map_run_arn, const MapRunArnParts& parts,
    const std::string& status_filter, size_t limit, const std::string& next_token,
    const std::string& redrive_filter) {
  ExecutionList out;
  if (redrive_filter == "REDRIVEN") return out;  // an Express child is never redriven
  const std::string machine_arn =
      absl::StrCat(parts.prefix, ":stateMachine:", parts.child_machine);
  const std::string name_prefix = absl::StrCat(parts.run_id, "-");
  const std::string running_prefix = storage::VisibilityPrefix(machine_arn);
  const std::string closed_prefix = ExpressChildOutcomeKey(
      absl::StrCat(parts.prefix, ":express:", parts.child_machine, ":", name_prefix));
  char source = kRunningSource;
  std::string after;
  if (!next_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(next_token, &raw) || raw.empty()) {
      return InvalidToken(next_token);
    }
    source = raw[0];
    after = raw.substr(1);
    const std::string& prefix = source == kRunningSource ? running_prefix : closed_prefix;
    if ((source != kRunningSource && source != kClosedSource) || !after.starts_with(prefix)) {
      return InvalidToken(next_token);
    }
  }
  // One row more than the page holds tells whether a next page exists.
  const size_t wanted = limit + 1;
  std::vector<std::string> token_of_row;
  using Take = std::function<absl::StatusOr<std::optional<ExecutionDescription>>(
      const storage::KeyValue&)>;
  auto scan = [&](char from, const std::string& prefix, const std::string& start_after,
                  const Take& take) -> absl::Status {
    storage::ScanOptions o;
    o.prefix = prefix;
    o.start_after = start_after;
    o.limit = limit * 2;
    while (out.executions.size() < wanted) {
      SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                          from == kRunningSource
                              ? routing_->ScanExpress(storage::Table::kVisibility, o)
                              : store_->Scan(storage::Table::kMeta, o));
      for (const storage::KeyValue& kv : rows) {
        o.start_after = kv.key;
        SW_ASSIGN_OR_RETURN(std::optional<ExecutionDescription> d, take(kv));
        if (!d.has_value()) continue;
        out.executions.push_back(*std::move(d));
        token_of_row.push_back(absl::StrCat(std::string(1, from), kv.key));
        if (out.executions.size() == wanted) break;
      }
      if (rows.size() < o.limit) break;
    }
    return absl::OkStatus();
  };
  if (source == kRunningSource && (status_filter.empty() || status_filter == "RUNNING")) {
    SW_RETURN_IF_ERROR(scan(kRunningSource, running_prefix, after,
                            [&](const storage::KeyValue& kv)
                                -> absl::StatusOr<std::optional<ExecutionDescription>> {
                              SW_ASSIGN_OR_RETURN(ExecutionDescription d,
                                                  DecodeVisibilityRow(kv.value));
                              // A closed one is listed from its outcome row.
                              if (d.status != "RUNNING" || !d.name.starts_with(name_prefix)) {
                                return std::nullopt;
                              }
                              d.state_machine_arn = machine_arn;
                              return d;
                            }));
  }
  if (status_filter != "RUNNING") {
    const size_t key_head = ExpressChildOutcomeKey("").size();
    SW_RETURN_IF_ERROR(scan(kClosedSource, closed_prefix,
                            source == kClosedSource ? after : std::string(),
                            [&](const storage::KeyValue& kv)
                                -> absl::StatusOr<std::optional<ExecutionDescription>> {
                              SW_ASSIGN_OR_RETURN(
                                  ExecutionDescription d,
                                  DecodeExpressChildOutcome(kv.key.substr(key_head), kv.value));
                              if (!status_filter.empty() && d.status != status_filter) {
                                return std::nullopt;
                              }
                              return d;
                            }));
  }
  if (out.executions.size() == wanted) {
    out.executions.pop_back();
    token_of_row.pop_back();
    out.next_token = absl::WebSafeBase64Escape(token_of_row.back());
  }
  for (ExecutionDescription& d : out.executions) d.map_run_arn = map_run_arn;
  return out;
}

absl::Status EngineImpl::FillItemCounts(std::vector<ExecutionDescription>& rows,
                                        bool item_batcher) {
  for (ExecutionDescription& d : rows) {
    if (item_batcher && d.input.empty()) {
      // A list row carries no input: the child's own record has it.
      absl::StatusOr<ExecutionDescription> full = DescribeExecution(d.execution_arn);
      if (!full.ok()) {
        // Gone between the listing and now (an Express child closing is
        // listed again on the next page from its outcome row).
        if (ServiceErrorName(full.status()) == "ExecutionDoesNotExist") continue;
        return full.status();
      }
      d.input = std::move(full->input);
    }
    d.item_count = ItemCountOf(d.input, item_batcher);
    // List rows carry no data (ListExecutions' shape).
    d.input.clear();
    d.output.reset();
    d.error.reset();
    d.cause.reset();
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
