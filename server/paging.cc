// PageBounds and NextPageToken (see paging.h).
#include "server/paging.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"

namespace stepwise::server {

absl::StatusOr<PageRange> PageBounds(int64_t max_results, std::string_view token, size_t total) {
  if (max_results < 0 || max_results > 1000) {
    return engine::ServiceError("ValidationException", "maxResults must be between 0 and 1000");
  }
  size_t n = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  uint64_t start = 0;
  if (!token.empty() && (!absl::SimpleAtoi(ToAbsl(token), &start) || start > total)) {
    return engine::ServiceError("InvalidToken",
                                absl::StrCat("Invalid Token: '", ToAbsl(token), "'"));
  }
  PageRange page;
  page.begin = static_cast<size_t>(start);
  page.end = std::min(total, page.begin + n);
  return page;
}

std::string NextPageToken(const PageRange& page, size_t total) {
  return page.end < total ? std::to_string(page.end) : "";
}

}  // namespace stepwise::server
