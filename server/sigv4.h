// SigV4: verification of AWS Signature Version 4 (`Authorization:
// AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`) on
// requests to the AWS JSON endpoint, over the building blocks in
// net/sigv4.h (canonical request, string to sign, signature; re-exported
// here for tests against AWS's published vectors). Also the endpoint's
// bearer-token check. Used by AwsJsonApi and server/main.cc (/metrics).
// Pure functions; thread-safe.
#ifndef SW_SERVER_SIGV4_H_
#define SW_SERVER_SIGV4_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/sigv4.h"
#include "server/http_server.h"

namespace stepwise::server {

// The parts of an `AWS4-HMAC-SHA256` Authorization header.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;     // YYYYMMDD of the credential scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;                    // lower-case hex
  std::string scope() const;                // date/region/service/aws4_request
};

// Parses an Authorization header value. IncompleteSignatureException (an
// engine service error) naming what is missing when it is malformed.
absl::StatusOr<SigV4Authorization> ParseSigV4Authorization(std::string_view header);

using net::Sha256Hex;
using net::SigV4Signature;
using net::SigV4StringToSign;

// Returns SigV4's canonical request for `request` (path, query, the
// `signed_headers` with trimmed values) ending in `payload_hash`.
std::string SigV4CanonicalRequest(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash);

// Verifies the SigV4 signature of `request` against `secrets` (access key
// id → secret access key) at `now_unix_seconds` (±15 minutes allowed), for
// `service` in any region; the payload hash is the SHA-256 of the body.
// Returns OK or an engine service error with AWS's name and message:
// MissingAuthenticationTokenException (no Authorization header),
// IncompleteSignatureException (malformed header, missing X-Amz-Date or a
// signed header), UnrecognizedClientException (unknown key id),
// InvalidSignatureException (mismatch, wrong service, expired).
absl::Status VerifySigV4(const HttpRequest& request,
                         const std::map<std::string, std::string>& secrets,
                         std::string_view service, int64_t now_unix_seconds);

// True when `request` carries `Authorization: Bearer <t>` for one of
// `tokens` (compared in constant time).
bool HasBearerToken(const HttpRequest& request, const std::vector<std::string>& tokens);

}  // namespace stepwise::server

#endif  // SW_SERVER_SIGV4_H_
