// S3Objects: the three S3 reads an item source needs (HeadObject, a ranged
// GetObject, one ListObjectsV2 page), as an interface so engine/ does not
// depend on integrations/. The real one is integrations/aws/
// aws_s3_objects.h (S3 through AwsApi, any S3-compatible endpoint); unit
// tests use an in-memory fake.
// Threads: implementations may block (one HTTP round trip); call them
// from a worker thread, never from the HTTP client's own.
#ifndef SW_ENGINE_MAP_RUN_S3_OBJECTS_H_
#define SW_ENGINE_MAP_RUN_S3_OBJECTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::engine::map_run {

struct S3ObjectRef {
  std::string bucket;
  std::string key;
  std::string version_id;  // "" = the latest
};

struct S3ObjectEntry {
  std::string key;
  std::string etag;  // with its quotes, as S3 lists it
  int64_t last_modified_epoch_seconds = 0;
  int64_t size = 0;
  std::string storage_class;
};

struct S3ListPage {
  std::vector<S3ObjectEntry> entries;
  std::string next_continuation_token;  // "" = the last page
};

class S3Objects {
 public:
  virtual ~S3Objects() = default;
  // The object's size in bytes. Errors carry S3's error code and message
  // in their message ("NoSuchKey: The specified key does not exist.").
  virtual absl::StatusOr<uint64_t> Size(const S3ObjectRef& object) = 0;
  // Bytes [offset, offset + length) of the object (fewer at its end).
  virtual absl::StatusOr<std::string> Read(const S3ObjectRef& object, uint64_t offset,
                                           uint64_t length) = 0;
  // One page of the keys under `prefix` in key order, at most `max_keys`,
  // from `continuation_token` ("" = the first page).
  virtual absl::StatusOr<S3ListPage> List(const std::string& bucket, const std::string& prefix,
                                          const std::string& continuation_token,
                                          int max_keys) = 0;
};

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_S3_OBJECTS_H_
