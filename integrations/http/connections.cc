// Connections (connections.h): the connections file, parsed and checked
// field by field against EventBridge's CreateConnection request shape.
#include "integrations/http/connections.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/strings.h"
#include "net/http_client.h"

namespace stepwise::integrations::http {

namespace {

// Builds errors that name the connection and the field path.
class Checker {
 public:
  explicit Checker(std::string arn) : arn_(std::move(arn)) {}

  absl::Status Bad(const std::string& field, const std::string& why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("connection ", arn_, ": ", field, " ", why));
  }

  // The object at `field`, or an error when it is not one.
  absl::StatusOr<const json::object*> Object(const json::value& v, const std::string& field) const {
    if (!v.is_object()) return Bad(field, "must be an object");
    return &v.get_object();
  }

  // Refuses members not in `known` (a typo would otherwise be ignored).
  absl::Status OnlyKnown(const json::object& o, const std::string& field,
                         std::initializer_list<const char*> known) const {
    for (const auto& [k, v] : o) {
      bool found = false;
      for (const char* n : known) found = found || k == n;
      if (!found) {
        return Bad(absl::StrCat(field, field.empty() ? "" : ".", std::string(k)),
                   absl::StrCat("is not a field of this object (expected one of ",
                                absl::StrJoin(known, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  // A required string member of at most `max` characters with no control
  // characters (EventBridge's AuthHeaderParameters pattern).
  absl::StatusOr<std::string> String(const json::object& o, const std::string& parent,
                                     const std::string& name, bool required, size_t max = 512) const {
    std::string field = absl::StrCat(parent, parent.empty() ? "" : ".", name);
    const json::value* v = o.if_contains(name);
    if (v == nullptr || v->is_null()) {
      if (required) return Bad(field, "is required");
      return std::string();
    }
    if (!v->is_string()) return Bad(field, "must be a string");
    std::string s(v->get_string());
    if (required && s.empty()) return Bad(field, "must not be empty");
    if (s.size() > max) return Bad(field, absl::StrCat("is longer than ", max, " characters"));
    for (char ch : s) {
      unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f) return Bad(field, "contains a control character");
    }
    return s;
  }

  const std::string& arn() const { return arn_; }

 private:
  std::string arn_;
};

// RFC 7230 token characters: what a header name may hold.
bool IsHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) return false;
  }
  return true;
}

absl::StatusOr<std::vector<ConnectionParameter>> ParameterList(const Checker& c,
                                                               const json::object& o,
                                                               const std::string& parent,
                                                               const std::string& name,
                                                               bool header) {
  std::vector<ConnectionParameter> out;
  std::string field = absl::StrCat(parent, ".", name);
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return c.Bad(field, "must be a list of {Key, Value, IsValueSecret}");
  if (v->get_array().size() > 100) return c.Bad(field, "has more than 100 items");
  size_t i = 0;
  for (const json::value& item : v->get_array()) {
    std::string at = absl::StrCat(field, "[", i++, "]");
    if (!item.is_object()) return c.Bad(at, "must be an object {Key, Value, IsValueSecret}");
    const json::object& p = item.get_object();
    if (absl::Status s = c.OnlyKnown(p, at, {"Key", "Value", "IsValueSecret"}); !s.ok()) return s;
    ConnectionParameter param;
    auto key = c.String(p, at, "Key", true);
    if (!key.ok()) return key.status();
    auto value = c.String(p, at, "Value", false);
    if (!value.ok()) return value.status();
    param.key = *std::move(key);
    param.value = *std::move(value);
    if (header && !IsHeaderName(param.key)) {
      return c.Bad(absl::StrCat(at, ".Key"), "is not a valid HTTP header name");
    }
    if (const json::value* s = p.if_contains("IsValueSecret"); s != nullptr && !s->is_null()) {
      if (!s->is_bool()) return c.Bad(absl::StrCat(at, ".IsValueSecret"), "must be a boolean");
      param.secret = s->get_bool();
    }
    out.push_back(std::move(param));
  }
  return out;
}

absl::StatusOr<ConnectionHttpParameters> HttpParameters(const Checker& c, const json::object& o,
                                                        const std::string& parent,
                                                        const std::string& name) {
  ConnectionHttpParameters out;
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return out;
  std::string field = absl::StrCat(parent, ".", name);
  auto obj = c.Object(*v, field);
  if (!obj.ok()) return obj.status();
  if (absl::Status s = c.OnlyKnown(**obj, field,
                                   {"HeaderParameters", "QueryStringParameters", "BodyParameters"});
      !s.ok()) {
    return s;
  }
  auto headers = ParameterList(c, **obj, field, "HeaderParameters", true);
  if (!headers.ok()) return headers.status();
  auto query = ParameterList(c, **obj, field, "QueryStringParameters", false);
  if (!query.ok()) return query.status();
  auto body = ParameterList(c, **obj, field, "BodyParameters", false);
  if (!body.ok()) return body.status();
  out.headers = *std::move(headers);
  out.query = *std::move(query);
  out.body = *std::move(body);
  return out;
}

// arn:aws[-partition]:events:REGION:ACCOUNT:connection/NAME[/ID]
bool LooksLikeConnectionArn(std::string_view arn) {
  if (arn.substr(0, 7) != "arn:aws") return false;
  size_t events = arn.find(":events:");
  size_t connection = arn.find(":connection/");
  return events != std::string_view::npos && connection != std::string_view::npos &&
         events < connection && arn.size() > connection + 12;
}

absl::StatusOr<Connection> ParseConnection(const std::string& arn, const json::value& body) {
  Checker c(arn);
  if (!LooksLikeConnectionArn(arn)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connection key '", arn,
        "' is not a connection ARN (arn:aws:events:REGION:ACCOUNT:connection/NAME/ID)"));
  }
  auto top = c.Object(body, "(the CreateConnection request body)");
  if (!top.ok()) return top.status();
  const json::object& o = **top;
  if (absl::Status s = c.OnlyKnown(o, "",
                                   {"Name", "Description", "AuthorizationType", "AuthParameters",
                                    "InvocationConnectivityParameters", "KmsKeyIdentifier"});
      !s.ok()) {
    return s;
  }
  Connection conn;
  conn.arn = arn;
  auto name = c.String(o, "", "Name", false, 64);
  if (!name.ok()) return name.status();
  conn.name = *std::move(name);
  auto type = c.String(o, "", "AuthorizationType", true);
  if (!type.ok()) return type.status();
  std::string want;
  if (*type == "BASIC") {
    conn.type = AuthorizationType::kBasic;
    want = "BasicAuthParameters";
  } else if (*type == "API_KEY") {
    conn.type = AuthorizationType::kApiKey;
    want = "ApiKeyAuthParameters";
  } else if (*type == "OAUTH_CLIENT_CREDENTIALS") {
    conn.type = AuthorizationType::kOAuthClientCredentials;
    want = "OAuthParameters";
  } else {
    return c.Bad("AuthorizationType",
                 absl::StrCat("'", *type,
                              "' is not one of BASIC, API_KEY, OAUTH_CLIENT_CREDENTIALS"));
  }
  const json::value* ap = o.if_contains("AuthParameters");
  if (ap == nullptr || ap->is_null()) return c.Bad("AuthParameters", "is required");
  auto auth = c.Object(*ap, "AuthParameters");
  if (!auth.ok()) return auth.status();
  const json::object& a = **auth;
  if (absl::Status s = c.OnlyKnown(a, "AuthParameters",
                                   {"BasicAuthParameters", "OAuthParameters",
                                    "ApiKeyAuthParameters", "InvocationHttpParameters",
                                    "ConnectivityParameters"});
      !s.ok()) {
    return s;
  }
  // Only the parameters of the AuthorizationType, as EventBridge requires.
  for (std::string other : {"BasicAuthParameters", "ApiKeyAuthParameters", "OAuthParameters"}) {
    if (other != want && a.contains(other)) {
      return c.Bad(absl::StrCat("AuthParameters.", other),
                   absl::StrCat("is not allowed with AuthorizationType ", *type));
    }
  }
  const json::value* params = a.if_contains(want);
  std::string field = absl::StrCat("AuthParameters.", want);
  if (params == nullptr || params->is_null()) {
    return c.Bad(field, absl::StrCat("is required with AuthorizationType ", *type));
  }
  auto p = c.Object(*params, field);
  if (!p.ok()) return p.status();
  switch (conn.type) {
    case AuthorizationType::kBasic: {
      if (absl::Status s = c.OnlyKnown(**p, field, {"Username", "Password"}); !s.ok()) return s;
      auto user = c.String(**p, field, "Username", true);
      if (!user.ok()) return user.status();
      if (user->find(':') != std::string::npos) {
        return c.Bad(absl::StrCat(field, ".Username"), "must not contain ':'");
      }
      auto password = c.String(**p, field, "Password", true);
      if (!password.ok()) return password.status();
      conn.username = *std::move(user);
      conn.password = *std::move(password);
      break;
    }
    case AuthorizationType::kApiKey: {
      if (absl::Status s = c.OnlyKnown(**p, field, {"ApiKeyName", "ApiKeyValue"}); !s.ok()) {
        return s;
      }
      auto key_name = c.String(**p, field, "ApiKeyName", true);
      if (!key_name.ok()) return key_name.status();
      if (!IsHeaderName(*key_name)) {
        return c.Bad(absl::StrCat(field, ".ApiKeyName"), "is not a valid HTTP header name");
      }
      auto key_value = c.String(**p, field, "ApiKeyValue", true);
      if (!key_value.ok()) return key_value.status();
      conn.api_key_name = *std::move(key_name);
      conn.api_key_value = *std::move(key_value);
      break;
    }
    case AuthorizationType::kOAuthClientCredentials: {
      if (absl::Status s = c.OnlyKnown(**p, field,
                                       {"ClientParameters", "AuthorizationEndpoint", "HttpMethod",
                                        "OAuthHttpParameters"});
          !s.ok()) {
        return s;
      }
      std::string client_field = absl::StrCat(field, ".ClientParameters");
      const json::value* cp = (*p)->if_contains("ClientParameters");
      if (cp == nullptr || cp->is_null()) return c.Bad(client_field, "is required");
      auto client = c.Object(*cp, client_field);
      if (!client.ok()) return client.status();
      if (absl::Status s = c.OnlyKnown(**client, client_field, {"ClientID", "ClientSecret"});
          !s.ok()) {
        return s;
      }
      auto id = c.String(**client, client_field, "ClientID", true);
      if (!id.ok()) return id.status();
      if (id->find(':') != std::string::npos) {
        return c.Bad(absl::StrCat(client_field, ".ClientID"), "must not contain ':'");
      }
      auto secret = c.String(**client, client_field, "ClientSecret", true);
      if (!secret.ok()) return secret.status();
      auto endpoint = c.String(**p, field, "AuthorizationEndpoint", true, 2048);
      if (!endpoint.ok()) return endpoint.status();
      if (absl::StatusOr<net::Url> u = net::ParseUrl(*endpoint); !u.ok()) {
        return c.Bad(absl::StrCat(field, ".AuthorizationEndpoint"), std::string(u.status().message()));
      }
      auto method = c.String(**p, field, "HttpMethod", true);
      if (!method.ok()) return method.status();
      if (*method != "GET" && *method != "POST" && *method != "PUT") {
        return c.Bad(absl::StrCat(field, ".HttpMethod"),
                     absl::StrCat("'", *method, "' is not one of GET, POST, PUT"));
      }
      auto http = HttpParameters(c, **p, field, "OAuthHttpParameters");
      if (!http.ok()) return http.status();
      conn.oauth.client_id = *std::move(id);
      conn.oauth.client_secret = *std::move(secret);
      conn.oauth.authorization_endpoint = *std::move(endpoint);
      conn.oauth.http_method = *std::move(method);
      conn.oauth.http = *std::move(http);
      break;
    }
  }
  auto invocation = HttpParameters(c, a, "AuthParameters", "InvocationHttpParameters");
  if (!invocation.ok()) return invocation.status();
  conn.invocation = *std::move(invocation);
  return conn;
}

void AddSecrets(const ConnectionHttpParameters& p, std::vector<std::string>& out) {
  for (const auto* list : {&p.headers, &p.query, &p.body}) {
    for (const ConnectionParameter& param : *list) {
      if (param.secret && !param.value.empty()) out.push_back(param.value);
    }
  }
}

}  // namespace

std::vector<std::string> Connection::Secrets() const {
  std::vector<std::string> out;
  for (const std::string* s : {&password, &api_key_value, &oauth.client_secret}) {
    if (!s->empty()) out.push_back(*s);
  }
  // As they travel: the Basic credentials in the Authorization header.
  if (type == AuthorizationType::kBasic) {
    out.push_back(absl::Base64Escape(absl::StrCat(username, ":", password)));
  }
  if (type == AuthorizationType::kOAuthClientCredentials) {
    out.push_back(absl::Base64Escape(absl::StrCat(oauth.client_id, ":", oauth.client_secret)));
  }
  AddSecrets(invocation, out);
  AddSecrets(oauth.http, out);
  return out;
}

absl::StatusOr<Connections> Connections::Parse(std::string_view text) {
  absl::StatusOr<json::value> doc = ParseJson(ToAbsl(text));
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the connections file is not JSON: ", doc.status().message()));
  }
  if (!doc->is_object()) {
    return absl::InvalidArgumentError(
        "the connections file must be a JSON object keyed by connection ARN whose values are "
        "EventBridge CreateConnection request bodies");
  }
  Connections out;
  for (const auto& [key, body] : doc->get_object()) {
    absl::StatusOr<Connection> conn = ParseConnection(std::string(key), body);
    if (!conn.ok()) return conn.status();
    out.by_arn_.emplace(conn->arn, *std::move(conn));
  }
  return out;
}

absl::StatusOr<Connections> Connections::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read connections file ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Connections> c = Parse(text.str());
  if (!c.ok()) {
    return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
  }
  return c;
}

const Connection* Connections::Find(std::string_view arn) const {
  auto it = by_arn_.find(arn);
  return it == by_arn_.end() ? nullptr : &it->second;
}

std::vector<std::string> Connections::Secrets() const {
  std::vector<std::string> out;
  for (const auto& [arn, conn] : by_arn_) {
    std::vector<std::string> s = conn.Secrets();
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

}  // namespace stepwise::integrations::http
