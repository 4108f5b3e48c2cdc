// What every AWS JSON action file shares (server/aws_json_actions.cc,
// aws_json_tags.cc, aws_json_versions.cc and the Stepwise extensions):
// reading request members with AWS's errors (Members), AWS's
// ValidationException wording, timestamps and reply bodies in AWS's shape,
// and Blocking<> for a handler that answers from the calling pool thread.
// Plain functions and a per-request reader: any thread.
#ifndef SW_SERVER_AWS_JSON_MEMBERS_H_
#define SW_SERVER_AWS_JSON_MEMBERS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "common/clock.h"
#include "engine/service_error.h"
#include "server/aws_json_actions.h"

namespace stepwise::server {

// A timestamp as AWS sends it: epoch seconds, fractional.
json::value AwsSeconds(TimeMs ms);

// A reply body: the object serialised.
std::string AwsBody(const json::object& o);

// ValidationException with `message`.
absl::Status AwsValidationError(std::string_view message);

// AWS's wording for one failed member constraint: "1 validation error
// detected: Value V at 'member' failed to satisfy constraint: C".
absl::Status AwsConstraintError(std::string_view value, std::string_view member,
                                std::string_view constraint);

// AWS's ValidationException for a required member that is absent.
absl::Status AwsMissingMember(std::string_view member);

// "Member must satisfy enum value set: [A, B]".
std::string AwsEnumConstraint(const std::string_view* allowed, size_t n);

// A ListExecutions item in AWS's shape (ListExecutions, and the
// SearchExecutions extension, which adds indexedFields).
json::object AwsExecutionListItem(const engine::ExecutionDescription& d);

// Reads request members, remembering the first problem (check status()
// once after reading them all). A member that is JSON null counts as
// absent, as AWS's deserializers treat it. Wrong JSON types are
// SerializationException; a missing required member or a value out of
// range is ValidationException, in AWS's words.
class Members {
 public:
  explicit Members(const json::object& o) : o_(o) {}

  std::optional<std::string> Str(std::string_view name);
  // The string member `name`; ValidationException when absent.
  std::string Need(std::string_view name);
  std::optional<int64_t> Int(std::string_view name);
  std::optional<bool> Bool(std::string_view name);
  // maxResults in [0, `max`], 0 when absent.
  int MaxResults(int64_t max);
  // nextToken, at most `max_length` characters (AWS's models: 1024, and
  // 3096 for ListExecutions); nullopt when absent.
  std::optional<std::string> NextToken(size_t max_length = 1024);

  // The string member `name`, which must be one of `allowed` when present.
  template <size_t N>
  std::optional<std::string> Enum(std::string_view name,
                                  const std::array<std::string_view, N>& allowed) {
    std::optional<std::string> v = Str(name);
    if (!v.has_value()) return v;
    if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
      Fail(AwsConstraintError(absl::StrCat("'", *v, "'"), name,
                              AwsEnumConstraint(allowed.data(), allowed.size())));
      return std::nullopt;
    }
    return v;
  }

  // The member's JSON value, null when absent or JSON null.
  const json::value* Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }

  void Fail(absl::Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  const absl::Status& status() const { return status_; }

 private:
  const json::object& o_;
  absl::Status status_;
};

// A handler answering with a blocking engine call, on the calling pool
// thread: `&Blocking<&Fn>` is an AwsAction.
using BlockingAction = absl::StatusOr<AwsActionResult> (*)(engine::Engine*, const json::object&);

template <BlockingAction kFn>
void Blocking(const AwsActionContext& ctx, const json::object& req, AwsActionDone done) {
  done(kFn(ctx.engine, req));
}

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_MEMBERS_H_
