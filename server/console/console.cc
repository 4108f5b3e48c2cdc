#include "server/console/console.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "engine/cluster_ownership.h"
#include "engine/history_event.h"
#include "engine/service_error.h"
#include "server/aws_json_api.h"
#include "server/console/assets.h"
#include "server/console/express_executions_json.h"
#include "server/console/graph.h"
#include "server/console/map_run_json.h"
#include "server/console/versions_json.h"
#include "server/sigv4.h"

namespace stepwise::server::console {

using Clock = std::chrono::steady_clock;

struct Console::Watch {
  std::mutex mu;
  HttpReplyFn reply;                  // guarded by mu; null once answered
  std::function<bool()> client_gone;  // from the request
  int64_t watch_id = -1;              // guarded by mu; -1 until known
  std::string body;                   // SSE text gathered; guarded by mu
  bool has_events = false;            // guarded by mu
  Clock::time_point deadline;         // guarded by mu
  // Cluster mode, an execution another node runs: the housekeeper reads
  // the store every kStoreReadEvery instead of an engine watch.
  std::string arn;                    // set before from_store
  int64_t after = 0;                  // set before from_store
  bool from_store = false;            // guarded by mu
  Clock::time_point next_read;        // guarded by mu
};

namespace {

constexpr std::string_view kApiPrefix = "/console/api/";
// How often a watch of an execution another node runs reads the store.
constexpr std::chrono::milliseconds kStoreReadEvery{250};
constexpr size_t kMaxGraphCache = 64;
constexpr int64_t kMaxScannedExecutions = 100000;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(const std::string& target) {
  std::map<std::string, std::string> q;
  size_t at = target.find('?');
  if (at == std::string::npos) return q;
  std::string_view rest = std::string_view(target).substr(at + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      q[UrlDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return q;
}

std::string Get(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  return it == q.end() ? "" : it->second;
}

HttpResponse JsonReply(int status, const json::value& v) {
  HttpResponse r{status, "application/json", {}, SerializeJson(v)};
  r.headers["Cache-Control"] = "no-store";
  return r;
}

// Appends `events` to `body` as server-sent events. Stops after the event
// that takes `body` to `max_bytes` when events are left, then says `event:
// more` and returns false.
bool AppendSseEvents(const std::vector<json::object>& events, size_t max_bytes,
                     std::string& body) {
  for (const json::object& e : events) {
    int64_t id = 0;
    if (const json::value* v = e.if_contains("id"); v != nullptr && v->is_int64()) {
      id = v->as_int64();
    }
    absl::StrAppend(&body, "id: ", id, "\ndata: ");
    AppendJson(e, body);
    body += "\n\n";
    if (body.size() >= max_bytes && &e != &events.back()) {
      body += "event: more\ndata: {}\n\n";
      return false;
    }
  }
  return true;
}

HttpResponse ErrorReply(const absl::Status& s) {
  std::string name = engine::ServiceErrorName(s);
  int status = 400;
  if (name.empty()) {
    switch (s.code()) {
      case absl::StatusCode::kNotFound: name = "ResourceNotFound"; break;
      case absl::StatusCode::kInvalidArgument: name = "ValidationException"; break;
      case absl::StatusCode::kUnauthenticated: name = "UnrecognizedClientException"; break;
      case absl::StatusCode::kUnavailable: name = "ServiceUnavailable"; break;
      default: name = "InternalFailure";
    }
  }
  status = AwsErrorHttpStatus(name);
  if (name == "MissingAuthenticationTokenException" || name == "UnrecognizedClientException") {
    status = 401;
  }
  json::object o;
  o["__type"] = name;
  o["message"] = std::string(s.message());
  HttpResponse r = JsonReply(status, o);
  if (status == 401) r.headers["WWW-Authenticate"] = "Bearer";
  return r;
}

absl::Status BadParam(const std::string& message) {
  return engine::ServiceError("ValidationException", message);
}

// Parses an optional integer query parameter.
absl::StatusOr<int64_t> IntParam(const std::map<std::string, std::string>& q, const char* key,
                                 int64_t fallback) {
  std::string v = Get(q, key);
  if (v.empty()) return fallback;
  int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n)) {
    return BadParam(absl::StrCat("query parameter '", key, "' must be an integer, got '", v, "'"));
  }
  return n;
}

json::object ExecutionJson(const engine::ExecutionDescription& d, bool with_data) {
  json::object o;
  o["executionArn"] = d.execution_arn;
  o["stateMachineArn"] = d.state_machine_arn;
  o["name"] = d.name;
  o["status"] = d.status;
  o["startDate"] = d.start_date;
  if (d.stop_date != 0) o["stopDate"] = d.stop_date;
  // The version or alias it was started through.
  if (!d.version_arn.empty()) o["stateMachineVersionArn"] = d.version_arn;
  if (!d.alias_arn.empty()) o["stateMachineAliasArn"] = d.alias_arn;
  if (d.redrive_count > 0) o["redriveCount"] = d.redrive_count;
  if (d.redrive_date != 0) o["redriveDate"] = d.redrive_date;
  // Redrive eligibility (engine/redrive.h); "" in list rows and for Express.
  if (!d.redrive_status.empty()) {
    o["redriveStatus"] = d.redrive_status;
    if (!d.redrive_status_reason.empty()) o["redriveStatusReason"] = d.redrive_status_reason;
  }
  if (with_data) {
    o["input"] = d.input;
    if (d.output) o["output"] = *d.output;
    if (d.error) o["error"] = *d.error;
    if (d.cause) o["cause"] = *d.cause;
  }
  return o;
}

// What an open task waits for when no worker polls its queue: "waiting for
// a worker of function NAME" (or "of activity ARN"); "" otherwise.
std::string WaitingNote(const engine::OpenTaskInfo& t) {
  if (t.started || t.pollers > 0) return "";
  if (!t.function_name.empty()) return "waiting for a worker of function " + t.function_name;
  return "waiting for a worker of activity " + t.activity_arn;
}

// The execution's open tasks in worker queues, as the page shows them.
absl::StatusOr<json::array> OpenTasksJson(engine::Engine* engine, const std::string& arn) {
  SW_ASSIGN_OR_RETURN(std::vector<engine::OpenTaskInfo> open, engine->ListOpenTasks(arn));
  json::array out;
  for (const engine::OpenTaskInfo& t : open) {
    json::object o;
    o["taskId"] = t.task_id;
    if (!t.function_name.empty()) o["functionName"] = t.function_name;
    if (!t.activity_arn.empty()) o["activityArn"] = t.activity_arn;
    o["started"] = t.started;
    o["callback"] = t.callback;
    o["submitted"] = t.submitted;
    o["pollingWorkers"] = static_cast<int64_t>(t.pollers);
    std::string note = WaitingNote(t);
    if (!note.empty()) o["waitingFor"] = note;
    out.push_back(std::move(o));
  }
  return out;
}

json::object MachineJson(const engine::StateMachineDescription& m) {
  json::object o;
  o["stateMachineArn"] = m.arn;
  o["name"] = m.name;
  o["type"] = m.type;
  o["creationDate"] = m.creation_date;
  o["revision"] = m.revision;
  return o;
}

}  // namespace

Console::Console(engine::Engine* engine, ConsoleOptions options)
    : engine_(engine), options_(std::move(options)), pool_(options_.pool_threads) {
  housekeeper_ = std::thread([this] { Housekeeping(); });
}

Console::~Console() {
  Shutdown();
  if (housekeeper_.joinable()) housekeeper_.join();
}

void Console::Register(HttpServer* http) {
  auto handler = [this](const HttpRequest& r, HttpReplyFn reply) { Handle(r, std::move(reply)); };
  for (const char* path : {"/", "/console", "/console/", "/console/app.js", "/console/app.css",
                           "/console/operate.js", "/console/search.js", "/console/batch.js",
                           "/console/cluster.js", "/console/maprun.js"}) {
    http->HandleAsync("GET", path, handler);
  }
  for (const char* name : {"session", "machines", "machine", "executions", "execution",
                           "activities", "tasks", "watch", "express", "maprun",
                           "maprunchildren", "maprunchild"}) {
    http->HandleAsync("GET", absl::StrCat(std::string(kApiPrefix), name), handler);
  }
}

absl::Status Console::Authenticate(const HttpRequest& request) const {
  if (!options_.tokens.empty()) {
    if (HasBearerToken(request, options_.tokens)) return absl::OkStatus();
    auto it = request.headers.find("authorization");
    if (it == request.headers.end()) {
      return engine::ServiceError("MissingAuthenticationTokenException",
                                  "the console needs a bearer token (Authorization: Bearer)");
    }
    return engine::ServiceError("UnrecognizedClientException",
                                "The security token included in the request is invalid.");
  }
  if (options_.aws_keys_configured) {
    return engine::ServiceError(
        "MissingAuthenticationTokenException",
        "the console needs --auth-tokens-file when --aws-credentials-file is set "
        "(a browser cannot sign requests)");
  }
  return absl::OkStatus();
}

void Console::Handle(const HttpRequest& request, HttpReplyFn reply) {
  const std::string& path = request.path;
  if (path.rfind(kApiPrefix, 0) != 0) {
    std::string name = path == "/" || path == "/console" || path == "/console/"
                           ? "index.html"
                           : path.substr(path.rfind('/') + 1);
    std::optional<Asset> a = FindAsset(name);
    if (!a) return reply(HttpResponse{404, "text/plain; charset=utf-8", {}, "not found\n"});
    HttpResponse r{200, a->content_type, {}, std::string(a->data)};
    r.headers["Cache-Control"] = "no-cache";
    r.headers["X-Content-Type-Options"] = "nosniff";
    r.headers["Content-Security-Policy"] =
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
    return reply(std::move(r));
  }
  std::string api = path.substr(kApiPrefix.size());
  if (absl::Status s = Authenticate(request); !s.ok()) return reply(ErrorReply(s));
  if (api == "session") {
    json::object o;
    o["auth"] = options_.tokens.empty() ? "none" : "token";
    return reply(JsonReply(200, o));
  }
  if (api == "watch") return StartWatch(request, std::move(reply));
  std::map<std::string, std::string> q = ParseQuery(request.target);
  pool_.Submit([this, api, q = std::move(q), reply = std::move(reply)] {
    auto run = [&]() -> absl::StatusOr<json::value> {
      if (api == "machines") {
        SW_ASSIGN_OR_RETURN(std::vector<engine::StateMachineDescription> machines,
                            engine_->ListStateMachines());
        json::array out;
        for (const auto& m : machines) {
          json::object o = MachineJson(m);
          json::object counts;
          int64_t seen = 0;
          std::string token;
          bool capped = false;
          // Express executions are not listed (AWS; they live in memory).
          bool more = m.type != "EXPRESS";
          while (more) {
            SW_ASSIGN_OR_RETURN(engine::ExecutionList page,
                                engine_->ListExecutions(m.arn, "", 1000, token));
            for (const auto& e : page.executions) {
              json::value& c = counts[e.status];
              c = (c.is_int64() ? c.as_int64() : 0) + 1;
            }
            seen += static_cast<int64_t>(page.executions.size());
            token = page.next_token;
            if (seen >= options_.max_counted_executions && !token.empty()) capped = true;
            more = !token.empty() && !capped;
          }
          o["executions"] = std::move(counts);
          o["executionsCounted"] = seen;
          o["countCapped"] = capped;
          out.push_back(std::move(o));
        }
        json::object r;
        r["stateMachines"] = std::move(out);
        return r;
      }
      if (api == "machine") {
        std::string arn = Get(q, "arn");
        if (arn.empty()) return BadParam("query parameter 'arn' is required");
        SW_ASSIGN_OR_RETURN(engine::StateMachineDescription m, engine_->DescribeStateMachine(arn));
        json::object o = MachineJson(m);
        o["definition"] = m.definition;
        // Tags belong to the state machine, not to its versions or aliases:
        // a qualified ARN (one part more) shows its machine's.
        std::string machine_arn = arn;
        if (std::count(arn.begin(), arn.end(), ':') == 7) machine_arn.resize(arn.rfind(':'));
        SW_ASSIGN_OR_RETURN(std::vector<engine::Tag> tags,
                            engine_->ListTagsForResource(machine_arn));
        json::array tag_list;
        for (const engine::Tag& t : tags) {
          tag_list.push_back(json::object{{"key", t.key}, {"value", t.value}});
        }
        o["tags"] = std::move(tag_list);
        if (arn == machine_arn) {
          SW_ASSIGN_OR_RETURN(json::object versions, VersionsJson(engine_, m.arn));
          for (auto& kv : versions) o[kv.key()] = std::move(kv.value());
        }
        SW_ASSIGN_OR_RETURN(std::string graph, GraphJson(m.definition));
        SW_ASSIGN_OR_RETURN(json::value g, ParseJson(graph));
        o["graph"] = std::move(g);
        return o;
      }
      if (api == "executions") {
        std::string machine = Get(q, "machine");
        if (machine.empty()) return BadParam("query parameter 'machine' is required");
        std::string status = Get(q, "status");
        std::string prefix = Get(q, "prefix");
        SW_ASSIGN_OR_RETURN(int64_t from, IntParam(q, "from", 0));
        SW_ASSIGN_OR_RETURN(int64_t to, IntParam(q, "to", 0));
        SW_ASSIGN_OR_RETURN(int64_t limit, IntParam(q, "limit", 25));
        if (limit < 1 || limit > 1000) {
          return BadParam("query parameter 'limit' must be between 1 and 1000");
        }
        // cursor = "<skip>:<engine page token>": the page to read and how
        // many of its executions were already shown.
        std::string cursor = Get(q, "cursor");
        int64_t skip = 0;
        std::string token;
        if (!cursor.empty()) {
          size_t colon = cursor.find(':');
          if (colon == std::string::npos || !absl::SimpleAtoi(cursor.substr(0, colon), &skip) ||
              skip < 0) {
            return BadParam("query parameter 'cursor' is not a cursor this server returned");
          }
          token = cursor.substr(colon + 1);
        }
        json::array out;
        std::string next;
        int64_t scanned = 0;
        bool done = false;
        while (!done) {
          SW_ASSIGN_OR_RETURN(engine::ExecutionList page,
                              engine_->ListExecutions(machine, status, 1000, token));
          const auto& list = page.executions;
          for (size_t i = static_cast<size_t>(skip); i < list.size(); ++i) {
            const auto& e = list[i];
            ++scanned;
            // Newest first: past the range's start nothing more matches.
            if (from > 0 && e.start_date < from) {
              done = true;
              break;
            }
            if (to > 0 && e.start_date >= to) continue;
            if (!prefix.empty() && e.name.rfind(prefix, 0) != 0) continue;
            out.push_back(ExecutionJson(e, false));
            if (static_cast<int64_t>(out.size()) == limit) {
              if (i + 1 < list.size()) {
                next = absl::StrCat(i + 1, ":", token);
              } else if (!page.next_token.empty()) {
                next = absl::StrCat("0:", page.next_token);
              }
              done = true;
              break;
            }
          }
          if (done || page.next_token.empty()) break;
          token = page.next_token;
          skip = 0;
          if (scanned >= kMaxScannedExecutions) {
            // Bounded work per request: the page may be short; go on later.
            next = absl::StrCat("0:", token);
            break;
          }
        }
        json::object r;
        r["executions"] = std::move(out);
        if (!next.empty()) r["cursor"] = next;
        return r;
      }
      if (api == "execution") {
        std::string arn = Get(q, "arn");
        if (arn.empty()) return BadParam("query parameter 'arn' is required");
        SW_ASSIGN_OR_RETURN(engine::ExecutionDescription d, engine_->DescribeExecution(arn));
        SW_ASSIGN_OR_RETURN(engine::StateMachineDescription m,
                            engine_->DescribeStateMachineForExecution(arn));
        json::object o;
        o["execution"] = ExecutionJson(d, true);
        if (d.status == "RUNNING") {
          SW_ASSIGN_OR_RETURN(o["openTasks"], OpenTasksJson(engine_, arn));
        } else {
          o["openTasks"] = json::array();
        }
        json::object mj = MachineJson(m);
        mj["definition"] = m.definition;
        o["machine"] = std::move(mj);
        SW_ASSIGN_OR_RETURN(std::string graph, GraphJson(m.definition));
        SW_ASSIGN_OR_RETURN(json::value g, ParseJson(graph));
        o["graph"] = std::move(g);
        return o;
      }
      if (api == "express") {
        return ExpressExecutionsJson(options_.recent_express, Get(q, "machine"), Get(q, "arn"));
      }
      if (api == "maprun") {
        std::string arn = Get(q, "arn");
        if (arn.empty()) return BadParam("query parameter 'arn' is required");
        return MapRunJson(engine_, arn);
      }
      if (api == "maprunchildren") {
        std::string arn = Get(q, "arn");
        if (arn.empty()) return BadParam("query parameter 'arn' is required");
        SW_ASSIGN_OR_RETURN(int64_t limit, IntParam(q, "limit", 25));
        return MapRunChildrenJson(engine_, arn, Get(q, "cursor"), limit);
      }
      if (api == "maprunchild") {
        // A Map Run's child as DescribeExecution gives it: an Express one
        // has no history nor DescribeStateMachineForExecution (AWS).
        std::string arn = Get(q, "arn");
        if (arn.empty()) return BadParam("query parameter 'arn' is required");
        SW_ASSIGN_OR_RETURN(engine::ExecutionDescription d, engine_->DescribeExecution(arn));
        json::object o;
        o["execution"] = ExecutionJson(d, true);
        if (!d.map_run_arn.empty()) o["mapRunArn"] = d.map_run_arn;
        return o;
      }
      if (api == "tasks") {
        std::string arn = Get(q, "arn");
        if (arn.empty()) return BadParam("query parameter 'arn' is required");
        json::object o;
        SW_ASSIGN_OR_RETURN(o["openTasks"], OpenTasksJson(engine_, arn));
        return o;
      }
      if (api == "activities") {
        SW_ASSIGN_OR_RETURN(std::vector<engine::ActivityDescription> list,
                            engine_->ListActivities());
        engine::Engine::Stats stats = engine_->stats();
        json::array out;
        for (const auto& a : list) {
          json::object o;
          o["activityArn"] = a.arn;
          o["name"] = a.name;
          o["creationDate"] = a.creation_date;
          int64_t pending = 0, pollers = 0;
          for (const auto& qd : stats.activity_queues) {
            if (qd.activity_arn == a.arn) {
              pending = static_cast<int64_t>(qd.pending);
              pollers = static_cast<int64_t>(qd.pollers);
            }
          }
          o["waitingTasks"] = pending;
          o["pollingWorkers"] = pollers;
          out.push_back(std::move(o));
        }
        json::array functions;
        for (const auto& f : stats.function_queues) {
          json::object o;
          o["functionName"] = f.function_name;
          o["waitingTasks"] = static_cast<int64_t>(f.pending);
          o["pollingWorkers"] = static_cast<int64_t>(f.pollers);
          functions.push_back(std::move(o));
        }
        json::object r;
        r["activities"] = std::move(out);
        r["functions"] = std::move(functions);
        return r;
      }
      return engine::ServiceError("UnknownOperationException",
                                  absl::StrCat("unknown console endpoint '", api, "'"));
    };
    absl::StatusOr<json::value> v = run();
    reply(v.ok() ? JsonReply(200, *v) : ErrorReply(v.status()));
  });
}

absl::StatusOr<std::string> Console::GraphJson(const std::string& definition) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = graph_cache_.find(definition);
    if (it != graph_cache_.end()) return it->second;
  }
  SW_ASSIGN_OR_RETURN(StateGraph g, DefinitionToDot(definition));
  SW_ASSIGN_OR_RETURN(std::string svg, RenderSvg(g.dot));
  json::object o;
  o["svg"] = svg;
  json::object states;
  for (const auto& [name, ids] : g.states) {
    json::array a;
    for (const auto& id : ids) a.push_back(json::value(id));
    states[name] = std::move(a);
  }
  o["states"] = std::move(states);
  json::object types;
  for (const auto& [name, type] : g.types) types[name] = type;
  o["types"] = std::move(types);
  std::string text = SerializeJson(o);
  std::lock_guard<std::mutex> l(mu_);
  if (graph_cache_.size() >= kMaxGraphCache) graph_cache_.clear();
  graph_cache_[definition] = text;
  return text;
}

void Console::StartWatch(const HttpRequest& request, HttpReplyFn reply) {
  std::map<std::string, std::string> q = ParseQuery(request.target);
  std::string arn = Get(q, "arn");
  if (arn.empty()) return reply(ErrorReply(BadParam("query parameter 'arn' is required")));
  absl::StatusOr<int64_t> after = IntParam(q, "after", 0);
  if (!after.ok()) return reply(ErrorReply(after.status()));
  auto w = std::make_shared<Watch>();
  w->reply = std::move(reply);
  w->client_gone = request.client_gone;
  w->deadline = Clock::now() + std::chrono::milliseconds(options_.hold_ms);
  w->body = "retry: 500\n\n";
  {
    std::lock_guard<std::mutex> l(mu_);
    if (shutdown_) {
      HttpReplyFn r = std::move(w->reply);
      r(ErrorReply(absl::UnavailableError("the server is shutting down")));
      return;
    }
    watches_.push_back(w);
  }
  // The engine thread calling back must not block: it gathers text and, at
  // the close, answers; everything else is left to the housekeeper.
  auto on_events = [this, w](std::vector<json::object> events, bool closed) -> bool {
    bool kick = false;
    bool full = false;
    {
      std::lock_guard<std::mutex> l(w->mu);
      if (!w->reply) return false;
      full = !AppendSseEvents(events, options_.max_batch_bytes, w->body);
      if (full) closed = false;
      if (!closed && !events.empty() && !w->has_events) {
        w->has_events = true;
        w->deadline = std::min(w->deadline,
                               Clock::now() + std::chrono::milliseconds(options_.coalesce_ms));
        kick = true;
      }
      if (closed) w->body += "event: end\ndata: {}\n\n";
    }
    if (closed || full) {
      // Returning false ends the watch; no CancelWatch from its own callback.
      Finish(w, false);
      return false;
    }
    if (kick) {
      std::lock_guard<std::mutex> l(mu_);
      kicked_ = true;
      cv_.notify_all();
    }
    return true;
  };
  w->arn = arn;
  w->after = *after;
  absl::StatusOr<int64_t> id = engine_->WatchExecution(arn, *after, std::move(on_events));
  if (!id.ok() && engine::ShardOwnerOf(id.status()).has_value()) {
    // Cluster mode: another node runs it. Its events are in the store,
    // which the housekeeper reads (no I/O thread waits on the database).
    {
      std::lock_guard<std::mutex> l(w->mu);
      w->from_store = true;
      w->next_read = Clock::now();
    }
    std::lock_guard<std::mutex> l(mu_);
    kicked_ = true;
    cv_.notify_all();
    return;
  }
  if (!id.ok()) return Fail(w, id.status());
  bool answered = false;
  {
    std::lock_guard<std::mutex> l(w->mu);
    w->watch_id = *id;
    answered = !w->reply;
  }
  // Answered by the housekeeper before the id was known: cancel here.
  if (answered) engine_->CancelWatch(*id);
}

void Console::Finish(const std::shared_ptr<Watch>& w, bool cancel) {
  HttpReplyFn reply;
  std::string body;
  int64_t id = -1;
  {
    std::lock_guard<std::mutex> l(w->mu);
    if (!w->reply) return;
    reply = std::move(w->reply);
    w->reply = nullptr;
    body = std::move(w->body);
    id = w->watch_id;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    watches_.remove(w);
  }
  if (cancel && id >= 0) engine_->CancelWatch(id);
  HttpResponse r{200, "text/event-stream; charset=utf-8", {}, std::move(body)};
  r.headers["Cache-Control"] = "no-store";
  reply(std::move(r));
}

void Console::Fail(const std::shared_ptr<Watch>& w, const absl::Status& error) {
  HttpReplyFn reply;
  {
    std::lock_guard<std::mutex> l(w->mu);
    reply = std::move(w->reply);
    w->reply = nullptr;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    watches_.remove(w);
  }
  if (reply) reply(ErrorReply(error));
}

void Console::ReadFromStore(const std::shared_ptr<Watch>& w) {
  absl::StatusOr<engine::HistoryTail> tail = engine_->ReadHistoryTail(w->arn, w->after);
  if (!tail.ok()) return Fail(w, tail.status());
  std::vector<json::object> events;
  events.reserve(tail->events.size());
  for (const engine::RawHistoryEvent& e : tail->events) events.push_back(engine::ToAwsJson(e));
  bool answer = false;
  {
    std::lock_guard<std::mutex> l(w->mu);
    if (!w->reply) return;
    bool whole = AppendSseEvents(events, options_.max_batch_bytes, w->body);
    if (whole && tail->closed) w->body += "event: end\ndata: {}\n\n";
    answer = !events.empty() || tail->closed;
    w->next_read = Clock::now() + kStoreReadEvery;
  }
  if (answer) Finish(w, false);
}

void Console::Housekeeping() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    if (shutdown_ && watches_.empty()) return;
    std::vector<std::shared_ptr<Watch>> all(watches_.begin(), watches_.end());
    bool stopping = shutdown_;
    l.unlock();
    Clock::time_point now = Clock::now();
    // Client checks are cheap (one poll(2) each) but not free: once a second.
    Clock::time_point next = now + std::chrono::seconds(1);
    for (const auto& w : all) {
      bool due = stopping;
      bool read = false;
      {
        std::lock_guard<std::mutex> wl(w->mu);
        if (!w->reply) continue;
        if (w->deadline <= now) due = true;
        if (stopping) w->body += "event: shutdown\ndata: {}\n\n";
        if (!due && w->from_store) {
          read = w->next_read <= now;
          next = std::min(next, read ? now + kStoreReadEvery : w->next_read);
        }
        if (!due) next = std::min(next, w->deadline);
      }
      if (!due && w->client_gone && w->client_gone()) due = true;
      if (due) {
        Finish(w, true);
      } else if (read) {
        ReadFromStore(w);
      }
    }
    l.lock();
    if (shutdown_ && watches_.empty()) return;
    if (!kicked_ && !shutdown_) cv_.wait_until(l, next);
    kicked_ = false;
  }
}

void Console::Shutdown() {
  {
    std::lock_guard<std::mutex> l(mu_);
    shutdown_ = true;
    cv_.notify_all();
  }
  // Wait until the housekeeper has answered every held request.
  std::unique_lock<std::mutex> l(mu_);
  while (!watches_.empty()) {
    l.unlock();
    cv_.notify_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    l.lock();
  }
}

}  // namespace stepwise::server::console
