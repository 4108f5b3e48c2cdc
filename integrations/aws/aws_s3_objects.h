// AwsS3Objects: the S3Objects (engine/map_run/s3_objects.h) a Distributed
// Map's item sources read through: HeadObject, ranged GetObject and
// ListObjectsV2 made with an AwsApi (AwsApiClient: SigV4, any
// S3-compatible endpoint from --aws-endpoint s3=URL). S3's errors become
// statuses whose message is "<Code>: <Message>" (NoSuchKey, NoSuchBucket →
// kNotFound; AccessDenied → kPermissionDenied; no answer → kUnavailable).
// Threads: any thread but the AwsApi's own; each call blocks until S3
// answers (or the timeout).
#ifndef SW_INTEGRATIONS_AWS_AWS_S3_OBJECTS_H_
#define SW_INTEGRATIONS_AWS_AWS_S3_OBJECTS_H_

#include <cstdint>
#include <string>

#include "engine/map_run/s3_objects.h"
#include "integrations/aws/aws_api.h"

namespace stepwise::integrations {

class AwsS3Objects : public engine::map_run::S3Objects {
 public:
  // `api` must outlive this.
  AwsS3Objects(AwsApi* api, std::string region, int64_t timeout_ms = 60000)
      : api_(api), region_(std::move(region)), timeout_ms_(timeout_ms) {}

  absl::StatusOr<uint64_t> Size(const engine::map_run::S3ObjectRef& object) override;
  absl::StatusOr<std::string> Read(const engine::map_run::S3ObjectRef& object, uint64_t offset,
                                   uint64_t length) override;
  absl::StatusOr<engine::map_run::S3ListPage> List(const std::string& bucket,
                                                   const std::string& prefix,
                                                   const std::string& continuation_token,
                                                   int max_keys) override;

 private:
  absl::StatusOr<AwsApiResponse> Call(const char* operation, json::object parameters);

  AwsApi* const api_;
  const std::string region_;
  const int64_t timeout_ms_;
};

// An S3 timestamp ("2026-12-06T09:30:00.000Z", with or without the
// fraction) as seconds since the epoch; 0 when it is not one.
int64_t S3TimestampSeconds(std::string_view text);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_S3_OBJECTS_H_
