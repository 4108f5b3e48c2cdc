#include "asl/intrinsics.h"

#include <set>
#include <string>

#include "asl/errors.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

json::value J(std::string_view text) {
  auto v = ParseJson(absl::string_view(text.data(), text.size()));
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return v.ok() ? *v : json::value();
}

class IntrinsicsTest : public ::testing::Test {
 protected:
  // Parses and evaluates `call` against input `doc`; returns compact JSON
  // or "ERR: <cause>" / "PARSE: <message>".
  std::string Run(std::string_view call, std::string_view doc = "{}") {
    input_ = J(doc);
    EvalContext env{&input_, &context_, &vars_, &random_};
    auto c = IntrinsicCall::Parse(call);
    if (!c.ok()) return "PARSE: " + std::string(c.status().message());
    auto v = c->Evaluate(env);
    if (!v.ok()) {
      EXPECT_EQ(RuntimeErrorName(v.status()), "States.Runtime") << v.status();
      return "ERR: " + std::string(v.status().message());
    }
    return SerializeJson(*v);
  }

  json::value input_;
  json::value context_ = J(R"({"StateMachine":{"Name":"alpha-beta-gamma"}})");
  json::object vars_;
  SeededRandom random_{42};
};

TEST_F(IntrinsicsTest, LooksLikeIntrinsic) {
  EXPECT_TRUE(LooksLikeIntrinsic("States.Format('x')"));
  EXPECT_FALSE(LooksLikeIntrinsic("$.a"));
  EXPECT_FALSE(LooksLikeIntrinsic("states.format('x')"));
}

TEST_F(IntrinsicsTest, FormatSubstitutesJavaStrings) {
  EXPECT_EQ(Run("States.Format('Hi {}!', $.n)", R"({"n":"Bob"})"), R"("Hi Bob!")");
  EXPECT_EQ(Run("States.Format('a={} b={}', $.a, $.b)", R"({"a":1,"b":1.1})"),
            R"("a=1 b=1.1")");
  EXPECT_EQ(Run("States.Format('{}', $.x)", R"({"x":null})"), R"("null")");
  EXPECT_EQ(Run("States.Format('{} {}', true, 2.50)"), R"("true 2.5")");
  EXPECT_EQ(Run("States.Format('v={}', $.o)", R"({"o":{"Arg1":1,"Arg2":[]}})"),
            R"("v={Arg1=1, Arg2=[]}")");
  EXPECT_EQ(Run("States.Format('v={}', $.a)", R"({"a":[1,"x",[2]]})"), R"("v=[1, x, [2]]")");
  EXPECT_EQ(Run(R"(States.Format('esc \{\} {} \'q\' \\', 'x'))"), R"("esc {} x 'q' \\")");
  EXPECT_EQ(Run("States.Format($.t, 5)", R"({"t":"n={}"})"), R"("n=5")");
  EXPECT_EQ(Run("States.Format('{} {}', 1)"),
            "ERR: Invalid arguments in States.Format: number of arguments do not match "
            "the occurrences of {}");
  EXPECT_EQ(Run("States.Format($.t)", R"({"t":5})"), "ERR: Invalid arguments in States.Format");
  EXPECT_EQ(Run("States.Format(1)").substr(0, 6), "PARSE:");
}

TEST_F(IntrinsicsTest, StringToJsonAndBack) {
  EXPECT_EQ(Run("States.StringToJson($.s)", R"({"s":"{\"a\": [1, 2]}"})"), R"({"a":[1,2]})");
  EXPECT_EQ(Run("States.StringToJson($.s)", R"({"s":" "})"), "null");
  EXPECT_EQ(Run("States.StringToJson($.s)", R"({"s":"1.1"})"), "1.1");
  EXPECT_EQ(Run("States.StringToJson('{\"text\":\"x\"}')"), R"({"text":"x"})");
  EXPECT_EQ(Run("States.StringToJson($.s)", R"({"s":"{bad"})"),
            "ERR: Invalid arguments in States.StringToJson");
  EXPECT_EQ(Run("States.StringToJson($.s)", R"({"s":5})"),
            "ERR: Invalid arguments in States.StringToJson");
  EXPECT_EQ(Run("States.JsonToString($.o)", R"({"o":{"a":1.0,"b":"x"}})"),
            R"("{\"a\":1.0,\"b\":\"x\"}")");
  EXPECT_EQ(Run("States.JsonToString($.o)", R"({"o":"s"})"), R"("\"s\"")");
}

TEST_F(IntrinsicsTest, ArrayFunctions) {
  EXPECT_EQ(Run("States.Array('a', 1, null, $.x, States.Array())", R"({"x":{"k":true}})"),
            R"(["a",1,null,{"k":true},[]])");
  EXPECT_EQ(Run("States.ArrayPartition($.a, 2)", R"({"a":[1,2,3,4,5]})"), "[[1,2],[3,4],[5]]");
  EXPECT_EQ(Run("States.ArrayPartition($.a, 2.9)", R"({"a":[1,2,3]})"), "[[1,2],[3]]");
  EXPECT_EQ(Run("States.ArrayPartition($.a, 0.49)", R"({"a":[1]})"),
            "ERR: Invalid arguments in States.ArrayPartition");
  EXPECT_EQ(Run("States.ArrayContains($.a, $.v)", R"({"a":[[1,2,3],2],"v":[1,2,3]})"), "true");
  EXPECT_EQ(Run("States.ArrayContains($.a, $.v)", R"({"a":[{"1":2,"2":[]}],"v":{"2":[],"1":2}})"),
            "true");
  EXPECT_EQ(Run("States.ArrayContains($.a, null)", R"({"a":[]})"), "false");
  EXPECT_EQ(Run("States.ArrayContains($.a, 1)", R"({"a":"x"})"),
            "ERR: Invalid arguments in States.ArrayContains");
  EXPECT_EQ(Run("States.ArrayGetItem($.a, 5)", R"({"a":[1,2,3,4,5,6,7]})"), "6");
  EXPECT_EQ(Run("States.ArrayGetItem($.a, 3)", R"({"a":[1]})"),
            "ERR: Invalid arguments in States.ArrayGetItem");
  EXPECT_EQ(Run("States.ArrayGetItem($.a, -1)", R"({"a":[1]})"),
            "ERR: Invalid arguments in States.ArrayGetItem");
  EXPECT_EQ(Run("States.ArrayLength($.a)", R"({"a":[null,1,[]]})"), "3");
  EXPECT_EQ(Run("States.ArrayLength($.a)", R"({"a":{}})"),
            "ERR: Invalid arguments in States.ArrayLength");
  EXPECT_EQ(Run("States.ArrayUnique($.a)", R"({"a":[1,2,2,1.0,"1",{"a":1},{"a":1}]})"),
            R"([1,2,"1",{"a":1}])");
  EXPECT_EQ(Run("States.ArrayLength($.a[*].x)", R"({"a":[{"x":1},{"x":2}]})"), "2");
}

TEST_F(IntrinsicsTest, ArrayRange) {
  EXPECT_EQ(Run("States.ArrayRange(1, 9, 2)"), "[1,3,5,7,9]");
  EXPECT_EQ(Run("States.ArrayRange(5, 1, -2)"), "[5,3,1]");
  EXPECT_EQ(Run("States.ArrayRange(3, 3, -1)"), "[3]");
  EXPECT_EQ(Run("States.ArrayRange(5, 1, 1)"), "[]");
  // AWS truncates fractional arguments.
  EXPECT_EQ(Run("States.ArrayRange(1.6, 1.4, 1)"), "[1]");
  EXPECT_EQ(Run("States.ArrayRange(5.4, -0.6, -2.4)"), "[5,3,1]");
  EXPECT_EQ(Run("States.ArrayRange(1, 10, 0.49)"), "ERR: Invalid arguments in States.ArrayRange");
  EXPECT_EQ(Run("States.ArrayRange(1, 1001, 1)"), "ERR: Invalid arguments in States.ArrayRange");
  EXPECT_NE(Run("States.ArrayRange(1000, 1, -1)").substr(0, 4), "ERR:");
  EXPECT_EQ(Run("States.ArrayRange(1, $.e, 1)", R"({"e":"x"})"),
            "ERR: Invalid arguments in States.ArrayRange");
  EXPECT_EQ(Run("States.ArrayRange('a', 5, 1)").substr(0, 6), "PARSE:");
}

TEST_F(IntrinsicsTest, Base64) {
  EXPECT_EQ(Run("States.Base64Encode('Data to encode')"), R"("RGF0YSB0byBlbmNvZGU=")");
  EXPECT_EQ(Run("States.Base64Encode('')"), R"("")");
  EXPECT_EQ(Run("States.Base64Encode('ab')"), R"("YWI=")");
  EXPECT_EQ(Run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), R"("Data to encode")");
  EXPECT_EQ(Run("States.Base64Decode($.s)", R"({"s":"YW\r\nI="})"), R"("ab")");
  EXPECT_EQ(Run("States.Base64Decode('Y')"), "ERR: Invalid arguments in States.Base64Decode");
  std::string big(10001, 'a');
  EXPECT_NE(Run("States.Base64Encode($.s)", "{\"s\":\"" + big + "\"}").find("ERR: Invalid"),
            std::string::npos);
  EXPECT_EQ(Run("States.Base64Encode($.s)", "{\"s\":\"" + big.substr(1) + "\"}").substr(0, 4),
            "\"YWF");
}

TEST_F(IntrinsicsTest, HashMatchesAws) {
  EXPECT_EQ(Run("States.Hash('input data', 'MD5')"), R"("812f45842bc6d66ee14572ce20db8e86")");
  EXPECT_EQ(Run("States.Hash('input data', 'SHA-1')"),
            R"("aaff4a450a104cd177d28d18d74485e8cae074b7")");
  EXPECT_EQ(Run("States.Hash('input data', 'SHA-256')"),
            R"("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")");
  EXPECT_EQ(Run("States.Hash('input data', 'SHA-384')"),
            R"("d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562")");
  EXPECT_EQ(Run("States.Hash('input data', 'SHA-512')"),
            R"("6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4")");
  EXPECT_EQ(Run("States.Hash('x', 'SHA-3')").substr(0, 40),
            "ERR: Invalid arguments in States.Hash: t");
}

TEST_F(IntrinsicsTest, JsonMerge) {
  EXPECT_EQ(Run("States.JsonMerge($.a, $.b, false)", R"({"a":{"x":1,"y":{"p":1}},"b":{"y":{"q":2},"z":3}})"),
            R"({"x":1,"y":{"q":2},"z":3})");
  EXPECT_EQ(Run("States.JsonMerge($.a, $.b, true)", R"({"a":{},"b":{}})").substr(0, 6), "PARSE:");
  EXPECT_EQ(Run("States.JsonMerge($.a, $.b, $.d)", R"({"a":{},"b":{},"d":true})"),
            "ERR: Invalid arguments in States.JsonMerge");
  EXPECT_EQ(Run("States.JsonMerge($.a, $.b, false)", R"({"a":[],"b":{}})"),
            "ERR: Invalid arguments in States.JsonMerge");
  EXPECT_EQ(Run("States.JsonMerge(States.StringToJson('{\"c\": \"f\"}'), $$.StateMachine, false)"),
            R"({"c":"f","Name":"alpha-beta-gamma"})");
}

TEST_F(IntrinsicsTest, MathAddRoundsLikeJava) {
  EXPECT_EQ(Run("States.MathAdd(-9, 3)"), "-6");
  EXPECT_EQ(Run("States.MathAdd(1.49, 1.5)"), "3");
  EXPECT_EQ(Run("States.MathAdd(-1.5, 0)"), "-1");
  EXPECT_EQ(Run("States.MathAdd(-2.5, 0)"), "-2");
  EXPECT_EQ(Run("States.MathAdd(2.5, 0)"), "3");
  EXPECT_EQ(Run("States.MathAdd(-1.5, -1.51)"), "-3");
  EXPECT_EQ(Run("States.MathAdd($.a, 1)", R"({"a":"1"})"), "ERR: Invalid arguments in States.MathAdd");
  // A sum past int64 (found by fuzz_intrinsics) is an error, not overflow.
  EXPECT_EQ(Run("States.MathAdd(9223372036854775807, 1)"),
            "ERR: States.MathAdd: the sum is outside the range of a 64-bit integer");
}

TEST_F(IntrinsicsTest, MathRandom) {
  std::string seeded = Run("States.MathRandom(1, 100, 42)");
  EXPECT_EQ(Run("States.MathRandom(1, 100, 42)"), seeded);
  int v = std::stoi(seeded);
  EXPECT_GE(v, 1);
  EXPECT_LT(v, 100);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string r = Run("States.MathRandom(12.5, 44.51)");
    int x = std::stoi(r);
    EXPECT_GE(x, 12);
    EXPECT_LT(x, 44);
    seen.insert(r);
  }
  EXPECT_GT(seen.size(), 5u);
  EXPECT_EQ(Run("States.MathRandom(1, 1)"), "ERR: Invalid arguments in States.MathRandom");
  EXPECT_EQ(Run("States.MathRandom(1.49, 1.49)"), "ERR: Invalid arguments in States.MathRandom");
  EXPECT_EQ(Run("States.MathRandom(1, 10, $.s)", R"({"s":null})"),
            "ERR: Invalid arguments in States.MathRandom");

  input_ = J("{}");
  EvalContext no_random{&input_, nullptr, nullptr, nullptr};
  auto c = IntrinsicCall::Parse("States.MathRandom(1, 10)");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->Evaluate(no_random).ok());
}

TEST_F(IntrinsicsTest, StringSplit) {
  EXPECT_EQ(Run("States.StringSplit($.s, ',')", R"({"s":"1,2,3"})"), R"(["1","2","3"])");
  EXPECT_EQ(Run("States.StringSplit($.s, ',')", R"({"s":", , ,"})"), R"([" "," "])");
  EXPECT_EQ(Run("States.StringSplit($.s, ',')", R"({"s":",,,,"})"), "[]");
  EXPECT_EQ(Run("States.StringSplit($.s, '.+,=')", R"({"s":"This.is+a,test=string"})"),
            R"(["This","is","a","test","string"])");
  EXPECT_EQ(Run("States.StringSplit('Hello\nWorld', '\n')"), R"(["Hello","World"])");
  EXPECT_EQ(Run("States.StringSplit('aéb', 'é')"), R"(["a","b"])");
  EXPECT_EQ(Run("States.StringSplit($.s, ',')", R"({"s":1})"),
            "ERR: Invalid arguments in States.StringSplit");
}

TEST_F(IntrinsicsTest, UuidIsV4) {
  std::string a = Run("States.UUID()");
  std::string b = Run("States.UUID()");
  ASSERT_EQ(a.size(), 38u) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(a[15], '4');
  EXPECT_TRUE(a[20] == '8' || a[20] == '9' || a[20] == 'a' || a[20] == 'b') << a;
  EXPECT_EQ(a[9], '-');
}

TEST_F(IntrinsicsTest, NestedCallsAndContextPaths) {
  EXPECT_EQ(Run("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)"),
            R"("alpha")");
  EXPECT_EQ(Run("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
                "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, "
                "'-')), -1))"),
            R"("gamma")");
}

TEST_F(IntrinsicsTest, VariablePathArguments) {
  vars_["name"] = "John";
  vars_["obj"] = J(R"({"list":[1,2]})");
  EXPECT_EQ(Run("States.Format('Hello {}', $name)"), R"("Hello John")");
  EXPECT_EQ(Run("States.ArrayLength($obj.list)"), "2");
}

TEST_F(IntrinsicsTest, MissingPathArgumentFails) {
  EXPECT_EQ(Run("States.Format('{}', $.nope)", R"({"a":1})"),
            "ERR: The function 'States.Format('{}', $.nope)' had the following error: The "
            "JsonPath argument for the field '$.nope' could not be found in the input "
            "'{\"a\":1}'");
}

TEST_F(IntrinsicsTest, PathArgumentsMayContainCommasAndParens) {
  EXPECT_EQ(Run("States.Array($.a[0,1], $.b[?(@.x == 'a,b')].x)",
                R"({"a":[1,2,3],"b":[{"x":"a,b"},{"x":"c"}]})"),
            R"([[1,2],["a,b"]])");
}

TEST_F(IntrinsicsTest, NestingLimit) {
  std::string ok = "'x'";
  for (int i = 0; i < kMaxIntrinsicNesting; ++i) ok = "States.Array(" + ok + ")";
  EXPECT_TRUE(IntrinsicCall::Parse(ok).ok());
  EXPECT_FALSE(IntrinsicCall::Parse("States.Array(" + ok + ")").ok());
}

TEST_F(IntrinsicsTest, ParseErrors) {
  for (std::string_view bad :
       {"States.Nope(1)", "States.Format", "States.Format('x'", "States.Format('x) ",
        "States.UUID(1)", "States.MathAdd(1)", "States.ArrayRange(1, 2)",
        "States.MathRandom(1, 2, 3, 4)", "States.Format('a\\nb')", "States.Format('x') extra",
        "States.Array(@)", "States.Array($.a b)", "States.Array(1,)", "$.a",
        "States.StringSplit(1, ',')", "States.Hash('a', 1)"}) {
    auto c = IntrinsicCall::Parse(bad);
    EXPECT_FALSE(c.ok()) << "accepted: " << bad;
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST_F(IntrinsicsTest, KeepsText) {
  auto c = IntrinsicCall::Parse("States.UUID()");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->text(), "States.UUID()");
}

}  // namespace
}  // namespace stepwise::asl
