#include "cli/cli_format.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/strings.h"

namespace stepwise::client {
namespace {

void AppendIndent(int depth, std::string& out) {
  out.push_back('\n');
  out.append(static_cast<size_t>(depth) * 2, ' ');
}

void AppendPretty(const json::value& v, int depth, std::string& out) {
  if (const json::object* o = v.if_object()) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out.push_back('{');
    bool first = true;
    for (const auto& kv : *o) {
      if (!first) out.push_back(',');
      first = false;
      AppendIndent(depth + 1, out);
      AppendJsonString(std::string_view(kv.key().data(), kv.key().size()), out);
      out += ": ";
      AppendPretty(kv.value(), depth + 1, out);
    }
    AppendIndent(depth, out);
    out.push_back('}');
    return;
  }
  if (const json::array* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out.push_back('[');
    bool first = true;
    for (const json::value& e : *a) {
      if (!first) out.push_back(',');
      first = false;
      AppendIndent(depth + 1, out);
      AppendPretty(e, depth + 1, out);
    }
    AppendIndent(depth, out);
    out.push_back(']');
    return;
  }
  AppendJson(v, out);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string StringField(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return "";
  const json::string& s = it->value().get_string();
  return std::string(s.data(), s.size());
}

// An execution ARN (standard or express), as the links name them.
bool IsExecutionArn(const std::string& s) {
  return s.rfind("arn:", 0) == 0 &&
         (s.find(":execution:") != std::string::npos || s.find(":express:") != std::string::npos);
}

}  // namespace

std::string ChildExecutionArn(const std::string& event_type, const json::object& details) {
  if (event_type != "TaskSubmitted" && event_type != "TaskSucceeded") return "";
  std::string output = StringField(details, "output");
  if (output.empty()) return "";
  auto parsed = ParseJson(ToAbsl(output));
  if (!parsed.ok() || !parsed->is_object()) return "";
  std::string arn = StringField(parsed->get_object(), "ExecutionArn");
  return IsExecutionArn(arn) ? arn : "";
}

std::string StartedByExecutionArn(const std::string& input) {
  auto parsed = ParseJson(ToAbsl(input));
  if (!parsed.ok() || !parsed->is_object()) return "";
  std::string arn =
      StringField(parsed->get_object(), "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID");
  return IsExecutionArn(arn) ? arn : "";
}

std::string WaitingNote(const v1::ExecutionOpenTask& task) {
  if (task.started() || task.pollers() > 0) return "";
  if (!task.function_name().empty()) {
    return "waiting for a worker of function " + task.function_name();
  }
  if (!task.activity_arn().empty()) {
    return "waiting for a worker of activity " + task.activity_arn();
  }
  return "";
}

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      l += cell;
      if (i + 1 < widths.size()) l.append(widths[i] - cell.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
    out.push_back('\n');
  };
  line(headers);
  for (const auto& row : rows) line(row);
  return out;
}

int64_t TimestampMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  std::time_t secs = static_cast<std::time_t>(ts.seconds());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, ts.nanos() / 1000000);
  return buf;
}

std::string FormatDuration(int64_t micros) {
  char buf[32];
  if (micros < 0) micros = 0;
  if (micros < 1000) {
    std::snprintf(buf, sizeof(buf), "%lldus", static_cast<long long>(micros));
  } else if (micros < 1000000) {
    std::snprintf(buf, sizeof(buf), "%.1fms", static_cast<double>(micros) / 1e3);
  } else if (micros < 60 * 1000000LL) {
    std::snprintf(buf, sizeof(buf), "%.2fs", static_cast<double>(micros) / 1e6);
  } else if (micros < 3600 * 1000000LL) {
    int64_t s = micros / 1000000;
    std::snprintf(buf, sizeof(buf), "%lldm%02llds",
                  static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  } else {
    int64_t m = micros / 60000000;
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm",
                  static_cast<long long>(m / 60), static_cast<long long>(m % 60));
  }
  return buf;
}

std::string PrettyJson(const json::value& v) {
  std::string out;
  AppendPretty(v, 0, out);
  out.push_back('\n');
  return out;
}

json::value JsonOrString(const std::string& text) {
  auto parsed = ParseJson(ToAbsl(text));
  if (parsed.ok()) return *std::move(parsed);
  return json::value(json::string(text));
}

std::vector<std::string> HistoryFormatter::Headers() {
  return {"ID", "OFFSET", "TYPE", "STATE", "DURATION", "DETAIL"};
}

std::vector<std::string> HistoryFormatter::Row(const v1::HistoryEvent& event) {
  int64_t t = TimestampMicros(event.timestamp());
  if (!first_micros_) first_micros_ = t;
  std::string offset = "+" + FormatDuration(t - *first_micros_);
  std::string state, duration, error;
  json::object details;
  if (!event.details_json().empty()) {
    auto parsed = ParseJson(ToAbsl(event.details_json()));
    if (parsed.ok() && parsed->is_object()) details = parsed->get_object();
  }
  const std::string& type = event.type();
  state = StringField(details, "name");
  if (EndsWith(type, "StateEntered")) {
    entered_[state] = t;
  } else if (EndsWith(type, "StateExited")) {
    if (auto it = entered_.find(state); it != entered_.end()) {
      duration = FormatDuration(t - it->second);
      entered_.erase(it);
    }
  } else if (EndsWith(type, "Scheduled")) {
    scheduled_ = t;
  } else if (EndsWith(type, "Succeeded") || EndsWith(type, "Failed") ||
             EndsWith(type, "TimedOut") || EndsWith(type, "Aborted")) {
    if (type.rfind("Execution", 0) == 0) {
      duration = FormatDuration(t - *first_micros_);
    } else if (scheduled_) {
      duration = FormatDuration(t - *scheduled_);
      scheduled_.reset();
    }
  }
  if (type.rfind("Execution", 0) == 0 || type.rfind("Activity", 0) == 0 ||
      type.rfind("Task", 0) == 0 || type.rfind("Lambda", 0) == 0) {
    if (!EndsWith(type, "StateEntered") && !EndsWith(type, "StateExited")) {
      state.clear();  // "name" there is not a state name
    }
  }
  error = StringField(details, "error");
  std::string cause = StringField(details, "cause");
  if (!cause.empty()) {
    if (cause.size() > 60) cause = cause.substr(0, 57) + "...";
    error += error.empty() ? cause : ": " + cause;
  }
  for (char& c : error) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (std::string child = ChildExecutionArn(type, details); !child.empty()) {
    error = "child " + child;
  } else if (type == "ExecutionStarted") {
    std::string parent = StartedByExecutionArn(StringField(details, "input"));
    if (!parent.empty()) error = "started by " + parent;
  }
  return {std::to_string(event.id()), offset, type, state, duration, error};
}

std::string HistoryFormatter::FixedWidthLine(
    const std::vector<std::string>& cells) {
  static const size_t kWidths[] = {4, 10, 26, 20, 9};
  std::string l;
  for (size_t i = 0; i < cells.size(); ++i) {
    l += cells[i];
    if (i + 1 < cells.size() && i < 5) {
      size_t w = std::max(kWidths[i], cells[i].size());
      l.append(w - cells[i].size() + 2, ' ');
    }
  }
  while (!l.empty() && l.back() == ' ') l.pop_back();
  return l + "\n";
}

json::object HistoryEventJson(const v1::HistoryEvent& event) {
  json::object o;
  o["id"] = event.id();
  o["previousEventId"] = event.previous_event_id();
  o["timestamp"] = FormatTimestamp(event.timestamp());
  o["type"] = event.type();
  if (!event.details_member().empty()) {
    o[event.details_member()] = JsonOrString(event.details_json());
  }
  return o;
}

TaskReport ReportFromCommand(int exit_code, const std::string& stdout_text,
                             const std::string& stderr_text,
                             size_t max_cause) {
  TaskReport r;
  std::string cause = stderr_text;
  if (cause.size() > max_cause) cause = cause.substr(cause.size() - max_cause);
  if (exit_code == 0) {
    std::string out = Trim(stdout_text);
    if (out.empty()) out = "null";
    auto parsed = ParseJson(ToAbsl(out));
    if (parsed.ok()) {
      r.success = true;
      r.output = SerializeJson(*parsed);
      return r;
    }
    r.error = "InvalidOutput";
    r.cause = "command output is not JSON: " +
              std::string(parsed.status().message());
    return r;
  }
  r.error = "CommandFailed";
  std::string first_line = stderr_text.substr(0, stderr_text.find('\n'));
  if (first_line.rfind("error: ", 0) == 0) {
    std::string name = Trim(first_line.substr(7));
    if (!name.empty() && name.size() <= 256 &&
        name.find(' ') == std::string::npos) {
      r.error = name;
    }
  }
  if (cause.empty()) {
    cause = exit_code < 0 ? "command killed by signal " +
                                std::to_string(-exit_code)
                          : "command exited with status " +
                                std::to_string(exit_code);
  }
  r.cause = cause;
  return r;
}

}  // namespace stepwise::client
