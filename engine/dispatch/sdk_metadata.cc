// SdkHttpMetadata and SdkResponseMetadata (sdk_metadata.h). Pure.
#include "engine/dispatch/sdk_metadata.h"

#include <time.h>

namespace stepwise::engine {

std::string HttpDate(TimeMs now) {
  time_t secs = static_cast<time_t>(now / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

void AddSdkMetadata(json::object& result,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    std::string_view request_id, size_t content_length, TimeMs now,
                    int status_code) {
  json::object all;
  json::object one;
  auto header = [&](const std::string& name, const std::string& value) {
    json::array a;
    a.emplace_back(json::string(value));
    all[name] = std::move(a);
    one[name] = json::string(value);
  };
  for (const auto& [name, value] : headers) header(name, value);
  header("x-amzn-RequestId", std::string(request_id));
  header("Content-Length", std::to_string(content_length));
  header("Date", HttpDate(now));
  json::object http;
  http["AllHttpHeaders"] = std::move(all);
  http["HttpHeaders"] = std::move(one);
  http["HttpStatusCode"] = status_code;
  json::object meta;
  meta["RequestId"] = json::string(request_id);
  result["SdkHttpMetadata"] = std::move(http);
  result["SdkResponseMetadata"] = std::move(meta);
}

}  // namespace stepwise::engine
