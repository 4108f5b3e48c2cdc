// AwsEndpoints (aws_endpoints.h).
#include "integrations/aws/aws_endpoints.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "net/sigv4.h"

namespace stepwise::integrations {

namespace {

std::string WithoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Virtual-hosted addressing needs a bucket name that is a DNS label.
bool DnsCompatible(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

}  // namespace

AwsEndpoints::AwsEndpoints(std::map<std::string, std::string> overrides) {
  for (auto& [service, url] : overrides) overrides_[service] = WithoutTrailingSlash(url);
}

AwsEndpoint AwsEndpoints::For(const AwsServiceInfo& service, std::string_view region) const {
  if (auto it = overrides_.find(std::string(service.name)); it != overrides_.end()) {
    return {it->second, true};
  }
  const char* suffix = absl::StartsWith(ToAbsl(region), "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return {absl::StrCat("https://", ToAbsl(service.endpoint_prefix), ".", ToAbsl(region), ".", suffix), false};
}

std::string AwsEndpoints::S3Url(const AwsEndpoint& endpoint, std::string_view bucket,
                                std::string_view key, std::string_view query) {
  std::string url;
  std::string encoded_key = net::UriEncode(key, true);
  if (!endpoint.custom && DnsCompatible(bucket) && absl::StartsWith(endpoint.url, "https://")) {
    url = absl::StrCat("https://", ToAbsl(bucket), ".", endpoint.url.substr(8), "/", encoded_key);
  } else {
    url = absl::StrCat(endpoint.url, "/", net::UriEncode(bucket, false));
    if (!key.empty()) absl::StrAppend(&url, "/", encoded_key);
  }
  if (!query.empty()) absl::StrAppend(&url, "?", ToAbsl(query));
  return url;
}

}  // namespace stepwise::integrations
