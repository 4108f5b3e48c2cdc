// LambdaHttpInvoker (lambda_http_invoker.h).
#include "server/lambda_http_invoker.h"

#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/sigv4.h"
#include "net/sigv4_signer.h"
#include "spdlog/spdlog.h"

namespace stepwise::server {

namespace {

std::string HeaderOf(const net::HttpClientResponse& r, const char* name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

engine::LambdaInvokeOutcome NoAnswer(std::string why) {
  engine::LambdaInvokeOutcome o;
  o.transport_failed = true;
  o.transport_error = std::move(why);
  return o;
}

}  // namespace

bool LambdaRoutes::any_endpoint() const {
  if (!default_endpoint.empty()) return true;
  for (const auto& [name, target] : routes) {
    if (target != kQueue) return true;
  }
  return false;
}

LambdaHttpInvoker::LambdaHttpInvoker(LambdaRoutes routes, std::unique_ptr<net::HttpClient> client,
                                     std::unique_ptr<net::AwsCredentialsProvider> credentials)
    : routes_(std::move(routes)),
      client_(std::move(client)),
      credentials_(std::move(credentials)) {}

const std::string* LambdaHttpInvoker::EndpointOf(std::string_view function_name) const {
  auto it = routes_.routes.find(std::string(function_name));
  if (it != routes_.routes.end()) {
    return it->second == LambdaRoutes::kQueue ? nullptr : &it->second;
  }
  return routes_.default_endpoint.empty() ? nullptr : &routes_.default_endpoint;
}

void LambdaHttpInvoker::Stop() {
  std::unique_ptr<net::HttpClient> client;
  {
    std::lock_guard<std::mutex> l(mu_);
    client = std::move(client_);
  }
  client.reset();  // joins its thread; calls in flight are dropped
}

bool LambdaHttpInvoker::Routes(std::string_view function_name) const {
  return EndpointOf(function_name) != nullptr;
}

std::string LambdaHttpInvoker::InvokeUrl(std::string_view endpoint,
                                         const engine::LambdaCall& call) {
  std::string base(endpoint);
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = absl::StrCat(base, "/2015-03-31/functions/",
                                 net::UriEncode(call.function_name, false), "/invocations");
  if (!call.qualifier.empty()) {
    absl::StrAppend(&url, "?Qualifier=", net::UriEncode(call.qualifier, false));
  }
  return url;
}

void LambdaHttpInvoker::Invoke(const engine::LambdaCall& call, int64_t timeout_ms,
                               std::function<void(engine::LambdaInvokeOutcome)> done) {
  const std::string* endpoint = EndpointOf(call.function_name);
  if (endpoint == nullptr) {
    return done(NoAnswer(absl::StrCat("Unable to execute HTTP request: function ",
                                      call.function_name, " has no Lambda endpoint")));
  }
  absl::StatusOr<net::AwsCredentials> creds = credentials_->Get();
  if (!creds.ok()) {
    spdlog::warn("lambda invoke {}: {}", call.function_name, std::string(creds.status().message()));
    return done(NoAnswer(absl::StrCat("Unable to load AWS credentials from any provider in the "
                                      "chain: ", creds.status().message())));
  }
  net::HttpClientRequest r;
  r.method = "POST";
  r.url = InvokeUrl(*endpoint, call);
  r.headers["content-type"] = "application/json";
  r.headers["x-amz-invocation-type"] = call.invocation_type;
  if (!call.client_context.empty()) r.headers["x-amz-client-context"] = call.client_context;
  r.headers["user-agent"] = "stepwise";
  r.body = call.payload;
  absl::Status signed_ok = net::SignSigV4(r, *creds, {call.region, "lambda"},
                                          static_cast<int64_t>(std::time(nullptr)));
  if (!signed_ok.ok()) {
    return done(NoAnswer(absl::StrCat("Unable to execute HTTP request: ", signed_ok.message())));
  }
  net::HttpCallOptions options;
  options.timeout_ms = timeout_ms;
  options.max_response_bytes = kMaxResponseBytes;
  std::string function = call.function_name;
  std::lock_guard<std::mutex> l(mu_);
  if (client_ == nullptr) return;  // stopped: invoked again at the next start
  client_->Send(std::move(r), options,
                [done = std::move(done), function](absl::StatusOr<net::HttpClientResponse> res) {
                  if (!res.ok()) {
                    spdlog::info("lambda invoke {}: no answer: {}", function,
                                 std::string(res.status().message()));
                    return done(NoAnswer(absl::StrCat("Unable to execute HTTP request: ",
                                                      res.status().message())));
                  }
                  engine::LambdaInvokeOutcome o;
                  o.status = res->status;
                  o.function_error = HeaderOf(*res, "x-amz-function-error");
                  o.executed_version = HeaderOf(*res, "x-amz-executed-version");
                  o.error_type = HeaderOf(*res, "x-amzn-errortype");
                  o.request_id = HeaderOf(*res, "x-amzn-requestid");
                  o.body = std::move(res->body);
                  spdlog::debug("lambda invoke {}: HTTP {}{}", function, o.status,
                                o.function_error.empty() ? "" : " (function error)");
                  done(std::move(o));
                });
}

}  // namespace stepwise::server
