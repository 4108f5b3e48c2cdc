// Paging of the in-memory lists both front ends serve (ListStateMachines,
// ListActivities): one rule and one set of errors for the AWS JSON endpoint
// and gRPC. The token is the decimal offset of the next item, as the engine's
// own list pages use. Pure functions: any thread.
#ifndef SW_SERVER_PAGING_H_
#define SW_SERVER_PAGING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stepwise::server {

// Items [begin, end) of the list make one page.
struct PageRange {
  size_t begin = 0;
  size_t end = 0;
};

// The page of a `total`-item list that `max_results` (0: 100) and `token`
// (empty: the first page) ask for. ValidationException when max_results is
// outside [0, 1000], InvalidToken naming a token this server did not give.
absl::StatusOr<PageRange> PageBounds(int64_t max_results, std::string_view token, size_t total);

// The token of the page after `page`, or "" when it was the last.
std::string NextPageToken(const PageRange& page, size_t total);

}  // namespace stepwise::server

#endif  // SW_SERVER_PAGING_H_
