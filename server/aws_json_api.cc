// AwsJsonApi (see aws_json_api.h): the request's way through the AWS JSON
// endpoint. Handle runs on the HTTP listener's I/O thread and only hands the
// request to the pool; Process (on the pool) authenticates, parses the body
// and dispatches to the action table (aws_json_actions.h); `finish` shapes
// AWS's reply and audit record on whichever thread the action answers.
#include "server/aws_json_api.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/service_error.h"
#include "engine/tags.h"
#include "server/aws_json_actions.h"
#include "server/aws_json_cluster_poll.h"
#include "server/aws_json_forward.h"
#include "server/aws_json_extensions.h"
#include "server/sigv4.h"
#include "server/status_conversion.h"

namespace stepwise::server {

namespace {

constexpr char kContentType[] = "application/x-amz-json-1.0";
constexpr std::string_view kTargetPrefix = "AWSStepFunctions.";

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t RandomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

int AwsErrorHttpStatus(const std::string& aws_name) {
  if (aws_name == "ServiceQuotaExceededException") return 402;
  if (aws_name == "ConflictException") return 409;
  if (aws_name == "InternalFailure") return 500;
  if (aws_name == "ServiceUnavailable") return 503;
  return 400;
}

AwsJsonApi::AwsJsonApi(engine::Engine* engine, AwsJsonApiOptions options)
    : engine_(engine),
      options_(std::move(options)),
      request_seed_(RandomSeed()),
      pool_(options_.pool_threads) {}

AwsJsonApi::~AwsJsonApi() = default;

void AwsJsonApi::Register(HttpServer* http) {
  http->HandleAsync("POST", "/", [this](HttpRequest r, HttpReplyFn reply) {
    Handle(std::move(r), std::move(reply));
  });
  http->HandleErrors("/", [this](int status, const std::string& message) {
    HttpResponse resp;
    resp.status = status;
    resp.content_type = kContentType;
    resp.headers["x-amzn-RequestId"] = NewRequestId();
    resp.headers["x-amzn-ErrorType"] = "ValidationException";
    json::object o{{"__type", "ValidationException"}, {"message", message}};
    resp.body = SerializeJson(json::value(std::move(o)));
    return resp;
  });
}

absl::Status AwsJsonApi::Authenticate(const HttpRequest& request, std::string* caller) const {
  *caller = request.client_subject.empty() ? "anonymous" : "cert:" + request.client_subject;
  auto it = request.headers.find("authorization");
  if (options_.access_keys.empty() && options_.tokens.empty()) return absl::OkStatus();
  if (!options_.tokens.empty() && HasBearerToken(request, options_.tokens)) {
    std::string_view v = it->second;
    v.remove_prefix(std::min(v.size(), v.find("Bearer ") + 7));
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    *caller = TokenCaller(v);
    return absl::OkStatus();
  }
  if (it != request.headers.end() && it->second.rfind("Bearer ", 0) == 0) {
    return engine::ServiceError("UnrecognizedClientException",
                                "The security token included in the request is invalid.");
  }
  int64_t now = options_.now_seconds
                    ? options_.now_seconds()
                    : std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  absl::Status s = VerifySigV4(request, options_.access_keys, "states", now);
  if (s.ok()) {
    // Credential=<key id>/<date>/... (verified above).
    std::string_view v = it->second;
    size_t at = v.find("Credential=");
    if (at != std::string_view::npos) {
      v.remove_prefix(at + 11);
      *caller = absl::StrCat("aws:", ToAbsl(v.substr(0, v.find('/'))));
    }
  }
  return s;
}

std::string AwsJsonApi::NewRequestId() {
  uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed);
  uint64_t a = SplitMix(request_seed_ ^ n);
  uint64_t b = SplitMix(a ^ n);
  return engine::FormatUuid(a, b);
}

namespace {

// `s` with every byte sequence that is not well-formed UTF-8 replaced by
// U+FFFD, so error messages echoing a request's bytes (e.g. the action name
// from the X-Amz-Target header) stay valid JSON for every client.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
             : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    }
    if (ok && n >= 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      // No overlong forms, no surrogates, nothing above U+10FFFF.
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
          (c == 0xf4 && c1 > 0x8f)) {
        ok = false;
      }
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += 1;
    }
  }
  return out;
}

// What the audit log records about one call.
struct AuditInfo {
  std::string caller;
  std::string peer;
  std::string action;
  std::string resource;
};

// The resource a request names: an ARN, else a task-token fingerprint, else
// the name it creates.
std::string RequestResource(const json::object& req) {
  for (const char* key : {"executionArn", "stateMachineArn", "activityArn", "resourceArn"}) {
    if (const json::value* v = req.if_contains(key); v != nullptr && v->is_string()) {
      return std::string(v->as_string());
    }
  }
  if (const json::value* v = req.if_contains("taskToken"); v != nullptr && v->is_string()) {
    return "taskToken:" + Fingerprint(std::string_view(v->as_string()));
  }
  if (const json::value* v = req.if_contains("name"); v != nullptr && v->is_string()) {
    return std::string(v->as_string());
  }
  return "";
}

}  // namespace

void AwsJsonApi::Handle(HttpRequest request, HttpReplyFn reply) {
  // Nothing but the hand-over happens here (this may be the listener's only
  // I/O thread): authentication hashes the body, parsing it and the action
  // may take milliseconds.
  pool_.Submit([this, request = std::move(request), reply = std::move(reply)]() mutable {
    Process(request, std::move(reply));
  });
}

void AwsJsonApi::Process(const HttpRequest& request, HttpReplyFn reply) {
  auto target_it = request.headers.find("x-amz-target");
  std::string_view target =
      target_it == request.headers.end() ? std::string_view() : target_it->second;
  // AWS's actions come as AWSStepFunctions.<Action>; Stepwise's extensions
  // as Stepwise.<Action> (audited under that whole name).
  const bool aws_target = target.substr(0, kTargetPrefix.size()) == kTargetPrefix;
  const bool extension_target = !aws_target && IsStepwiseExtensionTarget(target);
  std::string audited = aws_target ? std::string(target.substr(kTargetPrefix.size()))
                                   : std::string(target);
  std::shared_ptr<AuditInfo> audit;
  if (options_.audit != nullptr && (aws_target || extension_target) &&
      IsMutatingAction(audited)) {
    audit = std::make_shared<AuditInfo>();
    audit->peer = request.peer;
    audit->action = audited;
  }
  // Turns an action's result or a status into AWS's reply; called once,
  // from any thread.
  AwsActionDone finish = [request_id = NewRequestId(), reply = std::move(reply), audit,
                          log = options_.audit](absl::StatusOr<AwsActionResult> r) {
    HttpResponse resp;
    resp.content_type = kContentType;
    resp.headers["x-amzn-RequestId"] = request_id;
    std::string outcome = "OK";
    if (r.ok()) {
      resp.status = 200;
      resp.body = std::move(r->body);
    } else {
      std::string name = AwsErrorName(r.status());
      outcome = name;
      resp.status = AwsErrorHttpStatus(name);
      resp.headers["x-amzn-ErrorType"] = name;
      json::object o{{"__type", name}, {"message", ValidUtf8(ToStd(r.status().message()))}};
      // TooManyTags and ResourceNotFound name the resource, as AWS's do.
      if (std::string arn = engine::TaggedResourceName(r.status()); !arn.empty()) {
        o["resourceName"] = ValidUtf8(arn);
      }
      resp.body = SerializeJson(json::value(std::move(o)));
    }
    // An empty long poll changed nothing: not audited.
    if (audit != nullptr && !(audit->action == "GetActivityTask" && r.ok() && resp.body == "{}")) {
      std::string resource = r.ok() && !r->made.empty() ? r->made : audit->resource;
      log->Record(AuditRecord{"aws", audit->caller, audit->peer, audit->action, resource,
                              outcome});
    }
    reply(std::move(resp));
  };

  std::string caller;
  absl::Status auth = Authenticate(request, &caller);
  if (audit != nullptr) audit->caller = caller;
  if (!auth.ok()) return finish(auth);

  if (!aws_target && !extension_target) {
    return finish(engine::ServiceError(
        "UnknownOperationException",
        target.empty() ? "missing X-Amz-Target header (expected AWSStepFunctions.<Action>)"
                       : absl::StrCat("unknown operation '", ToAbsl(target), "'")));
  }
  std::string action(aws_target ? target.substr(kTargetPrefix.size()) : target);

  // An empty body is an empty request (some clients send none).
  json::object req;
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    absl::StatusOr<json::value> v = ParseJson(request.body);
    if (!v.ok()) {
      return finish(AwsSerializationError(
          absl::StrCat("request body is not valid JSON: ", v.status().message())));
    }
    if (!v->is_object()) return finish(AwsSerializationError("request body must be a JSON object"));
    req = std::move(v->as_object());
  }
  if (audit != nullptr) audit->resource = RequestResource(req);

  AwsAction fn = aws_target ? FindAwsAction(action) : FindStepwiseAwsAction(action);
  if (fn != nullptr) {
    AwsActionContext ctx{engine_, options_.on_execution_started, request.client_gone,
                         options_.test_state_targets, options_.shard_leases};
    if (aws_target && action == "GetActivityTask" && options_.task_poller != nullptr &&
        options_.forwarder != nullptr) {
      return PollActivityOnAnyNode(options_.task_poller, options_.forwarder, ctx, fn, req,
                                   caller, std::move(finish));
    }
    if ((aws_target || extension_target) && options_.router != nullptr &&
        options_.forwarder != nullptr) {
      // Extensions are routed under their whole name (Stepwise.<Action>).
      return RouteAwsAction(options_.router, options_.forwarder, ctx,
                            aws_target ? action : target, fn, req, caller, std::move(finish));
    }
    return fn(ctx, req, std::move(finish));
  }
  if (IsUnsupportedAwsAction(action)) {
    return finish(engine::ServiceError("UnknownOperationException",
                                       absl::StrCat(action, " is not supported by Stepwise yet")));
  }
  finish(engine::ServiceError("UnknownOperationException",
                              absl::StrCat("unknown operation '", action, "'")));
}

}  // namespace stepwise::server
