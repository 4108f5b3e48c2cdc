// SigV4 building blocks shared by the signer of outbound requests
// (net/sigv4_signer.h) and the verifier of inbound ones (server/sigv4.h):
// SHA-256 and HMAC, RFC 3986 encoding, the canonical request, the string
// to sign and the signature (AWS Signature Version 4, checked against AWS's
// published test vectors in server/sigv4_test.cc and net/net_test.cc).
// Pure functions over OpenSSL; any thread.
#ifndef SW_NET_SIGV4_H_
#define SW_NET_SIGV4_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace stepwise::net {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw HMAC-SHA256 of `data` with `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
// RFC 3986 encoding of everything but unreserved characters (and `/` when
// `keep_slash`), upper-case hex as SigV4 wants.
std::string UriEncode(std::string_view s, bool keep_slash);
// Percent-decoding (malformed escapes stay as they are).
std::string UriDecode(std::string_view s);
// A header value as canonical headers want it: trimmed, runs of spaces
// collapsed to one.
std::string CanonicalHeaderValue(std::string_view v);

// The canonical request of `method` `target` (path and query as sent),
// with the `signed_headers` (lower-case names, sorted) taken from
// `headers` (lower-case names), ending in `payload_hash`. The path is
// URI-encoded once more unless `encode_path` is false (S3 signs the path
// as sent, already encoded).
std::string SigV4CanonicalRequest(std::string_view method, std::string_view target,
                                  const std::map<std::string, std::string>& headers,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash, bool encode_path = true);

// The string to sign for `amz_date` (YYYYMMDD'T'HHMMSS'Z'), `scope`
// (date/region/service/aws4_request) and the canonical request.
std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request);

// The lower-case hex signature of `string_to_sign` with the key derived
// from `secret` and the scope parts.
std::string SigV4Signature(std::string_view secret, std::string_view date,
                           std::string_view region, std::string_view service,
                           std::string_view string_to_sign);

// Unix seconds as YYYYMMDD'T'HHMMSS'Z', and back (false when malformed).
std::string FormatAmzDate(int64_t unix_seconds);
bool ParseAmzDate(std::string_view s, int64_t* unix_seconds);

}  // namespace stepwise::net

#endif  // SW_NET_SIGV4_H_
