// The HTTP Task's arguments as the Validator checks them at create time
// (arn:aws:states:::http:invoke): ApiEndpoint and Method required and
// valid, Authentication.ConnectionArn an EventBridge connection ARN,
// Headers and QueryParameters objects, Transform's encodings known. Values
// given by a path ("X.$") or a JSONata expression are judged at run time.
// Internal to the validator (see validator_internal.h); pure and
// thread-safe.
//
// AWS's words: a missing field "The field 'X' is required but was missing"
// (as for Credentials.RoleArn), a bad value "The value for the 'X' field is
// not valid" at the Parameters (or Arguments) object, as CreateStateMachine
// answered for an HTTP Task's ApiEndpoint ("SCHEMA_VALIDATION_FAILED: The
// value for the 'ApiEndpoint' field is not valid at /States/<name>/
// Parameters"). AWS requires Authentication; Stepwise can call an endpoint
// without a connection, so its absence is a WARNING.
#include <array>
#include <string>
#include <string_view>

#include "asl/validator_internal.h"

namespace stepwise::asl::validator_internal {

namespace {

inline constexpr std::string_view kNoConnection = "HTTP_TASK_WITHOUT_CONNECTION";

// How an argument is given.
enum class Given { kMissing, kDynamic, kLiteral };

// Finds `name` in `args`: a literal (`*literal` set), a path or intrinsic
// ("name.$", JSONPath) or a "{% %}" expression (JSONata), or missing.
Given Find(const json::object& args, std::string_view name, Lang lang,
           const json::value** literal) {
  if (lang == Lang::kJsonPath && args.contains(Cat(name, ".$"))) return Given::kDynamic;
  const json::value* v = args.if_contains(name);
  if (v == nullptr) return Given::kMissing;
  if (lang == Lang::kJsonata && IsJsonataExpression(*v)) return Given::kDynamic;
  *literal = v;
  return Given::kLiteral;
}

bool IsAsciiSpaceOrControl(char c) {
  return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
}

// An http or https URL with a host. (AWS takes only https; Stepwise also
// calls plain http, e.g. a server on loopback.)
bool IsEndpointUrl(std::string_view url) {
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else {
    return false;
  }
  for (char c : url) {
    if (IsAsciiSpaceOrControl(c)) return false;
  }
  size_t host_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, host_end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  return !authority.empty() && authority[0] != ':';
}

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsLower(c) || IsDigit(c) || (c >= 'A' && c <= 'Z'); }

// EventBridge's pattern for connection ARNs:
// ^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection/
// [\.\-_A-Za-z0-9]+/[\-A-Za-z0-9]+$
bool IsConnectionArn(std::string_view arn) {
  if (arn.substr(0, 7) != "arn:aws") return false;
  size_t i = 7;
  while (i < arn.size() && (IsLower(arn[i]) || arn[i] == '-')) ++i;
  if (arn.substr(i, 8) != ":events:") return false;
  i += 8;
  while (i < arn.size() && (IsLower(arn[i]) || IsDigit(arn[i]) || arn[i] == '-')) ++i;
  if (i >= arn.size() || arn[i] != ':') return false;
  ++i;
  size_t account = i;
  while (i < arn.size() && IsDigit(arn[i])) ++i;
  if (i - account != 0 && i - account != 12) return false;
  if (arn.substr(i, 12) != ":connection/") return false;
  i += 12;
  size_t name = i;
  while (i < arn.size() && (IsAlnum(arn[i]) || arn[i] == '.' || arn[i] == '-' || arn[i] == '_')) {
    ++i;
  }
  if (i == name || i >= arn.size() || arn[i] != '/') return false;
  ++i;
  size_t id = i;
  while (i < arn.size() && (IsAlnum(arn[i]) || arn[i] == '-')) ++i;
  return i > id && i == arn.size();
}

template <size_t N>
bool IsOneOf(const json::value& v, const std::array<std::string_view, N>& allowed) {
  const json::string* s = v.if_string();
  if (s == nullptr) return false;
  for (std::string_view a : allowed) {
    if (Sv(*s) == a) return true;
  }
  return false;
}

}  // namespace

void Validator::CheckHttpTask(const json::object& st, const std::string& loc, Lang lang) {
  std::string_view field = lang == Lang::kJsonata ? "Arguments" : "Parameters";
  const json::value* args_value = st.if_contains(field);
  if (args_value == nullptr) {
    Error(kSchema, Cat("The field '", field, "' is required but was missing"), loc);
    return;
  }
  // A whole-object JSONata expression, or a shape other rules report.
  const json::object* args = args_value->if_object();
  if (args == nullptr) return;
  const std::string at = Join(loc, field);
  auto not_valid = [&](std::string_view name) {
    Error(kSchema, Cat("The value for the '", name, "' field is not valid"), at);
  };
  auto required = [&](std::string_view name, const std::string& where) {
    Error(kSchema, Cat("The field '", name, "' is required but was missing"), where);
  };

  const json::value* v = nullptr;
  switch (Find(*args, "ApiEndpoint", lang, &v)) {
    case Given::kMissing:
      required("ApiEndpoint", at);
      break;
    case Given::kLiteral:
      if (!v->is_string() || !IsEndpointUrl(Sv(v->get_string()))) not_valid("ApiEndpoint");
      break;
    case Given::kDynamic:
      break;
  }

  static constexpr std::array<std::string_view, 7> kMethods = {
      "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
  switch (Find(*args, "Method", lang, &v)) {
    case Given::kMissing:
      required("Method", at);
      break;
    case Given::kLiteral:
      if (!IsOneOf(*v, kMethods)) not_valid("Method");
      break;
    case Given::kDynamic:
      break;
  }

  switch (Find(*args, "Authentication", lang, &v)) {
    case Given::kMissing:
      Warning(kNoConnection,
              "AWS requires Authentication.ConnectionArn in an HTTP Task; Stepwise calls "
              "ApiEndpoint without a connection's credentials",
              at);
      break;
    case Given::kLiteral: {
      const json::object* auth = v->if_object();
      if (auth == nullptr) {
        not_valid("Authentication");
        break;
      }
      const json::value* arn = nullptr;
      Given g = Find(*auth, "ConnectionArn", lang, &arn);
      if (g == Given::kMissing) {
        required("ConnectionArn", Join(at, "Authentication"));
      } else if (g == Given::kLiteral &&
                 (!arn->is_string() || !IsConnectionArn(Sv(arn->get_string())))) {
        not_valid("ConnectionArn");
      }
      break;
    }
    case Given::kDynamic:
      break;
  }

  for (std::string_view name : {"Headers", "QueryParameters"}) {
    if (Find(*args, name, lang, &v) == Given::kLiteral && !v->is_object() && !v->is_null()) {
      not_valid(name);
    }
  }

  if (Find(*args, "Transform", lang, &v) == Given::kLiteral) {
    const json::object* transform = v->if_object();
    if (transform == nullptr) {
      not_valid("Transform");
      return;
    }
    static constexpr std::array<std::string_view, 2> kEncodings = {"NONE", "URL_ENCODED"};
    if (Find(*transform, "RequestBodyEncoding", lang, &v) == Given::kLiteral &&
        !IsOneOf(*v, kEncodings)) {
      not_valid("RequestBodyEncoding");
    }
    if (Find(*transform, "RequestEncodingOptions", lang, &v) == Given::kLiteral) {
      const json::object* options = v->if_object();
      static constexpr std::array<std::string_view, 4> kArrayFormats = {"BRACKETS", "COMMAS",
                                                                        "INDICES", "REPEAT"};
      if (options == nullptr) {
        not_valid("RequestEncodingOptions");
      } else if (Find(*options, "ArrayFormat", lang, &v) == Given::kLiteral &&
                 !IsOneOf(*v, kArrayFormats)) {
        not_valid("ArrayFormat");
      }
    }
  }
}

}  // namespace stepwise::asl::validator_internal
