// SecretRedactor: the values an HTTP Task must never show (connection
// passwords, API key values, client secrets, IsValueSecret parameters, the
// Basic credentials as sent, OAuth tokens once fetched), and the masking
// of them in text and JSON before a result, an error cause or a log line
// leaves the integration, in case a server echoes one back.
// Threads: thread-safe (Add from the HTTP client's thread while calls
// redact).
#ifndef SW_INTEGRATIONS_HTTP_SECRET_REDACTOR_H_
#define SW_INTEGRATIONS_HTTP_SECRET_REDACTOR_H_

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "integrations/http/connections.h"

namespace stepwise::integrations::http {

class SecretRedactor {
 public:
  // What replaces a secret.
  static constexpr std::string_view kMask = "*****";

  SecretRedactor() = default;
  // The secrets of every connection in `connections`.
  explicit SecretRedactor(const Connections& connections);

  // Adds `secret` (ignored when shorter than 4 characters: masking every
  // "a" would garble text without protecting anything).
  void Add(std::string secret);
  // `text` with every secret masked.
  std::string Redact(std::string text) const;
  // `v` with every secret masked in its strings and keys.
  json::value RedactJson(json::value v) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace stepwise::integrations::http

#endif  // SW_INTEGRATIONS_HTTP_SECRET_REDACTOR_H_
