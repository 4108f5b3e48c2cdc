// HttpTaskResultOf, OutcomeOfResponse, OutcomeOfFailure (http_task_result.h).
#include "integrations/http/http_task_result.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::integrations::http {

namespace {

// Whether the Content-Type says JSON: application/json or a +json type.
bool IsJsonType(std::string_view content_type) {
  std::string media = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(ToAbsl(content_type.substr(0, content_type.find(';')))));
  return media == "application/json" || absl::EndsWith(media, "+json");
}

// Length of the valid UTF-8 sequence at `s[i]`, 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  if (n == 2 && c < 0xc2) return 0;  // overlong
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  if (n == 3) {
    unsigned char c1 = byte(i + 1);
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) return 0;  // overlong, surrogate
  }
  if (n == 4) {
    unsigned char c1 = byte(i + 1);
    if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) return 0;
  }
  return n;
}

// `s` as valid UTF-8: each invalid byte becomes U+FFFD (history is JSON).
std::string ValidUtf8(std::string s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t n = Utf8Length(s, i);
    if (n == 0) break;
    i += n;
  }
  if (i == s.size()) return s;
  std::string out(s, 0, i);
  while (i < s.size()) {
    size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace

json::object HttpTaskResultOf(const net::HttpClientResponse& response) {
  json::object headers;
  std::string content_type;
  for (const auto& [name, value] : response.headers) {
    json::array values;
    values.emplace_back(ValidUtf8(value));
    headers[ValidUtf8(name)] = std::move(values);
    if (name == "content-type") content_type = value;
  }
  json::object result;
  result["Headers"] = std::move(headers);
  json::value body = json::string(ValidUtf8(response.body));
  if (IsJsonType(content_type) && !response.body.empty()) {
    if (absl::StatusOr<json::value> parsed = ParseJson(response.body); parsed.ok()) {
      body = *std::move(parsed);
    }
  }
  result["ResponseBody"] = std::move(body);
  result["StatusCode"] = response.status;
  result["StatusText"] = ValidUtf8(response.reason);
  return result;
}

engine::TaskResult OutcomeOfResponse(const net::HttpClientResponse& response,
                                     const SecretRedactor& redactor) {
  json::value result = redactor.RedactJson(json::value(HttpTaskResultOf(response)));
  if (response.status >= 200 && response.status < 300) {
    engine::TaskResult r;
    r.kind = engine::TaskResult::Kind::kSucceeded;
    r.output = std::move(result);
    return r;
  }
  return engine::TaskResult::Failed(absl::StrCat("States.Http.StatusCode.", response.status),
                                    SerializeJson(result));
}

engine::TaskResult OutcomeOfFailure(const absl::Status& why, const SecretRedactor& redactor) {
  std::string message = redactor.Redact(std::string(why.message()));
  switch (why.code()) {
    case absl::StatusCode::kResourceExhausted:
      return engine::TaskResult::Failed(
          "States.DataLimitExceeded",
          absl::StrCat("The HTTP response exceeds the maximum size of ",
                       kMaxHttpTaskResponseBytes, " bytes (", message, ")"));
    case absl::StatusCode::kInvalidArgument:
      return engine::TaskResult::Failed("States.Runtime", message);
    default:
      return engine::TaskResult::Failed("States.Http.Socket", message);
  }
}

}  // namespace stepwise::integrations::http
