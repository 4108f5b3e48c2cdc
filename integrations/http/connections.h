// Connections: what the HTTP Task's Authentication.ConnectionArn names.
// AWS keeps connections in EventBridge; Stepwise reads them from the
// connections file (--connections-file): one JSON object keyed by
// connection ARN whose values are EventBridge CreateConnection request
// bodies (AuthorizationType BASIC | API_KEY | OAUTH_CLIENT_CREDENTIALS and
// AuthParameters). Load validates every field and names the wrong one in
// EventBridge's vocabulary, so a bad file refuses start-up.
// Secret() lists the values that must never be shown (passwords, API key
// values, client secrets, IsValueSecret parameters).
// Threads: a loaded Connections is immutable; any thread may read it.
#ifndef SW_INTEGRATIONS_HTTP_CONNECTIONS_H_
#define SW_INTEGRATIONS_HTTP_CONNECTIONS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::integrations::http {

// One {Key, Value, IsValueSecret} of a ConnectionHttpParameters list.
struct ConnectionParameter {
  std::string key;
  std::string value;
  bool secret = false;
};

// EventBridge's ConnectionHttpParameters.
struct ConnectionHttpParameters {
  std::vector<ConnectionParameter> headers;  // HeaderParameters
  std::vector<ConnectionParameter> query;    // QueryStringParameters
  std::vector<ConnectionParameter> body;     // BodyParameters
};

enum class AuthorizationType { kBasic, kApiKey, kOAuthClientCredentials };

struct OAuthParameters {
  std::string authorization_endpoint;  // an http(s) URL
  std::string http_method;             // GET | POST | PUT
  std::string client_id;
  std::string client_secret;
  ConnectionHttpParameters http;  // OAuthHttpParameters
};

struct Connection {
  std::string arn;
  std::string name;
  AuthorizationType type = AuthorizationType::kBasic;
  std::string username, password;            // BasicAuthParameters
  std::string api_key_name, api_key_value;   // ApiKeyAuthParameters
  OAuthParameters oauth;                     // OAuthParameters
  ConnectionHttpParameters invocation;       // InvocationHttpParameters

  // Every value that must never be shown: Password, ApiKeyValue,
  // ClientSecret and each IsValueSecret parameter's value (non-empty ones).
  std::vector<std::string> Secrets() const;
};

class Connections {
 public:
  // Parses the file's text. kInvalidArgument naming the connection and the
  // field (e.g. `connection arn:...: AuthParameters.BasicAuthParameters.
  // Password is required`).
  static absl::StatusOr<Connections> Parse(std::string_view text);
  // Reads and parses `path`; kInvalidArgument / kNotFound naming the file.
  static absl::StatusOr<Connections> Load(const std::string& path);

  // The connection with this ARN, or null.
  const Connection* Find(std::string_view arn) const;
  size_t size() const { return by_arn_.size(); }
  // The secrets of every connection (Connection::Secrets).
  std::vector<std::string> Secrets() const;

 private:
  std::map<std::string, Connection, std::less<>> by_arn_;
};

}  // namespace stepwise::integrations::http

#endif  // SW_INTEGRATIONS_HTTP_CONNECTIONS_H_
