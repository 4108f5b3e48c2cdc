#include "asl/payload_template.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

json::value J(std::string_view text) {
  auto v = ParseJson(absl::string_view(text.data(), text.size()));
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return v.ok() ? *v : json::value();
}

class PayloadTemplateTest : public ::testing::Test {
 protected:
  // Compiles `tmpl`, evaluates it on `doc`; returns JSON, "ERR: <cause>" or
  // "COMPILE: <message>".
  std::string Run(std::string_view tmpl, std::string_view doc) {
    input_ = J(doc);
    EvalContext env{&input_, &context_, &vars_, &random_};
    auto t = PayloadTemplate::Compile(J(tmpl));
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
      return "COMPILE: " + std::string(t.status().message());
    }
    auto v = t->Evaluate(env);
    if (!v.ok()) {
      EXPECT_EQ(RuntimeErrorName(v.status()), "States.Runtime") << v.status();
      return "ERR: " + std::string(v.status().message());
    }
    return SerializeJson(*v);
  }

  json::value input_;
  json::value context_ = J(R"({"Execution":{"Id":"arn:e","Input":{"k":1}},"Map":{"Item":{"Index":3}}})");
  json::object vars_;
  SeededRandom random_{1};
};

TEST_F(PayloadTemplateTest, LiteralsPassThrough) {
  EXPECT_EQ(Run(R"({"a":1,"b":[true,{"c":null}],"s":"$.not.a.path"})", "{}"),
            R"({"a":1,"b":[true,{"c":null}],"s":"$.not.a.path"})");
  EXPECT_EQ(Run(R"("plain")", "{}"), R"("plain")");
  EXPECT_EQ(Run("[1,2]", "{}"), "[1,2]");
}

TEST_F(PayloadTemplateTest, DollarKeysTakePathsAndStripSuffix) {
  EXPECT_EQ(Run(R"({"x.$":"$.a","all.$":"$","lit":"v"})", R"({"a":[1,2]})"),
            R"({"x":[1,2],"all":{"a":[1,2]},"lit":"v"})");
  EXPECT_EQ(Run(R"({"item.$":"$.items[0]"})", R"({"items":[{"k":0},{"k":1}]})"),
            R"({"item":{"k":0}})");
  EXPECT_EQ(Run(R"({"item.$":"$.items[*]"})", "{}"), R"({"item":[]})");
  EXPECT_EQ(Run(R"({"f.$":"$.users[?(@.status == 0)]"})",
                R"({"users":[{"year":1997,"status":0},{"year":1998,"status":1}]})"),
            R"({"f":[{"year":1997,"status":0}]})");
}

TEST_F(PayloadTemplateTest, NestedObjectsAndArraysRecurse) {
  EXPECT_EQ(Run(R"({"outer":{"inner.$":"$.v","list":[{"w.$":"$.v"},3]}})", R"({"v":"x"})"),
            R"({"outer":{"inner":"x","list":[{"w":"x"},3]}})");
}

TEST_F(PayloadTemplateTest, ContextVariablesAndIntrinsics) {
  vars_["who"] = "Ann";
  EXPECT_EQ(Run(R"j({"id.$":"$$.Execution.Id","ctx_in.$":"$$.Execution.Input.k",
                    "idx.$":"$$.Map.Item.Index","v.$":"$who",
                    "msg.$":"States.Format('Hi {} {}', $who, $.n)"})j",
                R"({"n":2})"),
            R"({"id":"arn:e","ctx_in":1,"idx":3,"v":"Ann","msg":"Hi Ann 2"})");
}

TEST_F(PayloadTemplateTest, MissingPathFailsWithAwsCause) {
  EXPECT_EQ(Run(R"({"value.$":"$.no_such_jsonpath"})", R"({"int-literal":0})"),
            "ERR: The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could "
            "not be found in the input '{\"int-literal\":0}'");
  EXPECT_EQ(Run(R"({"a":{"value.$":"$$.Execution.Input.no_such_jsonpath"}})",
                R"({"int-literal":0})"),
            "ERR: The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field "
            "'value.$' could not be found in the input '{\"int-literal\":0}'");
  EXPECT_EQ(Run(R"({"v.$":"$nosuchvar"})", "{}"),
            "ERR: The JSONPath '$nosuchvar' specified for the field 'v.$' could not be found "
            "in the input '{}'");
}

TEST_F(PayloadTemplateTest, IntrinsicFailurePropagates) {
  EXPECT_EQ(Run(R"j({"v.$":"States.MathAdd($.a, 1)"})j", R"({"a":"x"})"),
            "ERR: Invalid arguments in States.MathAdd");
}

TEST_F(PayloadTemplateTest, CompileErrors) {
  EXPECT_EQ(Run(R"({"x.$":5})", "{}"),
            "COMPILE: The value for the field 'x.$' must be a valid JSONPath or a valid "
            "intrinsic function call");
  EXPECT_EQ(Run(R"({"x.$":"no dollar"})", "{}").substr(0, 60),
            "COMPILE: The value for the field 'x.$' must be a valid JSONP");
  EXPECT_NE(Run(R"j({"a":[{"y.$":"States.Nope()"}]})j", "{}").find("'y.$' must be"),
            std::string::npos);
  EXPECT_NE(Run(R"({"x.$":"$.a","x":1})", "{}").find("more than once"), std::string::npos);
}

TEST_F(PayloadTemplateTest, CompiledTemplateIsReusable) {
  auto t = PayloadTemplate::Compile(J(R"({"v.$":"$.n"})"));
  ASSERT_TRUE(t.ok());
  PayloadTemplate copy = *t;
  for (int i = 0; i < 3; ++i) {
    json::value in = json::object{{"n", i}};
    EvalContext env{&in, nullptr, nullptr, nullptr};
    auto v = copy.Evaluate(env);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(SerializeJson(*v), absl::StrCat(R"({"v":)", i, "}"));
  }
}

}  // namespace
}  // namespace stepwise::asl
