// Where AwsApiClient sends a service's requests: the endpoint configured
// for the service (--aws-endpoint SERVICE=URL, keyed by the aws-sdk name:
// "dynamodb", "s3", "sfn"), else AWS's own for the region
// (https://PREFIX.REGION.amazonaws.com, .amazonaws.com.cn in China). S3
// objects are addressed path-style (ENDPOINT/BUCKET/KEY) at a configured
// endpoint, as MinIO, LocalStack or s3rver expect, and virtual-hosted style
// (https://BUCKET.s3.REGION.amazonaws.com/KEY) at AWS's.
// Immutable after construction: any thread.
#ifndef SW_INTEGRATIONS_AWS_AWS_ENDPOINTS_H_
#define SW_INTEGRATIONS_AWS_AWS_ENDPOINTS_H_

#include <map>
#include <string>
#include <string_view>

#include "integrations/aws/service_table.h"

namespace stepwise::integrations {

struct AwsEndpoint {
  std::string url;      // scheme://host[:port][/base path], no trailing '/'
  bool custom = false;  // configured, not AWS's own
};

class AwsEndpoints {
 public:
  // `overrides`: aws-sdk service name → base URL.
  explicit AwsEndpoints(std::map<std::string, std::string> overrides = {});

  // The endpoint of `service` in `region`.
  AwsEndpoint For(const AwsServiceInfo& service, std::string_view region) const;

  // The URL of S3 `bucket`'s `key` ("" for the bucket itself) at
  // `endpoint`, the key URI-encoded with its slashes kept, `query` ("" or
  // "a=b&c=d", already encoded) appended.
  static std::string S3Url(const AwsEndpoint& endpoint, std::string_view bucket,
                           std::string_view key, std::string_view query);

  const std::map<std::string, std::string>& overrides() const { return overrides_; }

 private:
  std::map<std::string, std::string> overrides_;
};

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_ENDPOINTS_H_
