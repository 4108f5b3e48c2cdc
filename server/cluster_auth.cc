// ClusterAuth (see cluster_auth.h). Any thread.
#include "server/cluster_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::server {

namespace {

constexpr std::string_view kVersion = "v1";

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

struct Parts {
  std::string_view seconds, mac, node_id;
};

// "v1:<seconds>:<mac>:<node id>" (the node id may hold ':').
bool Split(std::string_view value, Parts* out) {
  size_t a = value.find(':');
  if (a == std::string_view::npos || value.substr(0, a) != kVersion) return false;
  size_t b = value.find(':', a + 1);
  if (b == std::string_view::npos) return false;
  size_t c = value.find(':', b + 1);
  if (c == std::string_view::npos) return false;
  out->seconds = value.substr(a + 1, b - a - 1);
  out->mac = value.substr(b + 1, c - b - 1);
  out->node_id = value.substr(c + 1);
  return !out->seconds.empty() && !out->node_id.empty();
}

}  // namespace

absl::Status ForwardRefused(std::string_view why) {
  return absl::PermissionDeniedError(
      absl::StrCat("forwarded call refused: ", ToAbsl(why)));
}

absl::StatusOr<std::unique_ptr<ClusterAuth>> ClusterAuth::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cluster-secret-file: cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(text.str()));
  if (secret.size() < kMinSecretLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cluster-secret-file: the secret in ", path, " is shorter than ", kMinSecretLength,
        " characters (e.g. `openssl rand -hex 32 > ", path, "`)"));
  }
  return FromSecret(std::move(secret));
}

std::unique_ptr<ClusterAuth> ClusterAuth::FromSecret(std::string secret) {
  return std::unique_ptr<ClusterAuth>(new ClusterAuth(std::move(secret)));
}

std::string ClusterAuth::Mac(std::string_view seconds, std::string_view node_id) const {
  std::string data = absl::StrCat("stepwise-forward-v1\n", ToAbsl(seconds), "\n", ToAbsl(node_id));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return Hex(mac, len);
}

std::string ClusterAuth::Sign(std::string_view node_id, int64_t unix_seconds) const {
  std::string seconds = std::to_string(unix_seconds);
  return absl::StrCat(ToAbsl(kVersion), ":", seconds, ":", Mac(seconds, node_id), ":",
                      ToAbsl(node_id));
}

absl::Status ClusterAuth::Verify(std::string_view value, int64_t now_unix_seconds) const {
  Parts p;
  if (!Split(value, &p)) return ForwardRefused("malformed x-stepwise-forwarded metadata");
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(p.seconds.data(), p.seconds.data() + p.seconds.size(), seconds);
  if (ec != std::errc() || end != p.seconds.data() + p.seconds.size()) {
    return ForwardRefused("malformed x-stepwise-forwarded metadata");
  }
  std::string expected = Mac(p.seconds, p.node_id);
  if (p.mac.size() != expected.size() ||
      CRYPTO_memcmp(p.mac.data(), expected.data(), expected.size()) != 0) {
    return ForwardRefused("the cluster secret does not match (check --cluster-secret-file)");
  }
  int64_t skew = now_unix_seconds - seconds;
  if (skew > kMaxSkewSeconds || skew < -kMaxSkewSeconds) {
    return ForwardRefused(absl::StrCat("its timestamp is ", skew,
                                       " s away from this node's clock (at most ",
                                       kMaxSkewSeconds, ")"));
  }
  return absl::OkStatus();
}

std::string ClusterAuth::NodeOf(std::string_view value) {
  Parts p;
  return Split(value, &p) ? std::string(p.node_id) : "";
}

}  // namespace stepwise::server
