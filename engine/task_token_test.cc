#include "engine/task_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

const std::string kKey(32, 'k');

TaskTokenClaims SampleClaims() {
  return {"arn:aws:states:us-east-1:123456789012:execution:sm:run-1", 42, 3};
}

void ExpectInvalid(const TaskTokenCodec& codec, std::string_view token) {
  auto got = codec.Decode(token);
  ASSERT_FALSE(got.ok()) << "accepted: " << token;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), "invalid task token");
}

TEST(TaskTokenTest, RoundTripsClaims) {
  TaskTokenCodec codec(kKey);
  const TaskTokenClaims claims = SampleClaims();
  auto got = codec.Decode(codec.Encode(claims));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, claims);
}

TEST(TaskTokenTest, RoundTripsExtremeValuesAndEmptyExecutionId) {
  TaskTokenCodec codec(kKey);
  for (const TaskTokenClaims& c :
       {TaskTokenClaims{"", 0, 0},
        TaskTokenClaims{"x", std::numeric_limits<int64_t>::max(),
                        std::numeric_limits<int64_t>::min()},
        TaskTokenClaims{std::string("a\0b\xff", 4), -1, 1}}) {
    auto got = codec.Decode(codec.Encode(c));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c);
  }
}

TEST(TaskTokenTest, TokenIsUrlSafeBase64WithoutPaddingAndHidesNothingInClear) {
  TaskTokenCodec codec(kKey);
  const std::string token = codec.Encode(SampleClaims());
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                    "qrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(token.find("execution"), std::string::npos);
}

// Decision: encoding is deterministic, so the engine can rebuild a task's
// token from its stored claims; different attempts give different tokens.
TEST(TaskTokenTest, SameClaimsGiveSameTokenAndOtherAttemptsDiffer) {
  TaskTokenCodec codec(kKey);
  TaskTokenClaims c = SampleClaims();
  const std::string a = codec.Encode(c);
  EXPECT_EQ(codec.Encode(c), a);
  c.attempt += 1;
  EXPECT_NE(codec.Encode(c), a);
  c = SampleClaims();
  c.task_id += 1;
  EXPECT_NE(codec.Encode(c), a);
}

TEST(TaskTokenTest, EveryTamperedCharacterIsRejected) {
  TaskTokenCodec codec(kKey);
  const std::string token = codec.Encode(SampleClaims());
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    ExpectInvalid(codec, bad);
  }
}

TEST(TaskTokenTest, TruncatedOrExtendedTokensAreRejected) {
  TaskTokenCodec codec(kKey);
  const std::string token = codec.Encode(SampleClaims());
  for (size_t n = 0; n < token.size(); ++n) {
    ExpectInvalid(codec, token.substr(0, n));
  }
  ExpectInvalid(codec, token + "A");
  ExpectInvalid(codec, token + "AA");
  ExpectInvalid(codec, token + "AAAA");
}

TEST(TaskTokenTest, TokenFromAnotherKeyIsRejected) {
  TaskTokenCodec codec(kKey);
  TaskTokenCodec other(std::string(32, 'o'));
  ExpectInvalid(codec, other.Encode(SampleClaims()));
}

TEST(TaskTokenTest, GarbageEmptyAndTooLongAreRejected) {
  TaskTokenCodec codec(kKey);
  ExpectInvalid(codec, "");
  ExpectInvalid(codec, "not a token");
  ExpectInvalid(codec, "====");
  ExpectInvalid(codec, "abc+def/ghi=");  // standard, not URL-safe, base64
  ExpectInvalid(codec, std::string(100, 'A'));
  ExpectInvalid(codec, std::string(5000, 'A'));
  ExpectInvalid(codec, std::string("AAAA\0AAAA", 9));
}

TEST(TaskTokenTest, LongExecutionIdsUpToTheLimitRoundTripAndBeyondAreRejected) {
  TaskTokenCodec codec(kKey);
  TaskTokenClaims c = SampleClaims();
  c.execution_id = std::string(1487, 'e');
  const std::string fits = codec.Encode(c);
  EXPECT_EQ(fits.size(), TaskTokenCodec::kMaxTokenLength);
  auto got = codec.Decode(fits);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, c);
  c.execution_id.push_back('e');
  ExpectInvalid(codec, codec.Encode(c));
}

TEST(TaskTokenTest, NonCanonicalTrailingBitsAreRejected) {
  TaskTokenCodec codec(kKey);
  TaskTokenClaims c = SampleClaims();
  // Pick an id length whose encoding ends in a partial group (unused bits).
  std::string token;
  for (int extra = 0; extra < 3; ++extra) {
    token = codec.Encode(c);
    if (token.size() % 4 != 0) break;
    c.execution_id.push_back('x');
  }
  ASSERT_NE(token.size() % 4, 0u);
  ASSERT_TRUE(codec.Decode(token).ok());
  // Setting the lowest bit of the last character changes only unused bits.
  std::string bad = token;
  const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const size_t v = std::string_view(alphabet).find(bad.back());
  bad.back() = alphabet[v | 1];
  ExpectInvalid(codec, bad);
}

// The MAC is HMAC-SHA256 as OpenSSL's one-shot HMAC() computes it, for a
// key of the usual size and one longer than a SHA-256 block.
TEST(TaskTokenTest, MacIsStandardHmacSha256) {
  for (size_t key_size : {size_t{32}, size_t{100}}) {
    std::string key(key_size, '\0');
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(i * 7 + 1);
    TaskTokenCodec codec(key);
    std::string token = codec.Encode({"arn:aws:states:us-east-1:1:execution:m:e", 42, 3});
    // Undo the URL-safe base64 to get body and MAC.
    std::string b64 = token;
    for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (b64.size() % 4 != 0) b64.push_back('=');
    std::string raw;
    ASSERT_TRUE(absl::Base64Unescape(b64, &raw));
    ASSERT_GT(raw.size(), 32u);
    std::string body = raw.substr(0, raw.size() - 32);
    unsigned char want[32];
    unsigned int n = 0;
    ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const unsigned char*>(body.data()), body.size(), want, &n),
              nullptr);
    ASSERT_EQ(n, 32u);
    EXPECT_EQ(raw.substr(raw.size() - 32), std::string(reinterpret_cast<char*>(want), 32))
        << "key size " << key_size;
  }
}

TEST(TaskTokenTest, NewKeyIsThirtyTwoRandomBytes) {
  const std::string a = TaskTokenCodec::NewKey();
  const std::string b = TaskTokenCodec::NewKey();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  TaskTokenCodec codec(a);
  auto got = codec.Decode(codec.Encode(SampleClaims()));
  EXPECT_TRUE(got.ok());
}

TEST(TaskTokenDeathTest, ShortKeyIsABug) {
  EXPECT_DEATH(TaskTokenCodec(std::string(31, 'k')), "check failed");
}

TEST(TaskTokenTest, CallbackAndWorkerTokensOfOneAttemptDifferAndKeepTheirPurpose) {
  TaskTokenCodec codec(kKey);
  TaskTokenClaims worker = SampleClaims();
  TaskTokenClaims callback = worker;
  callback.callback = true;
  std::string w = codec.Encode(worker);
  std::string c = codec.Encode(callback);
  EXPECT_NE(w, c);
  auto dw = codec.Decode(w);
  auto dc = codec.Decode(c);
  ASSERT_TRUE(dw.ok() && dc.ok());
  EXPECT_FALSE(dw->callback);
  EXPECT_TRUE(dc->callback);
  EXPECT_EQ(*dc, callback);
}

}  // namespace
}  // namespace stepwise::engine
