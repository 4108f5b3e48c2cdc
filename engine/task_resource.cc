// TaskResource::Parse: the one reader of Task "Resource" strings (see
// task_resource.h). Pure: any thread.
#include "engine/task_resource.h"

namespace stepwise::engine {

namespace {

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

}  // namespace

TaskResource TaskResource::Parse(std::string_view resource) {
  TaskResource r;
  r.arn = resource;
  bool is_arn = resource.substr(0, 4) == "arn:";
  if (is_arn && Contains(resource, ":activity:") && Contains(resource, ":states:")) {
    r.kind = TaskKind::kActivity;
  } else if (is_arn && Contains(resource, ":lambda:") && Contains(resource, ":function:")) {
    r.kind = TaskKind::kLambda;
  }
  // resourceType / resource of an optimized or SDK integration: what
  // follows ":::", split at its last colon.
  size_t pos = resource.find(":::");
  std::string_view rest = pos == std::string_view::npos ? resource : resource.substr(pos + 3);
  size_t last = rest.rfind(':');
  // A ".sync:2" suffix contains a colon of its own.
  if (last != std::string_view::npos && rest.substr(last, 2) == ":2" && last > 5 &&
      rest.substr(last - 5, 5) == ".sync") {
    last = rest.rfind(':', last - 1);
  }
  if (last == std::string_view::npos) {
    r.resource_type = rest;
  } else {
    r.resource_type = rest.substr(0, last);
    r.resource_name = rest.substr(last + 1);
  }
  r.wait_for_task_token = Contains(resource, ".waitForTaskToken");
  return r;
}

std::string_view TaskResource::EventPrefix() const {
  switch (kind) {
    case TaskKind::kActivity: return "Activity";
    case TaskKind::kLambda: return "LambdaFunction";
    case TaskKind::kService: return "Task";
  }
  return "Task";
}

}  // namespace stepwise::engine
