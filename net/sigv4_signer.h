// Signs outbound requests with AWS Signature Version 4 (header form):
// adds X-Amz-Date, X-Amz-Security-Token (temporary credentials),
// X-Amz-Content-Sha256 when asked (S3 wants it) and Authorization, over
// every header the request carries (Host included). The building blocks
// are net/sigv4.h's, the same the server verifies with. Pure: any thread.
#ifndef SW_NET_SIGV4_SIGNER_H_
#define SW_NET_SIGV4_SIGNER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "net/aws_credentials.h"
#include "net/http_client.h"

namespace stepwise::net {

struct SigV4Scope {
  std::string region;   // e.g. us-east-1
  std::string service;  // e.g. lambda
};

struct SignOptions {
  bool content_sha256_header = false;  // add x-amz-content-sha256 (S3)
  // S3: the canonical URI is the path as sent (already URI-encoded), not
  // encoded a second time as other services want.
  bool path_as_sent = false;
};

// Signs `request` in place at `unix_seconds` for `scope`. kInvalidArgument
// when its URL is not valid. Header names in `request` are lower-case.
absl::Status SignSigV4(HttpClientRequest& request, const AwsCredentials& credentials,
                       const SigV4Scope& scope, int64_t unix_seconds,
                       SignOptions options = {});

}  // namespace stepwise::net

#endif  // SW_NET_SIGV4_SIGNER_H_
