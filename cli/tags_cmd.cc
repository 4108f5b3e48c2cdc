// `stepwise tag`, `untag` and `tags` (see tags_cmd.h). Main thread.
#include "cli/tags_cmd.h"

#include <iostream>
#include <utility>

#include "absl/status/status.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/resolve_names.h"
#include "common/json.h"

namespace stepwise::client {

absl::StatusOr<std::vector<v1::Tag>> ParseTagOperands(const std::vector<std::string>& operands) {
  std::vector<v1::Tag> out;
  for (const std::string& op : operands) {
    size_t eq = op.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError("tag needs KEY=VALUE operands, not '" + op + "'");
    }
    v1::Tag t;
    t.set_key(op.substr(0, eq));
    t.set_value(op.substr(eq + 1));
    out.push_back(std::move(t));
  }
  return out;
}

int TagsCommand(const RemoteArgs& a, Client& c) {
  const std::string& cmd = a.command;
  std::vector<std::string> rest(a.positional.begin() + 1, a.positional.end());
  std::vector<v1::Tag> tags;
  if (cmd == "tag") {
    auto parsed = ParseTagOperands(rest);
    if (!parsed.ok()) {
      std::cerr << "error: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    tags = *std::move(parsed);
  }
  auto arn = ResolveMachineOrActivity(c, a.positional[0]);
  if (!arn.ok()) return CallFailed(arn.status());
  if (cmd == "tag") {
    v1::TagResourceRequest req;
    req.set_resource_arn(*arn);
    for (v1::Tag& t : tags) *req.add_tags() = std::move(t);
    if (absl::Status s = c.TagResource(req); !s.ok()) return CallFailed(s);
    std::cout << "tagged " << *arn << "\n";
    return kExitOk;
  }
  if (cmd == "untag") {
    v1::UntagResourceRequest req;
    req.set_resource_arn(*arn);
    for (const std::string& k : rest) req.add_tag_keys(k);
    if (absl::Status s = c.UntagResource(req); !s.ok()) return CallFailed(s);
    std::cout << "untagged " << *arn << "\n";
    return kExitOk;
  }
  v1::ListTagsForResourceRequest req;
  req.set_resource_arn(*arn);
  auto resp = c.ListTagsForResource(req);
  if (!resp.ok()) return CallFailed(resp.status());
  if (a.Has("json")) {
    json::array items;
    for (const v1::Tag& t : resp->tags()) {
      items.push_back(json::object{{"key", t.key()}, {"value", t.value()}});
    }
    std::cout << PrettyJson(json::object{{"tags", std::move(items)}});
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::Tag& t : resp->tags()) rows.push_back({t.key(), t.value()});
  std::cout << FormatTable({"KEY", "VALUE"}, rows);
  return kExitOk;
}

}  // namespace stepwise::client
