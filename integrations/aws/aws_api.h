// AwsApi: one AWS API call by service and operation, whatever the service's
// wire protocol (JSON 1.0/1.1, query, REST-XML), signed with SigV4 and sent
// to the service's endpoint (an override, else AWS's own for the region).
// What the integrations build on: aws-sdk:SERVICE:ACTION
// (aws_sdk_integration.h) and the optimized integrations
// (optimized_integrations.h). The implementation is AwsApiClient
// (aws_api_client.h); unit tests of the integrations use fakes.
// Threads: Knows and Call from any thread; `done` runs on the
// implementation's thread and must not block.
#ifndef SW_INTEGRATIONS_AWS_AWS_API_H_
#define SW_INTEGRATIONS_AWS_AWS_API_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"

namespace stepwise::integrations {

struct AwsApiRequest {
  // The service as aws-sdk resources name it: "dynamodb", "s3", "sfn",
  // "secretsmanager", "sqs", "sns", "eventbridge", ...
  std::string service;
  // The API operation as the service model names it: "GetItem",
  // "PutObject", "SendTaskSuccess".
  std::string operation;
  // The operation's input members, by the API's member names.
  json::value parameters;
  std::string region;
  int64_t timeout_ms = 60000;
  // S3 PutObject only: the object's bytes as they are, sent instead of a
  // Body member's JSON text (the Distributed Map's result files).
  std::optional<std::string> body_bytes;
};

struct AwsApiResponse {
  // No HTTP answer (resolve, connect, TLS, timeout, no credentials, a
  // request that could not be built): `transport_error` says why.
  bool transport_failed = false;
  std::string transport_error;

  int status = 0;  // HTTP status
  std::string request_id;
  // The response's headers in the order received (names as sent).
  std::vector<std::pair<std::string, std::string>> headers;
  size_t content_length = 0;

  // 2xx: the operation's output by the API's member names (JSON protocols:
  // the body as parsed; query and REST-XML: converted from XML and headers).
  json::value output;
  // Otherwise: the error's name as the service reports it (e.g.
  // "ConditionalCheckFailedException", "NoSuchKey") and its message.
  std::string error_code;
  std::string error_message;

  // S3 GetObject (2xx): the object's bytes as received (output's Body is
  // them as UTF-8 text); what Distributed Map's paged reads need.
  std::string raw_body;

  bool ok() const { return !transport_failed && status >= 200 && status < 300; }
};

class AwsApi {
 public:
  virtual ~AwsApi() = default;
  // Whether `service` (aws-sdk's name) is one Stepwise can call.
  virtual bool Knows(std::string_view service) const = 0;
  // Makes `request`; `done` runs once, or never after Stop.
  virtual void Call(AwsApiRequest request, std::function<void(AwsApiResponse)> done) = 0;
  virtual void Stop() {}
};

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_API_H_
