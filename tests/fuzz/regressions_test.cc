// Reproducers of bugs the fuzz targets found (see README.md), as plain
// tests that run in every preset. A test named DISABLED_ documents a bug
// that is not fixed yet; enable it with the fix.
#include <future>
#include <memory>
#include <string>

#include "common/json.h"
#include "asl/definition.h"
#include "asl/eval_context.h"
#include "asl/intrinsics.h"
#include "asl/path.h"
#include "asl/validator.h"
#include "engine/engine.h"
#include "engine/local_runner.h"
#include "server/aws_json_api.h"
#include "storage/memory_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise {
namespace {

absl::StatusOr<std::shared_ptr<const asl::StateMachine>> Parse(const std::string& text) {
  auto def = ParseJson(text);
  if (!def.ok()) return def.status();
  return asl::ParseStateMachine(*def);
}

// fuzz_definition found that Fields::Int (asl/definition.cc) cast an
// integral double beyond int64 (here MaxAttempts 1e30) to int64_t, which is
// undefined behaviour (UBSan: "1e+30 is outside the range of representable
// values of type 'long'"). Such integers are rejected like the uint64 ones
// ("integer out of range").
// fuzz_jsonpath found that a filter regex with a long number (here a
// back-reference \7777777777777777777) overflowed inside libstdc++'s regex
// compiler (UBSan: signed integer overflow). Such patterns are refused.
TEST(FuzzRegressionTest, RegexWithHugeNumberIsRefused) {
  auto p = asl::JsonPath::Parse(R"($[?(@.a =~ /\7777777777777777777/)])");
  EXPECT_FALSE(p.ok());
  EXPECT_TRUE(asl::JsonPath::Parse(R"($[?(@.a =~ /a{1,3}/)])").ok());
}

TEST(FuzzRegressionTest, HugeIntegralDoubleIsOutOfRange) {
  auto m = Parse(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
      "Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1e30}],"End":true}}})");
  EXPECT_FALSE(m.ok());
  auto t = Parse(R"({"StartAt":"W","States":{"W":{"Type":"Wait",
      "Seconds":-1e300,"End":true}}})");
  EXPECT_FALSE(t.ok());
}

// fuzz_aws_request found that an error message echoing request bytes that
// are not UTF-8 (here the action name from X-Amz-Target) made the reply
// body invalid JSON, which AWS clients cannot parse. Such bytes become
// U+FFFD in the message.
TEST(FuzzRegressionTest, AwsErrorMessagesAreValidUtf8Json) {
  storage::MemoryStore store;
  auto engine = engine::Engine::Open(&store, engine::EngineOptions{});
  ASSERT_TRUE(engine.ok()) << engine.status();
  {
    server::AwsJsonApi api(engine->get());
    server::HttpRequest req;
    req.method = "POST";
    req.target = req.path = "/";
    req.headers["x-amz-target"] = "AWSStepFunctions.\xe8Get\xc3\x28History";
    // The reply comes from the API's pool.
    std::promise<server::HttpResponse> replied;
    api.Handle(req, [&replied](server::HttpResponse r) { replied.set_value(std::move(r)); });
    server::HttpResponse resp = replied.get_future().get();
    EXPECT_EQ(resp.status, 400);
    auto v = ParseJson(resp.body);
    ASSERT_TRUE(v.ok()) << v.status() << ": " << resp.body;
    EXPECT_EQ(std::string(v->as_object().at("message").as_string()),
              "unknown operation '\xEF\xBF\xBDGet\xEF\xBF\xBD(History'");
  }
  (*engine)->Shutdown();
}

}  // namespace
}  // namespace stepwise
