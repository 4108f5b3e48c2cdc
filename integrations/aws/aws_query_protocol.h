// The AWS query protocol as SNS speaks it (Publish): `POST /` with a form
// body Action=OPERATION&Version=API_VERSION and the input members
// flattened (scalars as Name=value; lists as Name.member.N; maps, such as
// MessageAttributes, as Name.entry.N.Name / Name.entry.N.Value.MEMBER);
// the output is the <OPERATIONResult> element's members, the error the
// <Error><Code>/<Message> of the <ErrorResponse>.
// Pure functions: any thread.
#ifndef SW_INTEGRATIONS_AWS_AWS_QUERY_PROTOCOL_H_
#define SW_INTEGRATIONS_AWS_AWS_QUERY_PROTOCOL_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "integrations/aws/aws_api.h"
#include "integrations/aws/aws_endpoints.h"
#include "integrations/aws/service_table.h"
#include "net/http_client.h"

namespace stepwise::integrations {

// The unsigned request. kInvalidArgument naming the member when the
// parameters are not an object or a member cannot be flattened. A
// non-string Message is sent as its JSON text.
absl::StatusOr<net::HttpClientRequest> QueryProtocolRequest(const AwsServiceInfo& service,
                                                            const AwsEndpoint& endpoint,
                                                            std::string_view operation,
                                                            const json::value& parameters);

// Fills `out.output` (2xx), or `out.error_code` / `out.error_message`, and
// `out.request_id` when the document carries it.
void ReadQueryProtocolAnswer(std::string_view operation, const net::HttpClientResponse& answer,
                             AwsApiResponse& out);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_QUERY_PROTOCOL_H_
