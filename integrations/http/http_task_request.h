// The HTTP request an HTTP Task (arn:aws:states:::http:invoke) makes, built
// from the Task's effective parameters (ApiEndpoint, Method, Headers,
// QueryParameters, RequestBody, Transform, Authentication.ConnectionArn)
// and its connection, merged as AWS documents ("Merging EventBridge
// connection and HTTP Task definition data": the connection's
// InvocationHttpParameters win over the Task's headers, query and body
// keys; its authorization header wins over any the Task sets). An OAuth
// connection's bearer token is added by the caller. Bad parameters come
// back as kInvalidArgument naming the field (the Task fails with
// States.Runtime). Pure functions: any thread.
#ifndef SW_INTEGRATIONS_HTTP_HTTP_TASK_REQUEST_H_
#define SW_INTEGRATIONS_HTTP_HTTP_TASK_REQUEST_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "integrations/http/connections.h"
#include "net/http_client.h"

namespace stepwise::integrations::http {

// RequestEncodingOptions.ArrayFormat: how URL_ENCODED writes arrays.
enum class ArrayFormat {
  kIndices,   // a[0]=x&a[1]=y (the default)
  kBrackets,  // a[]=x&a[]=y
  kRepeat,    // a=x&a=y
  kCommas,    // a=x,y
};

// The connection ARN `parameters` name (Authentication.ConnectionArn), ""
// when none. kInvalidArgument when Authentication is not an object or the
// ARN not a string.
absl::StatusOr<std::string> ConnectionArnOf(const json::value& parameters);

// The request; `connection` is null when the Task names none. Headers are
// lower-case. `region` goes into the User-Agent AWS sends.
absl::StatusOr<net::HttpClientRequest> BuildHttpTaskRequest(const json::value& parameters,
                                                            const Connection* connection,
                                                            std::string_view region);

// `body` as application/x-www-form-urlencoded, nested objects as a[b]=c
// and arrays in `format`, keys and values percent-encoded (RFC 3986).
std::string UrlEncodeBody(const json::object& body, ArrayFormat format);

// Whether the HTTP Task refuses `name` (any case) in Headers: the
// hop-by-hop, caching, conditional and proxy headers AWS lists, and
// x-forwarded-*, x-amz-*, x-amzn-*.
bool IsReservedHeader(std::string_view name);

}  // namespace stepwise::integrations::http

#endif  // SW_INTEGRATIONS_HTTP_HTTP_TASK_REQUEST_H_
