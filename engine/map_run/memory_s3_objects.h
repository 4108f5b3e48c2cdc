// MemoryS3Objects: an in-memory S3Objects for unit tests of the item
// sources: objects by bucket and key, listings in key order, and a count
// of the bytes each Read returned (to check the sources read in pages).
// Threads: one at a time.
#ifndef SW_ENGINE_MAP_RUN_MEMORY_S3_OBJECTS_H_
#define SW_ENGINE_MAP_RUN_MEMORY_S3_OBJECTS_H_

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/map_run/s3_objects.h"

namespace stepwise::engine::map_run {

class MemoryS3Objects : public S3Objects {
 public:
  void Put(const std::string& bucket, const std::string& key, std::string body) {
    objects_[{bucket, key}] = std::move(body);
  }

  absl::StatusOr<uint64_t> Size(const S3ObjectRef& o) override {
    auto it = objects_.find({o.bucket, o.key});
    if (it == objects_.end()) {
      return absl::NotFoundError("NoSuchKey: The specified key does not exist.");
    }
    return it->second.size();
  }

  absl::StatusOr<std::string> Read(const S3ObjectRef& o, uint64_t offset,
                                   uint64_t length) override {
    auto it = objects_.find({o.bucket, o.key});
    if (it == objects_.end()) {
      return absl::NotFoundError("NoSuchKey: The specified key does not exist.");
    }
    ++reads;
    largest_read = std::max<uint64_t>(largest_read, length);
    if (offset >= it->second.size()) return std::string();
    return it->second.substr(offset, length);
  }

  absl::StatusOr<S3ListPage> List(const std::string& bucket, const std::string& prefix,
                                  const std::string& token, int max_keys) override {
    ++lists;
    S3ListPage page;
    auto it = token.empty() ? objects_.lower_bound({bucket, prefix})
                            : objects_.upper_bound({bucket, token});
    for (; it != objects_.end() && it->first.first == bucket &&
           it->first.second.starts_with(prefix);
         ++it) {
      if (static_cast<int>(page.entries.size()) == max_keys) {
        // The token is the last key returned, as good as S3's opaque one.
        page.next_continuation_token = page.entries.back().key;
        break;
      }
      page.entries.push_back(S3ObjectEntry{it->first.second, "\"etag\"", 1668699881,
                                           static_cast<int64_t>(it->second.size()), "STANDARD"});
    }
    return page;
  }

  int reads = 0;
  int lists = 0;
  uint64_t largest_read = 0;

 private:
  std::map<std::pair<std::string, std::string>, std::string> objects_;
};

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_MEMORY_S3_OBJECTS_H_
