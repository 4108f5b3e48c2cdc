// The SdkHttpMetadata / SdkResponseMetadata members AWS adds to the result
// of an optimized integration (lambda:invoke, states:startExecution, and
// the service integrations to come): the HTTP response's headers, both as
// lists (AllHttpHeaders) and as single values (HttpHeaders), its status
// code and the request id. Pure functions on values: any thread.
#ifndef SW_ENGINE_DISPATCH_SDK_METADATA_H_
#define SW_ENGINE_DISPATCH_SDK_METADATA_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/json.h"

namespace stepwise::engine {

// An HTTP date (RFC 7231), e.g. "Sun, 06 Dec 2026 09:30:00 GMT".
std::string HttpDate(TimeMs now);

// Adds SdkHttpMetadata and SdkResponseMetadata to `result`: `headers` (in
// order) plus x-amzn-RequestId, Content-Length (`content_length`) and Date,
// status `status_code`.
void AddSdkMetadata(json::object& result,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    std::string_view request_id, size_t content_length, TimeMs now,
                    int status_code);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_SDK_METADATA_H_
