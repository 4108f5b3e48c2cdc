// Names, ARNs and UUIDs (see arn.h). Pure functions, any thread.
#include "engine/arn.h"

#include <openssl/sha.h>

#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "engine/service_error.h"

namespace stepwise::engine {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f) return false;
    if (std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string FormatUuid(uint64_t hi, uint64_t lo) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0x0fff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string NewUuid(std::mt19937_64& rng) {
  uint64_t hi = rng(), lo = rng();
  return FormatUuid(hi, lo);
}

std::string StableUuid(absl::string_view seed) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
  uint64_t hi = 0;
  uint64_t lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | digest[i];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | digest[i];
  return FormatUuid(hi, lo);
}

std::string MachineArn(absl::string_view region, absl::string_view account,
                       absl::string_view name) {
  return absl::StrCat("arn:aws:states:", region, ":", account, ":stateMachine:", name);
}

std::string ActivityArn(absl::string_view region, absl::string_view account,
                        absl::string_view name) {
  return absl::StrCat("arn:aws:states:", region, ":", account, ":activity:", name);
}

std::string ExecutionArn(absl::string_view region, absl::string_view account,
                         absl::string_view machine, absl::string_view name) {
  return absl::StrCat("arn:aws:states:", region, ":", account, ":execution:", machine, ":",
                      name);
}

std::string ExpressExecutionArn(absl::string_view region, absl::string_view account,
                                absl::string_view machine, absl::string_view name,
                                absl::string_view uuid) {
  return absl::StrCat("arn:aws:states:", region, ":", account, ":express:", machine, ":", name,
                      ":", uuid);
}

absl::Status CheckExecutionArn(absl::string_view region, absl::string_view account,
                               const std::string& arn) {
  std::string base = absl::StrCat("arn:aws:states:", region, ":", account, ":");
  for (const char* kind : {"execution:", "express:"}) {
    std::string prefix = base + kind;
    if (arn.rfind(prefix, 0) == 0) {
      std::string rest = arn.substr(prefix.size());
      size_t colon = rest.find(':');
      if (colon != std::string::npos && colon > 0 && colon + 1 < rest.size()) {
        return absl::OkStatus();
      }
    }
  }
  return InvalidArnError(arn);
}

absl::Status InvalidArnError(const std::string& arn) {
  if (arn.rfind("arn:", 0) != 0) {
    return ServiceError("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: " + arn + "'");
  }
  return ServiceError("InvalidArn", "Invalid Arn: '" + arn + "'");
}

std::string ArnTail(const std::string& arn, int parts_from_end) {
  size_t pos = arn.size();
  for (int i = 0; i < parts_from_end; ++i) {
    pos = arn.rfind(':', pos == 0 ? 0 : pos - 1);
    if (pos == std::string::npos) return "";
  }
  return arn.substr(pos + 1);
}

}  // namespace stepwise::engine
