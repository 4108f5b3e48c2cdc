// The AWS JSON 1.0/1.1 protocol (DynamoDB, SQS, Step Functions, Secrets
// Manager, ...): `POST /` with X-Amz-Target PREFIX.Operation and
// Content-Type application/x-amz-json-1.x, the input members as the JSON
// body; the output is the JSON body; an error's name comes from the
// x-amzn-ErrorType header or the body's __type / code (namespace and URL
// suffix dropped), its message from message / Message.
// Pure functions: any thread.
#ifndef SW_INTEGRATIONS_AWS_AWS_JSON_PROTOCOL_H_
#define SW_INTEGRATIONS_AWS_AWS_JSON_PROTOCOL_H_

#include <string_view>

#include "common/json.h"
#include "integrations/aws/aws_api.h"
#include "integrations/aws/aws_endpoints.h"
#include "integrations/aws/service_table.h"
#include "net/http_client.h"

namespace stepwise::integrations {

// The unsigned request of `operation` with `parameters` (an object; null
// sends {}).
net::HttpClientRequest JsonProtocolRequest(const AwsServiceInfo& service,
                                           const AwsEndpoint& endpoint,
                                           std::string_view operation,
                                           const json::value& parameters);

// Fills `out.output` (2xx) or `out.error_code` / `out.error_message` from
// `answer`; a 2xx body that is not JSON makes a transport failure (the
// SDK's "Unable to unmarshall response").
void ReadJsonProtocolAnswer(const net::HttpClientResponse& answer, AwsApiResponse& out);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_JSON_PROTOCOL_H_
