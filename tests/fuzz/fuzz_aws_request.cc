// libFuzzer target: the AWS JSON 1.0 request decoding (server/aws_json_api.*)
// through to the engine. One input is a script of requests separated by a
// line "%%"; each request is its action name (X-Amz-Target without the
// "AWSStepFunctions." prefix) on the first line and its body after. The
// literal `$TOKEN` in a body is replaced by the last task token a
// GetActivityTask returned, so SendTask* calls can reach a live task.
// Every input runs against a fresh Engine on a MemoryStore (short long
// polls), so a finding reproduces from its file alone. Each reply must be
// well formed: HTTP 200 with a JSON object, or an AWS error status with
// {"__type", "message"} and the x-amzn-ErrorType header; anything else
// aborts (a finding).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/engine.h"
#include "server/aws_json_api.h"
#include "server/http_server.h"
#include "storage/memory_store.h"

namespace {

using stepwise::server::HttpRequest;
using stepwise::server::HttpResponse;

[[noreturn]] void Bad(const char* what, const HttpResponse& r) {
  std::fprintf(stderr, "malformed reply (%s): status %d body %.300s\n", what, r.status,
               r.body.c_str());
  std::abort();
}

// Aborts unless `r` is a reply AWS's clients can read.
void CheckReply(const HttpResponse& r) {
  if (r.headers.count("x-amzn-RequestId") == 0) Bad("no request id", r);
  auto v = stepwise::ParseJson(r.body);
  if (!v.ok() || !v->is_object()) Bad("body is not a JSON object", r);
  if (r.status == 200) return;
  if (r.status != 400 && r.status != 402 && r.status != 409 && r.status != 500 &&
      r.status != 503) {
    Bad("unexpected status", r);
  }
  const auto& o = v->as_object();
  auto type = o.find("__type");
  auto msg = o.find("message");
  if (type == o.end() || !type->value().is_string() || msg == o.end() ||
      !msg->value().is_string()) {
    Bad("error without __type/message", r);
  }
  auto h = r.headers.find("x-amzn-ErrorType");
  if (h == r.headers.end() || h->second != std::string(type->value().as_string())) {
    Bad("x-amzn-ErrorType differs from __type", r);
  }
}

std::vector<std::string_view> SplitRequests(std::string_view text) {
  std::vector<std::string_view> out;
  constexpr std::string_view kSep = "\n%%\n";
  while (true) {
    size_t p = text.find(kSep);
    out.push_back(text.substr(0, p));
    if (p == std::string_view::npos) break;
    text.remove_prefix(p + kSep.size());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> requests = SplitRequests(text);
  if (requests.size() > 16) return -1;  // keep each input cheap

  stepwise::storage::MemoryStore store;
  stepwise::engine::EngineOptions eopts;
  eopts.max_poll_ms = 5;
  eopts.seed = 1;
  eopts.max_history_events = 2000;
  auto engine = stepwise::engine::Engine::Open(&store, eopts);
  if (!engine.ok()) std::abort();
  {
    stepwise::server::AwsJsonApiOptions aopts;
    aopts.pool_threads = 1;
    stepwise::server::AwsJsonApi api(engine->get(), aopts);
    std::string last_token = "none";
    for (std::string_view r : requests) {
      size_t nl = r.find('\n');
      std::string action(r.substr(0, nl));
      std::string body(nl == std::string_view::npos ? std::string_view() : r.substr(nl + 1));
      for (size_t p; (p = body.find("$TOKEN")) != std::string::npos;) {
        body.replace(p, 6, last_token);
      }
      HttpRequest req;
      req.method = "POST";
      req.target = "/";
      req.path = "/";
      req.headers["x-amz-target"] = "AWSStepFunctions." + action;
      req.headers["content-type"] = "application/x-amz-json-1.0";
      req.body = std::move(body);
      req.client_gone = [] { return false; };
      auto promise = std::make_shared<std::promise<HttpResponse>>();
      std::future<HttpResponse> reply = promise->get_future();
      api.Handle(req, [promise](HttpResponse resp) { promise->set_value(std::move(resp)); });
      if (reply.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
        std::fprintf(stderr, "no reply to %s within 20 s\n", action.c_str());
        std::abort();
      }
      HttpResponse resp = reply.get();
      CheckReply(resp);
      if (action == "GetActivityTask" && resp.status == 200) {
        auto v = stepwise::ParseJson(resp.body);
        if (v.ok() && v->is_object()) {
          if (const auto* t = v->as_object().if_contains("taskToken"); t && t->is_string()) {
            last_token = std::string(t->as_string());
          }
        }
      }
    }
  }
  (*engine)->Shutdown();
  return 0;
}
