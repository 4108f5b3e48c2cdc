// HttpTaskIntegration (http_task_integration.h).
#include "integrations/http/http_task_integration.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "integrations/http/http_task_request.h"
#include "integrations/http/http_task_result.h"
#include "spdlog/spdlog.h"

namespace stepwise::integrations::http {

namespace {

using Clock = std::chrono::steady_clock;

std::string OriginOf(const std::string& url) {
  absl::StatusOr<net::Url> u = net::ParseUrl(url);
  return u.ok() ? u->Origin() : std::string("?");
}

}  // namespace

// One call of one task attempt, across its token fetch and its resend.
struct HttpTaskIntegration::Attempt {
  net::HttpClientRequest request;
  const Connection* connection = nullptr;
  std::function<void(engine::TaskResult)> done;
  Clock::time_point deadline;
  std::string token;     // the OAuth token the request carries
  bool resent = false;   // already sent again after a 401/407
  std::string origin;    // for the log: scheme://host[:port], never a secret
  std::shared_ptr<engine::HttpExchangeTrace> trace;  // TestState at TRACE; may be null

  int64_t RemainingMs() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max<int64_t>(1, left.count());
  }
};

absl::StatusOr<std::shared_ptr<HttpTaskIntegration>> HttpTaskIntegration::Create(
    Connections connections, net::HttpClientOptions options) {
  SW_ASSIGN_OR_RETURN(std::unique_ptr<net::HttpClient> client,
                      net::HttpClient::Create(std::move(options)));
  return std::make_shared<HttpTaskIntegration>(std::move(connections), std::move(client));
}

HttpTaskIntegration::HttpTaskIntegration(Connections connections,
                                         std::unique_ptr<net::HttpClient> client)
    : connections_(std::move(connections)),
      redactor_(connections_),
      client_(std::move(client)),
      tokens_([this](net::HttpClientRequest r, net::HttpCallOptions o,
                     net::HttpClient::Done d) { return SendRaw(std::move(r), o, std::move(d)); },
              redactor_) {}

HttpTaskIntegration::~HttpTaskIntegration() { Stop(); }

bool HttpTaskIntegration::Takes(const engine::TaskResource& resource) const {
  return resource.kind == engine::TaskKind::kService && resource.resource_type == "http" &&
         (resource.resource_name == "invoke" ||
          resource.resource_name == "invoke.waitForTaskToken");
}

void HttpTaskIntegration::Stop() {
  std::unique_ptr<net::HttpClient> client;
  {
    std::lock_guard<std::recursive_mutex> l(mu_);
    client = std::move(client_);
  }
  client.reset();  // joins its thread; calls in flight are dropped
}

bool HttpTaskIntegration::SendRaw(net::HttpClientRequest request, net::HttpCallOptions options,
                                  net::HttpClient::Done done) {
  std::lock_guard<std::recursive_mutex> l(mu_);
  if (client_ == nullptr) return false;
  client_->Send(std::move(request), options, std::move(done));
  return true;
}

void HttpTaskIntegration::Call(const engine::ServiceCall& call,
                               std::function<void(engine::TaskResult)> done) {
  {
    std::lock_guard<std::recursive_mutex> l(mu_);
    if (client_ == nullptr) return;  // stopped: called again at the next start
  }
  absl::StatusOr<std::string> arn = ConnectionArnOf(call.parameters);
  if (!arn.ok()) {
    return done(engine::TaskResult::Failed("States.Runtime", std::string(arn.status().message())));
  }
  const Connection* connection = nullptr;
  if (!arn->empty()) {
    connection = connections_.Find(*arn);
    if (connection == nullptr) {
      return done(engine::TaskResult::Failed(
          "Events.ConnectionResource.ResourceNotFound",
          absl::StrCat("Connection ", *arn,
                       " was not found: Stepwise reads connections from the connections file "
                       "(--connections-file), which has no connection with this ARN")));
    }
  }
  absl::StatusOr<net::HttpClientRequest> request =
      BuildHttpTaskRequest(call.parameters, connection, call.region);
  if (!request.ok()) {
    return done(engine::TaskResult::Failed(
        "States.Runtime", redactor_.Redact(std::string(request.status().message()))));
  }
  auto a = std::make_shared<Attempt>();
  a->origin = OriginOf(request->url);
  a->request = *std::move(request);
  a->connection = connection;
  a->done = std::move(done);
  a->trace = call.http_trace;
  int64_t timeout_ms = call.timeout_ms > 0 ? std::min(call.timeout_ms, kHttpTaskTimeoutMs)
                                           : kHttpTaskTimeoutMs;
  a->deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (connection != nullptr && connection->type == AuthorizationType::kOAuthClientCredentials) {
    return WithToken(std::move(a), "");
  }
  Send(std::move(a));
}

void HttpTaskIntegration::WithToken(std::shared_ptr<Attempt> a, const std::string& stale) {
  const Connection& connection = *a->connection;
  tokens_.Get(connection, stale, a->RemainingMs(),
              [this, a](absl::StatusOr<std::string> token) {
                if (!token.ok()) {
                  spdlog::info("http task {}: {}", a->origin,
                               std::string(token.status().message()));
                  return a->done(engine::TaskResult::Failed(
                      "Events.ConnectionResource.InvalidConnectionState",
                      absl::StrCat("Connection ", a->connection->arn, " is not authorized: ",
                                   token.status().message())));
                }
                a->token = *token;
                a->request.headers["authorization"] = absl::StrCat("Bearer ", *token);
                Send(a);
              });
}

void HttpTaskIntegration::Trace(const Attempt& a, const net::HttpClientResponse* res) const {
  engine::HttpExchangeTrace* t = a.trace.get();
  if (t == nullptr) return;
  auto shown = [this, t](std::string text) {
    return t->reveal_secrets ? text : redactor_.Redact(std::move(text));
  };
  const net::HttpClientRequest& req = a.request;
  t->has_request = true;
  t->protocol = req.url.rfind("https:", 0) == 0 ? "https" : "http";
  t->method = req.method;
  t->url = shown(req.url);
  t->request_headers.clear();
  for (const auto& [name, value] : req.headers) t->request_headers.emplace_back(name, shown(value));
  t->request_body = shown(req.body);
  t->has_response = res != nullptr;
  if (res == nullptr) return;
  t->status_code = res->status;
  t->status_message = res->reason;
  // Masked too unless revealed: results never carry a secret a server
  // echoes back (http_task_result.h), so neither does their trace.
  t->response_headers.clear();
  for (const auto& [name, value] : res->headers) {
    t->response_headers.emplace_back(name, shown(value));
  }
  t->response_body = shown(res->body);
}

void HttpTaskIntegration::Send(std::shared_ptr<Attempt> a) {
  net::HttpCallOptions options;
  options.timeout_ms = a->RemainingMs();
  options.max_response_bytes = kMaxHttpTaskResponseBytes;
  net::HttpClientRequest request = a->request;  // kept for a resend
  SendRaw(std::move(request), options, [this, a](absl::StatusOr<net::HttpClientResponse> res) {
    Trace(*a, res.ok() ? &*res : nullptr);
    if (!res.ok()) {
      spdlog::info("http task {} {}: no answer: {}", a->request.method, a->origin,
                   redactor_.Redact(std::string(res.status().message())));
      return a->done(OutcomeOfFailure(res.status(), redactor_));
    }
    bool refused = res->status == 401 || res->status == 407;
    if (refused && !a->resent && a->connection != nullptr &&
        a->connection->type == AuthorizationType::kOAuthClientCredentials) {
      // EventBridge refreshes the token when the API refuses it.
      a->resent = true;
      spdlog::debug("http task {} {}: HTTP {}; fetching a new OAuth token", a->request.method,
                    a->origin, res->status);
      return WithToken(a, a->token);
    }
    spdlog::debug("http task {} {}: HTTP {}", a->request.method, a->origin, res->status);
    a->done(OutcomeOfResponse(*res, redactor_));
  });
}

}  // namespace stepwise::integrations::http
