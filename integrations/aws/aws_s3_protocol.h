// S3's REST-XML protocol for the four calls Step Functions workflows make
// most (GetObject, PutObject, ListObjectsV2, HeadObject; Distributed Map
// reads and writes S3 through them): request members go to the URI,
// headers, query string or body as S3's model binds them
// (service_table.h's S3 members); the output is built from the response's
// headers (x-amz-meta-* into Metadata), its XML (ListObjectsV2) or its body
// as a string (GetObject's Body), members in name order (Body last) as
// Step Functions shows them, timestamps as ISO-8601 (2026-12-06T09:30:00Z);
// errors from the XML error document (<Code>, <Message>), or from the
// status when there is none (HEAD: 404 → NoSuchKey).
// Pure functions: any thread.
#ifndef SW_INTEGRATIONS_AWS_AWS_S3_PROTOCOL_H_
#define SW_INTEGRATIONS_AWS_AWS_S3_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "integrations/aws/aws_api.h"
#include "integrations/aws/aws_endpoints.h"
#include "net/http_client.h"

namespace stepwise::integrations {

// The unsigned request of `operation` with `parameters`. kInvalidArgument
// naming the member when one is missing (Bucket, Key), unknown or of the
// wrong type. PutObject's Body is sent as its JSON text (a string with its
// quotes, as Step Functions writes it), as text/plain unless ContentType
// says otherwise, with the CRC32 checksum AWS's SDK sends. `body_bytes`
// (PutObject only, not with a Body member) is sent as it is.
absl::StatusOr<net::HttpClientRequest> S3Request(const AwsEndpoint& endpoint,
                                                 std::string_view operation,
                                                 const json::value& parameters,
                                                 const std::string* body_bytes = nullptr);

// Fills `out.output` (2xx) or `out.error_code` / `out.error_message`.
void ReadS3Answer(std::string_view operation, const net::HttpClientResponse& answer,
                  AwsApiResponse& out);

// An HTTP date or an S3 XML timestamp as ISO-8601 in UTC, whole seconds
// without a fraction ("2026-12-06T09:30:00Z"); `text` unchanged when it is
// neither.
std::string IsoTimestamp(std::string_view text);

// `bytes` as UTF-8 text, each byte that starts no valid sequence replaced
// by U+FFFD (what Java's UTF-8 decoder gives GetObject's Body).
std::string Utf8Text(std::string_view bytes);

// CRC32 (IEEE) of `data`, as S3's x-amz-checksum-crc32 wants it: base64 of
// the big-endian value.
std::string Crc32Base64(std::string_view data);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_S3_PROTOCOL_H_
