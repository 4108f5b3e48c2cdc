#include "asl/errors.h"

#include <string>

#include "absl/strings/cord.h"

namespace stepwise::asl {

namespace {
constexpr char kPayloadUrl[] = "stepwise/asl-error";
}  // namespace

absl::Status RuntimeError(std::string_view name, std::string_view cause) {
  // kFailedPrecondition: the input did not fit what the definition asks.
  absl::Status s(absl::StatusCode::kFailedPrecondition,
                 absl::string_view(cause.data(), cause.size()));
  s.SetPayload(kPayloadUrl, absl::Cord(absl::string_view(name.data(), name.size())));
  return s;
}

std::string RuntimeErrorName(const absl::Status& s) {
  if (s.ok()) return "";
  auto p = s.GetPayload(kPayloadUrl);
  return p.has_value() ? std::string(*p) : "";
}

}  // namespace stepwise::asl
