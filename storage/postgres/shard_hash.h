// ShardOfExecution: the cluster shard an execution belongs to,
// `FNV-1a-64(execution ARN) mod shard_count`. Stable across processes,
// builds and machines (unlike std::hash), because every node of a cluster
// must agree on it and the fence (storage/postgres/shard_fence.h) checks
// it. Pure; any thread.
#ifndef SW_STORAGE_POSTGRES_SHARD_HASH_H_
#define SW_STORAGE_POSTGRES_SHARD_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace stepwise::storage {

inline int ShardOfExecution(absl::string_view execution_id, int shard_count) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : execution_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return shard_count <= 1 ? 0 : static_cast<int>(h % static_cast<uint64_t>(shard_count));
}

}  // namespace stepwise::storage

#endif  // SW_STORAGE_POSTGRES_SHARD_HASH_H_
