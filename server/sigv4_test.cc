#include "server/sigv4.h"

#include <string>

#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::server {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr int64_t kVectorTime = 1440938160;  // 20150830T123600Z

// AWS's SigV4 test suite, case get-vanilla (aws-sig-v4-test-suite).
TEST(SigV4Test, GetVanillaVector) {
  HttpRequest r;
  r.method = "GET";
  r.target = "/";
  r.headers = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
  std::string canonical = SigV4CanonicalRequest(r, {"host", "x-amz-date"}, Sha256Hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string sts = SigV4StringToSign("20150830T123600Z",
                                      "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(SigV4Signature(kSecret, "20150830", "us-east-1", "service", sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

  r.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  EXPECT_TRUE(VerifySigV4(r, {{"AKIDEXAMPLE", kSecret}}, "service", kVectorTime).ok());
}

// The test suite's get-vanilla-query-order-key-case: parameters sorted.
TEST(SigV4Test, QueryOrderVector) {
  HttpRequest r;
  r.method = "GET";
  r.target = "/?Param2=value2&Param1=value1";
  r.headers = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
  std::string canonical = SigV4CanonicalRequest(r, {"host", "x-amz-date"}, Sha256Hex(""));
  EXPECT_EQ(canonical.substr(0, 34), "GET\n/\nParam1=value1&Param2=value2\n");
  std::string sts = SigV4StringToSign("20150830T123600Z",
                                      "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(SigV4Signature(kSecret, "20150830", "us-east-1", "service", sts),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

// The IAM ListUsers example of AWS's SigV4 documentation.
TEST(SigV4Test, IamDocumentationExample) {
  HttpRequest r;
  r.method = "GET";
  r.target = "/?Action=ListUsers&Version=2010-05-08";
  r.headers = {{"host", "iam.amazonaws.com"},
               {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"x-amz-date", "20150830T123600Z"}};
  std::string canonical =
      SigV4CanonicalRequest(r, {"content-type", "host", "x-amz-date"}, Sha256Hex(""));
  EXPECT_EQ(Sha256Hex(canonical),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  std::string sts =
      SigV4StringToSign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", canonical);
  EXPECT_EQ(SigV4Signature(kSecret, "20150830", "us-east-1", "iam", sts),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

// Signs `r` (POST, states) with key `id`/`secret` at `amz_date`.
void Sign(HttpRequest* r, const std::string& id, const std::string& secret,
          const std::string& amz_date) {
  r->headers["x-amz-date"] = amz_date;
  std::vector<std::string> signed_headers = {"content-type", "host", "x-amz-date",
                                             "x-amz-target"};
  std::string scope = amz_date.substr(0, 8) + "/eu-west-3/states/aws4_request";
  std::string sts = SigV4StringToSign(
      amz_date, scope, SigV4CanonicalRequest(*r, signed_headers, Sha256Hex(r->body)));
  r->headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=" + id + "/" + scope +
      ", SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
      SigV4Signature(secret, amz_date.substr(0, 8), "eu-west-3", "states", sts);
}

HttpRequest StatesRequest() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.path = "/";
  r.headers = {{"host", "localhost:8083"},
               {"content-type", "application/x-amz-json-1.0"},
               {"x-amz-target", "AWSStepFunctions.ListActivities"}};
  r.body = "{}";
  return r;
}

std::string ErrorName(const absl::Status& s) { return engine::ServiceErrorName(s); }

TEST(SigV4Test, VerifiesAndRejects) {
  std::map<std::string, std::string> keys = {{"AKID1", "secret1"}};
  HttpRequest r = StatesRequest();
  EXPECT_EQ(ErrorName(VerifySigV4(r, keys, "states", kVectorTime)),
            "MissingAuthenticationTokenException");

  Sign(&r, "AKID1", "secret1", "20150830T123600Z");
  EXPECT_TRUE(VerifySigV4(r, keys, "states", kVectorTime).ok());
  EXPECT_TRUE(VerifySigV4(r, keys, "states", kVectorTime + 14 * 60).ok());
  absl::Status expired = VerifySigV4(r, keys, "states", kVectorTime + 16 * 60);
  EXPECT_EQ(ErrorName(expired), "InvalidSignatureException");
  EXPECT_NE(expired.message().find("Signature expired"), absl::string_view::npos);
  EXPECT_EQ(ErrorName(VerifySigV4(r, keys, "states", kVectorTime - 16 * 60)),
            "InvalidSignatureException");
  EXPECT_EQ(ErrorName(VerifySigV4(r, keys, "lambda", kVectorTime)), "InvalidSignatureException");

  HttpRequest tampered = r;
  tampered.body = "{\"x\":1}";
  absl::Status bad = VerifySigV4(tampered, keys, "states", kVectorTime);
  EXPECT_EQ(ErrorName(bad), "InvalidSignatureException");
  EXPECT_NE(bad.message().find("does not match the signature you provided"),
            absl::string_view::npos);

  HttpRequest wrong_secret = StatesRequest();
  Sign(&wrong_secret, "AKID1", "nope", "20150830T123600Z");
  EXPECT_EQ(ErrorName(VerifySigV4(wrong_secret, keys, "states", kVectorTime)),
            "InvalidSignatureException");

  HttpRequest unknown = StatesRequest();
  Sign(&unknown, "AKID2", "secret1", "20150830T123600Z");
  absl::Status u = VerifySigV4(unknown, keys, "states", kVectorTime);
  EXPECT_EQ(ErrorName(u), "UnrecognizedClientException");
  EXPECT_EQ(u.message(), "The security token included in the request is invalid.");

  HttpRequest garbled = StatesRequest();
  garbled.headers["authorization"] = "AWS4-HMAC-SHA256 Signature=abc";
  EXPECT_EQ(ErrorName(VerifySigV4(garbled, keys, "states", kVectorTime)),
            "IncompleteSignatureException");
}

TEST(SigV4Test, BearerToken) {
  HttpRequest r;
  EXPECT_FALSE(HasBearerToken(r, {"t1"}));
  r.headers["authorization"] = "Bearer t1";
  EXPECT_TRUE(HasBearerToken(r, {"t0", "t1"}));
  EXPECT_FALSE(HasBearerToken(r, {"t0"}));
  r.headers["authorization"] = "Bearer t10";
  EXPECT_FALSE(HasBearerToken(r, {"t1"}));
}

}  // namespace
}  // namespace stepwise::server
