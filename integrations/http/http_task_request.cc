// BuildHttpTaskRequest and its helpers (http_task_request.h).
#include "integrations/http/http_task_request.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "net/sigv4.h"

namespace stepwise::integrations::http {

namespace {

// AWS's largest HTTP Task response; sent as a Range header as AWS does.
constexpr char kRange[] = "bytes=0-262144";

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(field), " ", ToAbsl(why)));
}

std::string Encode(std::string_view s) { return net::UriEncode(s, false); }

// A scalar's text: strings as they are, numbers and booleans as JSON
// writes them, null as "".
std::string ScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return SerializeJson(v);
}

bool IsScalar(const json::value& v) { return !v.is_object() && !v.is_array(); }

bool IsHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) return false;
  }
  return true;
}

// No CR, LF or other control character but tab: a value that cannot
// smuggle another header in.
bool IsHeaderValue(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

void AppendForm(const std::string& key, const json::value& v, ArrayFormat format,
                std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.get_object()) {
      std::string name = key.empty() ? std::string(k) : absl::StrCat(key, "[", ToAbsl(k), "]");
      AppendForm(name, child, format, out);
    }
    return;
  }
  if (v.is_array()) {
    const json::array& a = v.get_array();
    if (format == ArrayFormat::kCommas) {
      std::vector<std::string> parts;
      for (const json::value& e : a) parts.push_back(IsScalar(e) ? ScalarText(e) : SerializeJson(e));
      out.push_back(absl::StrCat(Encode(key), "=", Encode(absl::StrJoin(parts, ","))));
      return;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      std::string name;
      switch (format) {
        case ArrayFormat::kIndices: name = absl::StrCat(key, "[", i, "]"); break;
        case ArrayFormat::kBrackets: name = absl::StrCat(key, "[]"); break;
        default: name = key; break;
      }
      AppendForm(name, a[i], format, out);
    }
    return;
  }
  out.push_back(absl::StrCat(Encode(key), "=", Encode(ScalarText(v))));
}

// Headers or QueryParameters: an object of scalars (arrays of scalars for
// query parameters, which repeat the key).
absl::Status ReadPairs(const json::object& params, std::string_view field, bool allow_arrays,
                       std::vector<std::pair<std::string, std::string>>& out) {
  const json::value* v = params.if_contains(field);
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_object()) return Bad(field, "must be an object");
  for (const auto& [k, value] : v->get_object()) {
    std::string name(k);
    if (IsScalar(value)) {
      out.emplace_back(name, ScalarText(value));
      continue;
    }
    if (allow_arrays && value.is_array()) {
      for (const json::value& e : value.get_array()) {
        if (!IsScalar(e)) {
          return Bad(absl::StrCat(ToAbsl(field), ".", name), "must hold strings, numbers or booleans");
        }
        out.emplace_back(name, ScalarText(e));
      }
      continue;
    }
    return Bad(absl::StrCat(ToAbsl(field), ".", name),
               allow_arrays ? "must be a string, a number, a boolean or a list of them"
                            : "must be a string, a number or a boolean");
  }
  return absl::OkStatus();
}

absl::StatusOr<ArrayFormat> ParseArrayFormat(std::string_view s) {
  if (s == "INDICES") return ArrayFormat::kIndices;
  if (s == "BRACKETS") return ArrayFormat::kBrackets;
  if (s == "REPEAT") return ArrayFormat::kRepeat;
  if (s == "COMMAS") return ArrayFormat::kCommas;
  return Bad("Transform.RequestEncodingOptions.ArrayFormat",
             absl::StrCat("'", ToAbsl(s), "' is not one of BRACKETS, COMMAS, INDICES, REPEAT"));
}

struct Encoding {
  bool url_encoded = false;
  ArrayFormat format = ArrayFormat::kIndices;
};

absl::StatusOr<Encoding> ReadTransform(const json::object& params) {
  Encoding e;
  const json::value* t = params.if_contains("Transform");
  if (t == nullptr || t->is_null()) return e;
  if (!t->is_object()) return Bad("Transform", "must be an object");
  const json::object& o = t->get_object();
  for (const auto& [k, v] : o) {
    if (k != "RequestBodyEncoding" && k != "RequestEncodingOptions") {
      return Bad(absl::StrCat("Transform.", ToAbsl(std::string_view(k))),
                 "is not a field of Transform (RequestBodyEncoding, RequestEncodingOptions)");
    }
  }
  if (const json::value* enc = o.if_contains("RequestBodyEncoding"); enc != nullptr) {
    if (!enc->is_string()) return Bad("Transform.RequestBodyEncoding", "must be a string");
    std::string_view s = enc->get_string();
    if (s == "URL_ENCODED") {
      e.url_encoded = true;
    } else if (s != "NONE") {
      return Bad("Transform.RequestBodyEncoding",
                 absl::StrCat("'", ToAbsl(s), "' is not one of NONE, URL_ENCODED"));
    }
  }
  if (const json::value* opts = o.if_contains("RequestEncodingOptions"); opts != nullptr) {
    if (!opts->is_object()) return Bad("Transform.RequestEncodingOptions", "must be an object");
    if (const json::value* f = opts->get_object().if_contains("ArrayFormat"); f != nullptr) {
      if (!f->is_string()) {
        return Bad("Transform.RequestEncodingOptions.ArrayFormat", "must be a string");
      }
      SW_ASSIGN_OR_RETURN(e.format, ParseArrayFormat(f->get_string()));
    }
  }
  return e;
}

void SetHeader(std::map<std::string, std::string>& headers, std::string_view name,
               std::string value) {
  headers[absl::AsciiStrToLower(ToAbsl(name))] = std::move(value);
}

}  // namespace

bool IsReservedHeader(std::string_view name) {
  std::string n = absl::AsciiStrToLower(ToAbsl(name));
  if (absl::StartsWith(n, "x-forwarded-") || absl::StartsWith(n, "x-amz-") ||
      absl::StartsWith(n, "x-amzn-")) {
    return true;
  }
  static constexpr std::string_view kReserved[] = {
      "a-im", "accept-charset", "accept-datetime", "accept-encoding", "cache-control",
      "connection", "content-encoding", "content-length", "content-md5", "date", "expect",
      "forwarded", "from", "host", "http2-settings", "if-match", "if-modified-since",
      "if-none-match", "if-range", "if-unmodified-since", "max-forwards", "origin", "pragma",
      "proxy-authorization", "referer", "server", "te", "trailer", "transfer-encoding",
      "upgrade", "via", "warning"};
  for (std::string_view r : kReserved) {
    if (n == r) return true;
  }
  return false;
}

std::string UrlEncodeBody(const json::object& body, ArrayFormat format) {
  std::vector<std::string> parts;
  AppendForm("", json::value(body), format, parts);
  return absl::StrJoin(parts, "&");
}

absl::StatusOr<std::string> ConnectionArnOf(const json::value& parameters) {
  if (!parameters.is_object()) return std::string();
  const json::value* auth = parameters.get_object().if_contains("Authentication");
  if (auth == nullptr || auth->is_null()) return std::string();
  if (!auth->is_object()) return Bad("Authentication", "must be an object {ConnectionArn}");
  const json::value* arn = auth->get_object().if_contains("ConnectionArn");
  if (arn == nullptr || arn->is_null()) return Bad("Authentication.ConnectionArn", "is required");
  if (!arn->is_string()) return Bad("Authentication.ConnectionArn", "must be a string");
  return std::string(arn->get_string());
}

absl::StatusOr<net::HttpClientRequest> BuildHttpTaskRequest(const json::value& parameters,
                                                            const Connection* connection,
                                                            std::string_view region) {
  if (!parameters.is_object()) {
    return absl::InvalidArgumentError(
        "the HTTP Task's Parameters must be an object with ApiEndpoint and Method");
  }
  const json::object& p = parameters.get_object();
  net::HttpClientRequest r;

  // ApiEndpoint: an http or https URL.
  const json::value* endpoint = p.if_contains("ApiEndpoint");
  if (endpoint == nullptr || endpoint->is_null()) return Bad("ApiEndpoint", "is required");
  if (!endpoint->is_string()) return Bad("ApiEndpoint", "must be a string");
  absl::StatusOr<net::Url> url = net::ParseUrl(endpoint->get_string());
  if (!url.ok()) return Bad("ApiEndpoint", std::string(url.status().message()));

  // Method.
  const json::value* method = p.if_contains("Method");
  if (method == nullptr || method->is_null()) return Bad("Method", "is required");
  if (!method->is_string()) return Bad("Method", "must be a string");
  r.method = std::string(method->get_string());
  static constexpr std::string_view kMethods[] = {"GET",   "POST",    "PUT", "DELETE",
                                                  "PATCH", "OPTIONS", "HEAD"};
  bool known = false;
  for (std::string_view m : kMethods) known = known || r.method == m;
  if (!known) {
    return Bad("Method", absl::StrCat("'", r.method,
                                      "' is not one of GET, POST, PUT, DELETE, PATCH, OPTIONS, "
                                      "HEAD"));
  }

  // Headers: the Task's, then the connection's (which win).
  std::vector<std::pair<std::string, std::string>> task_headers;
  SW_RETURN_IF_ERROR(ReadPairs(p, "Headers", false, task_headers));
  for (auto& [name, value] : task_headers) {
    std::string field = absl::StrCat("Headers.", name);
    if (!IsHeaderName(name)) return Bad(field, "is not a valid HTTP header name");
    if (IsReservedHeader(name)) return Bad(field, "is a header the HTTP Task does not allow");
    if (!IsHeaderValue(value)) return Bad(field, "contains a control character");
    SetHeader(r.headers, name, std::move(value));
  }

  // Query: the URL's own, then QueryParameters, then the connection's
  // (a key the connection sets replaces the Task's).
  std::vector<std::pair<std::string, std::string>> query;
  SW_RETURN_IF_ERROR(ReadPairs(p, "QueryParameters", true, query));

  SW_ASSIGN_OR_RETURN(Encoding encoding, ReadTransform(p));

  // Body.
  const json::value* body = p.if_contains("RequestBody");
  bool has_body = body != nullptr && !body->is_null();
  json::value merged;
  if (has_body) merged = *body;

  if (connection != nullptr) {
    const ConnectionHttpParameters& inv = connection->invocation;
    for (const ConnectionParameter& h : inv.headers) {
      if (IsReservedHeader(h.key)) {
        return Bad(absl::StrCat("the connection's InvocationHttpParameters header ", h.key),
                   "is a header the HTTP Task does not allow");
      }
      if (!IsHeaderValue(h.value)) {
        return Bad(absl::StrCat("the connection's InvocationHttpParameters header ", h.key),
                   "contains a control character");
      }
      SetHeader(r.headers, h.key, h.value);
    }
    for (const ConnectionParameter& q : inv.query) {
      std::erase_if(query, [&](const auto& kv) { return kv.first == q.key; });
    }
    for (const ConnectionParameter& q : inv.query) query.emplace_back(q.key, q.value);
    bool body_method = r.method != "GET" && r.method != "HEAD";
    if (!inv.body.empty() && body_method) {
      if (has_body && !merged.is_object()) {
        return Bad("RequestBody",
                   "must be an object: the connection's InvocationHttpParameters.BodyParameters "
                   "are merged into it");
      }
      if (!has_body) merged = json::object();
      for (const ConnectionParameter& b : inv.body) merged.get_object()[b.key] = b.value;
      has_body = true;
    }
    switch (connection->type) {
      case AuthorizationType::kBasic:
        r.headers["authorization"] = absl::StrCat(
            "Basic ", absl::Base64Escape(absl::StrCat(connection->username, ":",
                                                      connection->password)));
        break;
      case AuthorizationType::kApiKey:
        SetHeader(r.headers, connection->api_key_name, connection->api_key_value);
        break;
      case AuthorizationType::kOAuthClientCredentials:
        r.headers.erase("authorization");  // the caller adds the bearer token
        break;
    }
  }

  if (has_body) {
    if (encoding.url_encoded) {
      if (merged.is_object()) {
        r.body = UrlEncodeBody(merged.get_object(), encoding.format);
      } else if (merged.is_string()) {
        r.body = std::string(merged.get_string());
      } else {
        return Bad("RequestBody", "must be an object (or a string) with RequestBodyEncoding "
                                  "URL_ENCODED");
      }
      r.headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (merged.is_string()) {
      r.body = std::string(merged.get_string());
      r.headers.emplace("content-type", "text/plain; charset=UTF-8");
    } else {
      r.body = SerializeJson(merged);
      r.headers.emplace("content-type", "application/json; charset=UTF-8");
    }
  }

  std::string target = url->target;
  if (!query.empty()) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : query) parts.push_back(absl::StrCat(Encode(k), "=", Encode(v)));
    absl::StrAppend(&target, target.find('?') == std::string::npos ? "?" : "&",
                    absl::StrJoin(parts, "&"));
  }
  r.url = absl::StrCat(url->Origin(), target);
  r.headers["user-agent"] = absl::StrCat("Amazon|StepFunctions|HttpInvoke|", ToAbsl(region));
  r.headers["range"] = kRange;
  return r;
}

}  // namespace stepwise::integrations::http
