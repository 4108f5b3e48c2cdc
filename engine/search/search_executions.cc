// SearchExecutions and CountExecutions: planning and scanning (see
// search_executions.h). Any thread.
#include "engine/search/search_executions.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/execution_record.h"
#include "engine/service_error.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

using search::Comparison;
using search::Field;
using search::Op;
using search::QueryNode;
using storage::Table;

constexpr char kTokenTag[] = "s1";

// Rewrites `stateMachine = NAME` to the machine's ARN.
void ResolveMachineNames(QueryNode& q, const EngineOptions& o) {
  if (q.kind == QueryNode::Kind::kCompare) {
    if (q.cmp.field == Field::kStateMachine && q.cmp.value.rfind("arn:", 0) != 0) {
      q.cmp.value = MachineArn(o.region, o.account, q.cmp.value);
    }
    return;
  }
  for (QueryNode& c : q.children) ResolveMachineNames(c, o);
}

QueryNode Equals(Field f, const std::string& value) {
  QueryNode n;
  n.kind = QueryNode::Kind::kCompare;
  n.cmp.field = f;
  n.cmp.op = Op::kEq;
  n.cmp.value = value;
  return n;
}

// `q` and `also`.
QueryNode Both(QueryNode q, QueryNode also) {
  if (q.kind == QueryNode::Kind::kAll) return also;
  if (q.kind != QueryNode::Kind::kAnd) {
    QueryNode a;
    a.kind = QueryNode::Kind::kAnd;
    a.children.push_back(std::move(q));
    q = std::move(a);
  }
  q.children.push_back(std::move(also));
  return q;
}

}  // namespace

absl::StatusOr<ExecutionSearch::Plan> ExecutionSearch::MakePlan(const std::string& text,
                                                                const std::string& machine_arn) {
  Plan plan;
  SW_ASSIGN_OR_RETURN(plan.query, search::ParseQuery(text));
  ResolveMachineNames(plan.query, *options_);
  if (!machine_arn.empty()) {
    SW_ASSIGN_OR_RETURN(auto split, catalog_->SplitMachineArn(machine_arn));
    SW_ASSIGN_OR_RETURN(json::object rec,
                        catalog_->LoadMachine(split.first, /*allow_deleting=*/true));
    if (rec["type"].as_string() == "EXPRESS") {
      return ServiceError("StateMachineTypeNotSupported",
                          "This operation is not supported by this type of state machine");
    }
    plan.query = Both(std::move(plan.query), Equals(Field::kStateMachine, split.first));
    if (!split.second.empty()) {
      bool version = split.second.find_first_not_of("0123456789") == std::string::npos;
      plan.query = Both(std::move(plan.query),
                        Equals(version ? Field::kVersion : Field::kAlias, machine_arn));
    }
  }
  std::vector<const Comparison*> conj = search::Conjuncts(plan.query);
  const Comparison* by_field = nullptr;
  const Comparison* by_machine = nullptr;
  for (const Comparison* c : conj) {
    if (c->op == Op::kEq && c->field == Field::kIndexed && by_field == nullptr) by_field = c;
    if (c->op == Op::kEq && by_machine == nullptr &&
        (c->field == Field::kStateMachine || c->field == Field::kVersion ||
         c->field == Field::kAlias)) {
      by_machine = c;
    }
    if (c->field == Field::kStartDate && (c->op == Op::kGe || c->op == Op::kGt)) {
      plan.min_start_ms = std::max(plan.min_start_ms, c->op == Op::kGt ? c->ms + 1 : c->ms);
    }
    if (c->field == Field::kStartDate && c->op == Op::kEq) {
      plan.min_start_ms = std::max(plan.min_start_ms, c->ms);
    }
  }
  if (by_field != nullptr) {
    plan.index = 'F';
    plan.prefix = storage::IndexedFieldPrefix(by_field->name, by_field->value);
  } else if (by_machine != nullptr) {
    plan.index = 'M';
    std::string machine = by_machine->value;
    if (by_machine->field != Field::kStateMachine) {
      // A version or alias ARN: its machine's rows (nothing for a bad ARN).
      if (auto split = catalog_->SplitMachineArn(machine); split.ok()) machine = split->first;
    }
    plan.prefix = storage::VisibilityPrefix(machine);
  } else {
    plan.index = 'T';
    plan.prefix = storage::StartTimeIndexPrefix();
  }
  return plan;
}

absl::Status ExecutionSearch::Run(
    const Plan& plan, const std::string& start_after,
    const std::function<bool(const std::string& key, ExecutionDescription d)>& fn) {
  storage::ScanOptions o;
  o.prefix = plan.prefix;
  o.start_after = start_after;
  o.limit = 256;
  while (true) {
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, store_->Scan(Table::kVisibility, o));
    for (const storage::KeyValue& kv : rows) {
      o.start_after = kv.key;
      int64_t start_ms = 0;
      std::string machine;
      std::string row;
      if (plan.index == 'M') {
        SW_ASSIGN_OR_RETURN(storage::VisibilityKeyParts k, storage::DecodeVisibilityKey(kv.key));
        start_ms = k.start_time_ms;
        machine = std::move(k.machine);
        row = kv.value;
      } else {
        std::string id;
        if (plan.index == 'F') {
          SW_ASSIGN_OR_RETURN(storage::IndexedFieldKeyParts k,
                              storage::DecodeIndexedFieldKey(kv.key));
          start_ms = k.start_time_ms;
          id = std::move(k.execution_id);
        } else {
          SW_ASSIGN_OR_RETURN(storage::VisibilityKeyParts k,
                              storage::DecodeStartTimeIndexKey(kv.key));
          start_ms = k.start_time_ms;
          id = std::move(k.execution_id);
        }
        if (start_ms < plan.min_start_ms) return absl::OkStatus();
        machine = kv.value;
        SW_ASSIGN_OR_RETURN(std::optional<std::string> found,
                            store_->Get(Table::kVisibility,
                                        storage::VisibilityKey(machine, start_ms, id)));
        if (!found.has_value()) continue;  // never after a commit: row and entries go together
        row = std::move(*found);
      }
      if (start_ms < plan.min_start_ms) return absl::OkStatus();
      SW_ASSIGN_OR_RETURN(ExecutionDescription d, DecodeVisibilityRow(row));
      d.state_machine_arn = std::move(machine);
      if (!search::Matches(plan.query, d)) continue;
      if (!fn(kv.key, std::move(d))) return absl::OkStatus();
    }
    if (rows.size() < o.limit) return absl::OkStatus();
  }
}

absl::StatusOr<ExecutionList> ExecutionSearch::Search(const std::string& query,
                                                      const std::string& machine_arn,
                                                      int max_results,
                                                      const std::string& next_token) {
  if (max_results < 0 || max_results > 1000) {
    return ServiceError("ValidationException", "maxResults must be between 0 and 1000");
  }
  size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  SW_ASSIGN_OR_RETURN(Plan plan, MakePlan(query, machine_arn));
  std::string start_after;
  if (!next_token.empty()) {
    std::string raw;
    std::string head = std::string(kTokenTag) + plan.index;
    if (!absl::WebSafeBase64Unescape(next_token, &raw) || raw.rfind(head, 0) != 0 ||
        raw.compare(head.size(), plan.prefix.size(), plan.prefix) != 0) {
      return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
    }
    start_after = raw.substr(head.size());
  }
  ExecutionList out;
  std::string last_key;
  bool more = false;
  SW_RETURN_IF_ERROR(Run(plan, start_after, [&](const std::string& key, ExecutionDescription d) {
    if (out.executions.size() == limit) {
      more = true;
      return false;
    }
    out.executions.push_back(std::move(d));
    last_key = key;
    return true;
  }));
  if (more) {
    out.next_token = absl::WebSafeBase64Escape(std::string(kTokenTag) + plan.index + last_key);
  }
  return out;
}

absl::StatusOr<int64_t> ExecutionSearch::Count(const std::string& query,
                                               const std::string& machine_arn) {
  SW_ASSIGN_OR_RETURN(Plan plan, MakePlan(query, machine_arn));
  int64_t n = 0;
  SW_RETURN_IF_ERROR(Run(plan, "", [&](const std::string&, ExecutionDescription) {
    ++n;
    return true;
  }));
  return n;
}

}  // namespace stepwise::engine
