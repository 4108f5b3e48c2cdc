// The AWS JSON protocol (aws_json_protocol.h).
#include "integrations/aws/aws_json_protocol.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::integrations {

namespace {

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" and
// "ResourceNotFoundException:http://internal.amazon.com/..." → the name.
std::string BareErrorCode(std::string_view code) {
  if (size_t hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return std::string(absl::StripAsciiWhitespace(ToAbsl(code)));
}

}  // namespace

net::HttpClientRequest JsonProtocolRequest(const AwsServiceInfo& service,
                                           const AwsEndpoint& endpoint,
                                           std::string_view operation,
                                           const json::value& parameters) {
  net::HttpClientRequest r;
  r.method = "POST";
  r.url = absl::StrCat(endpoint.url, "/");
  r.headers["content-type"] = absl::StrCat("application/x-amz-json-", ToAbsl(service.json_version));
  r.headers["x-amz-target"] = absl::StrCat(ToAbsl(service.target_prefix), ".", ToAbsl(operation));
  r.body = parameters.is_null() ? std::string("{}") : SerializeJson(parameters);
  return r;
}

void ReadJsonProtocolAnswer(const net::HttpClientResponse& answer, AwsApiResponse& out) {
  absl::StatusOr<json::value> body =
      absl::StripAsciiWhitespace(answer.body).empty() ? json::value(json::object())
                                                       : ParseJson(answer.body);
  if (answer.status >= 200 && answer.status < 300) {
    if (!body.ok() || !body->is_object()) {
      out.transport_failed = true;
      out.transport_error = absl::StrCat("Unable to unmarshall response (",
                                         body.ok() ? "not a JSON object" : body.status().message(),
                                         "). Response Code: ", answer.status);
      return;
    }
    out.output = std::move(*body);
    return;
  }
  const json::object* o = body.ok() ? body->if_object() : nullptr;
  std::string code;
  if (auto it = answer.headers.find("x-amzn-errortype"); it != answer.headers.end()) {
    code = BareErrorCode(it->second);
  }
  if (code.empty() && o != nullptr) code = BareErrorCode(StringMember(*o, "__type"));
  if (code.empty() && o != nullptr) code = BareErrorCode(StringMember(*o, "code"));
  out.error_code = code;
  if (o != nullptr) {
    out.error_message = StringMember(*o, "message");
    if (out.error_message.empty()) out.error_message = StringMember(*o, "Message");
    if (out.error_message.empty()) out.error_message = StringMember(*o, "errorMessage");
  }
}

}  // namespace stepwise::integrations
