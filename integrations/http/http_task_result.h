// What an HTTP Task's call comes to, in AWS's shapes: the result the state
// sees ({Headers, ResponseBody, StatusCode, StatusText}; ResponseBody parsed
// when the response is JSON, else the text), or the failure by AWS's
// names: States.Http.StatusCode.NNN for a non-2xx answer (the cause is the
// same result object as JSON, so a Catch can read the status and body),
// States.Http.Socket when no answer came (connection, TLS or protocol
// failure, or AWS's 60 s limit), States.DataLimitExceeded for a response
// over AWS's 256 KiB. Everything passes through the SecretRedactor.
// Pure functions: any thread.
#ifndef SW_INTEGRATIONS_HTTP_HTTP_TASK_RESULT_H_
#define SW_INTEGRATIONS_HTTP_HTTP_TASK_RESULT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "common/json.h"
#include "engine/interpreter.h"
#include "integrations/http/secret_redactor.h"
#include "net/http_client.h"

namespace stepwise::integrations::http {

// AWS's limits on one HTTP Task call.
inline constexpr size_t kMaxHttpTaskResponseBytes = 262144;
inline constexpr int64_t kHttpTaskTimeoutMs = 60 * 1000;

// {Headers: {name: [value]}, ResponseBody, StatusCode, StatusText}.
json::object HttpTaskResultOf(const net::HttpClientResponse& response);

// The outcome of an answered call: kSucceeded with the result for 2xx,
// else States.Http.StatusCode.NNN.
engine::TaskResult OutcomeOfResponse(const net::HttpClientResponse& response,
                                     const SecretRedactor& redactor);

// The outcome of a call that got no answer (`why` from net::HttpClient:
// kDeadlineExceeded, kUnavailable, kResourceExhausted, kInvalidArgument).
engine::TaskResult OutcomeOfFailure(const absl::Status& why, const SecretRedactor& redactor);

}  // namespace stepwise::integrations::http

#endif  // SW_INTEGRATIONS_HTTP_HTTP_TASK_RESULT_H_
