#include "engine/task_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "common/check.h"

namespace stepwise::engine {
namespace {

// The first byte says what the token is for: 1, a worker's hand-out of an
// activity or function task; 2, the callback token of a .waitForTaskToken
// Task ($$.Task.Token). The layout after it is the same.
constexpr unsigned char kWorkerVersion = 1;
constexpr unsigned char kCallbackVersion = 2;
constexpr size_t kMacSize = 32;  // SHA-256
// version + task_id + attempt, then the execution id, then the MAC.
constexpr size_t kHeaderSize = 1 + 8 + 8;

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

absl::Status InvalidToken() {
  return absl::InvalidArgumentError("invalid task token");
}

void PutInt64(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((u >> shift) & 0xff));
  }
}

int64_t GetInt64(const std::string& in, size_t pos) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8; ++i) {
    u = (u << 8) | static_cast<unsigned char>(in[pos + i]);
  }
  return static_cast<int64_t>(u);
}

std::string Base64UrlEncode(const std::string& in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest == 1) {
    const uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Decodes canonical unpadded URL-safe base64 only: any other character, a
// length that cannot occur, or non-zero unused trailing bits fail, so each
// byte string has exactly one accepted token text.
bool Base64UrlDecode(std::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;
  out->clear();
  out->reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = Base64UrlValue(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits (2 or 4) must be zero in a canonical encoding.
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace

TaskTokenCodec::TaskTokenCodec(std::string key) : key_(std::move(key)) {
  SW_CHECK(key_.size() >= kMinKeyLength);
  // RFC 2104: a key longer than the block is hashed first.
  constexpr size_t kBlock = 64;  // SHA-256 block size
  std::string k = key_;
  if (k.size() > kBlock) {
    unsigned char digest[kMacSize];
    unsigned int n = 0;
    SW_CHECK(EVP_Digest(k.data(), k.size(), digest, &n, EVP_sha256(), nullptr) == 1);
    k.assign(reinterpret_cast<const char*>(digest), n);
  }
  k.resize(kBlock, '\0');
  auto pad = [&](unsigned char byte) {
    std::array<unsigned char, kBlock> p{};
    for (size_t i = 0; i < kBlock; ++i) p[i] = static_cast<unsigned char>(k[i]) ^ byte;
    std::shared_ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    SW_CHECK(ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
             EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1);
    OPENSSL_cleanse(p.data(), p.size());
    return ctx;
  };
  inner_ = pad(0x36);
  outer_ = pad(0x5c);
  OPENSSL_cleanse(k.data(), k.size());
}

std::array<unsigned char, kMacSize> TaskTokenCodec::Mac(const unsigned char* data,
                                                        size_t size) const {
  // One context per thread, reused: copying a prepared state into it is all
  // the set-up a MAC needs.
  thread_local std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                      EVP_MD_CTX_free);
  std::array<unsigned char, kMacSize> inner{};
  std::array<unsigned char, kMacSize> mac{};
  unsigned int n = 0;
  unsigned int m = 0;
  SW_CHECK(ctx != nullptr && EVP_MD_CTX_copy_ex(ctx.get(), inner_.get()) == 1 &&
           EVP_DigestUpdate(ctx.get(), data, size) == 1 &&
           EVP_DigestFinal_ex(ctx.get(), inner.data(), &n) == 1 && n == kMacSize &&
           EVP_MD_CTX_copy_ex(ctx.get(), outer_.get()) == 1 &&
           EVP_DigestUpdate(ctx.get(), inner.data(), inner.size()) == 1 &&
           EVP_DigestFinal_ex(ctx.get(), mac.data(), &m) == 1 && m == kMacSize);
  return mac;
}

std::string TaskTokenCodec::NewKey() {
  std::string key(kMinKeyLength, '\0');
  SW_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(key.data()),
                      static_cast<int>(key.size())) == 1);
  return key;
}

std::string TaskTokenCodec::Encode(const TaskTokenClaims& c) const {
  std::string raw;
  raw.reserve(kHeaderSize + c.execution_id.size() + kMacSize);
  raw.push_back(static_cast<char>(c.callback ? kCallbackVersion : kWorkerVersion));
  PutInt64(raw, c.task_id);
  PutInt64(raw, c.attempt);
  raw.append(c.execution_id);
  const auto mac = Mac(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  raw.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return Base64UrlEncode(raw);
}

absl::StatusOr<TaskTokenClaims> TaskTokenCodec::Decode(
    std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenLength) return InvalidToken();
  std::string raw;
  if (!Base64UrlDecode(token, &raw)) return InvalidToken();
  if (raw.size() < kHeaderSize + kMacSize) return InvalidToken();
  const size_t body_size = raw.size() - kMacSize;
  const auto mac = Mac(reinterpret_cast<const unsigned char*>(raw.data()), body_size);
  // Constant time, so a forger learns nothing from how long a reject takes.
  if (CRYPTO_memcmp(mac.data(), raw.data() + body_size, kMacSize) != 0) {
    return InvalidToken();
  }
  // Only trusted bytes from here on.
  const auto version = static_cast<unsigned char>(raw[0]);
  if (version != kWorkerVersion && version != kCallbackVersion) return InvalidToken();
  TaskTokenClaims c;
  c.callback = version == kCallbackVersion;
  c.task_id = GetInt64(raw, 1);
  c.attempt = GetInt64(raw, 9);
  c.execution_id = raw.substr(kHeaderSize, body_size - kHeaderSize);
  return c;
}

}  // namespace stepwise::engine
