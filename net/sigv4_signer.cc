// SignSigV4 (sigv4_signer.h).
#include "net/sigv4_signer.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "net/sigv4.h"

namespace stepwise::net {

absl::Status SignSigV4(HttpClientRequest& request, const AwsCredentials& credentials,
                       const SigV4Scope& scope, int64_t unix_seconds, SignOptions options) {
  absl::StatusOr<Url> url = ParseUrl(request.url);
  if (!url.ok()) return url.status();
  std::string amz_date = FormatAmzDate(unix_seconds);
  std::string payload_hash = Sha256Hex(request.body);
  request.headers.erase("authorization");
  if (request.headers.count("host") == 0) request.headers["host"] = url->HostHeader();
  request.headers["x-amz-date"] = amz_date;
  if (!credentials.session_token.empty()) {
    request.headers["x-amz-security-token"] = credentials.session_token;
  } else {
    request.headers.erase("x-amz-security-token");
  }
  if (options.content_sha256_header) request.headers["x-amz-content-sha256"] = payload_hash;
  // Every header is signed but those proxies and agents may rewrite.
  std::vector<std::string> signed_headers;
  for (const auto& [name, value] : request.headers) {
    (void)value;
    if (name == "user-agent" || name == "expect" || name == "x-amzn-trace-id") continue;
    signed_headers.push_back(name);  // the map keeps them sorted
  }
  std::string date = amz_date.substr(0, 8);
  std::string credential_scope =
      absl::StrCat(date, "/", scope.region, "/", scope.service, "/aws4_request");
  std::string canonical = SigV4CanonicalRequest(request.method, url->target, request.headers,
                                                signed_headers, payload_hash, !options.path_as_sent);
  std::string signature =
      SigV4Signature(credentials.secret_access_key, date, scope.region, scope.service,
                     SigV4StringToSign(amz_date, credential_scope, canonical));
  std::string header_list;
  for (const std::string& h : signed_headers) {
    if (!header_list.empty()) header_list += ';';
    header_list += h;
  }
  request.headers["authorization"] =
      absl::StrCat(ToAbsl(kSigV4Algorithm), " Credential=", credentials.access_key_id, "/",
                   credential_scope, ", SignedHeaders=", header_list, ", Signature=", signature);
  return absl::OkStatus();
}

}  // namespace stepwise::net
