#include "engine/jsonata/jsonata.h"

#include "gtest/gtest.h"

namespace stepwise::jsonata {
namespace {

std::string Eval(const std::string& expr, const std::string& input = "null") {
  auto in = ParseJson(input);
  EXPECT_TRUE(in.ok());
  auto r = EvaluateOnce(expr, &*in);
  if (!r.ok()) return "error " + ErrorCode(r.status());
  if (!r->has_value()) return "undefined";
  return ToJsString(**r);
}

TEST(JsonataTest, NavigatesPathsWithFlattening) {
  EXPECT_EQ(Eval("a.b", R"({"a":[{"b":1},{"b":[2,3]}]})"), "[1,2,3]");
  EXPECT_EQ(Eval("a.b", R"({"a":{"b":1}})"), "1");
  EXPECT_EQ(Eval("a.c", R"({"a":{"b":1}})"), "undefined");
}

TEST(JsonataTest, FormatsNumbersAsJavaScript) {
  EXPECT_EQ(Eval("0.1 + 0.2"), "0.30000000000000004");
  EXPECT_EQ(Eval("1e21"), "1e+21");
  EXPECT_EQ(Eval("$string(0.1 + 0.2)"), "\"0.3\"");
}

TEST(JsonataTest, ReportsReferenceErrorCodes) {
  EXPECT_EQ(Eval("1 + \"a\""), "error T2002");
  EXPECT_EQ(Eval("(1"), "error S0203");
  EXPECT_EQ(Eval("$undefinedFn()"), "error T1006");
}

TEST(JsonataTest, SupportsLambdasAndClosures) {
  EXPECT_EQ(Eval("($f := function($x){$x * 2}; $map([1,2,3], $f))"), "[2,4,6]");
  EXPECT_EQ(Eval("($add := function($a){function($b){$a+$b}}; $add(2)(3))"), "5");
}

TEST(JsonataTest, EnforcesDepthLimit) {
  EvalLimits limits;
  limits.max_depth = 50;
  auto e = Expression::Compile("($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(1000))");
  ASSERT_TRUE(e.ok());
  auto r = e->Evaluate(nullptr, {}, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "U1001");
}

TEST(JsonataTest, EnforcesTimeLimit) {
  EvalLimits limits;
  limits.timeout = std::chrono::milliseconds(50);
  auto e = Expression::Compile("($f := function($n){$f($n + 1)}; $f(0))");
  ASSERT_TRUE(e.ok());
  auto r = e->Evaluate(nullptr, {}, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorCode(r.status()), "U1001");
}

}  // namespace
}  // namespace stepwise::jsonata
