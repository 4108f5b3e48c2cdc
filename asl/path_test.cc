#include "asl/path.h"

#include <string>

#include "asl/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

json::value J(std::string_view text) {
  auto v = ParseJson(absl::string_view(text.data(), text.size()));
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return v.ok() ? *v : json::value();
}

JsonPath P(std::string_view text) {
  auto p = JsonPath::Parse(text);
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

// Evaluates `path` on `doc` and returns the compact JSON, or "<none>".
std::string Eval(std::string_view path, std::string_view doc) {
  json::value d = J(doc);
  EvalContext env;
  env.input = &d;
  auto p = JsonPath::Parse(path);
  if (!p.ok()) return "<parse error: " + std::string(p.status().message()) + ">";
  std::optional<json::value> v = p->Evaluate(env);
  return v ? SerializeJson(*v) : "<none>";
}

constexpr std::string_view kStore = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "Rings", "isbn": "0-395", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "a b": 1,
  "n": null
})";

TEST(JsonPathTest, FilterNestingIsCappedNotAStackOverflow) {
  // 100 levels parse; deeper ones (here 20,000, about 40 KB of path, well
  // under the definition limit) are refused with a message, not a crash.
  auto nested = [](int depth, std::string_view open, std::string_view close) {
    std::string p = "$.a[?(";
    for (int i = 0; i < depth - 1; ++i) p += open;
    p += "@.b == 1";
    for (int i = 0; i < depth - 1; ++i) p += close;
    return p + ")]";
  };
  EXPECT_TRUE(JsonPath::Parse(nested(100, "(", ")")).ok());
  for (auto [open, close] : {std::pair{"(", ")"}, std::pair{"!", ""}}) {
    auto deep = JsonPath::Parse(nested(20000, open, close));
    ASSERT_FALSE(deep.ok());
    EXPECT_THAT(std::string(deep.status().message()),
                testing::HasSubstr("filter nested more than 100 levels deep"));
  }
  std::string inner = "@.x";
  for (int i = 0; i < 150; ++i) inner = "@.a[?(" + inner + ")]";
  EXPECT_FALSE(JsonPath::Parse("$.a[?(" + inner + ")]").ok());
}

TEST(JsonPathTest, RootReturnsWholeDocument) {
  EXPECT_EQ(Eval("$", R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(Eval("$", "5"), "5");
}

TEST(JsonPathTest, DotAndBracketProperties) {
  EXPECT_EQ(Eval("$.store.bicycle.color", kStore), R"("red")");
  EXPECT_EQ(Eval("$['store']['bicycle']['color']", kStore), R"("red")");
  EXPECT_EQ(Eval("$[\"store\"].bicycle", kStore), R"({"color":"red","price":19.95})");
  EXPECT_EQ(Eval("$['a b']", kStore), "1");
  EXPECT_EQ(Eval("$.n", kStore), "null");
}

TEST(JsonPathTest, MissingDefinitePathIsNullopt) {
  EXPECT_EQ(Eval("$.nope", kStore), "<none>");
  EXPECT_EQ(Eval("$.store.nope.x", kStore), "<none>");
  EXPECT_EQ(Eval("$.store.bicycle.color.x", kStore), "<none>");
  EXPECT_EQ(Eval("$.store.book[10]", kStore), "<none>");
}

TEST(JsonPathTest, ArrayIndexesIncludingNegative) {
  EXPECT_EQ(Eval("$.store.book[0].author", kStore), R"("Nigel Rees")");
  EXPECT_EQ(Eval("$.store.book[-1].title", kStore), R"("Rings")");
  EXPECT_EQ(Eval("$.store.book[-5]", kStore), "<none>");
  EXPECT_EQ(Eval("$[1]", "[10,20]"), "20");
}

TEST(JsonPathTest, WildcardsReturnArrays) {
  EXPECT_EQ(Eval("$.store.book[*].price", kStore), "[8.95,12.99,8.99,22.99]");
  EXPECT_EQ(Eval("$.store.bicycle.*", kStore), R"(["red",19.95])");
  EXPECT_EQ(Eval("$[*]", "{}"), "[]");
  EXPECT_EQ(Eval("$.items[*].x", "{}"), "[]");
}

TEST(JsonPathTest, Slices) {
  std::string doc = "[0,1,2,3,4]";
  EXPECT_EQ(Eval("$[1:3]", doc), "[1,2]");
  EXPECT_EQ(Eval("$[-2:]", doc), "[3,4]");
  EXPECT_EQ(Eval("$[:2]", doc), "[0,1]");
  EXPECT_EQ(Eval("$[3:]", doc), "[3,4]");
  EXPECT_EQ(Eval("$[:-1]", doc), "[0,1,2,3]");
  EXPECT_EQ(Eval("$[2:100]", doc), "[2,3,4]");
  EXPECT_EQ(Eval("$[3:1]", doc), "[]");
  EXPECT_EQ(Eval("$.item.items[1:5].v", "{}"), "[]");
}

TEST(JsonPathTest, Unions) {
  EXPECT_EQ(Eval("$[0,2]", "[5,6,7]"), "[5,7]");
  // Jayway merges a multi-property leaf into one object.
  EXPECT_EQ(Eval("$['a','c']", R"({"a":1,"b":2,"c":3})"), R"({"a":1,"c":3})");
  EXPECT_EQ(Eval("$.x['a','b'].v", R"({"x":{"a":{"v":1},"b":{"v":2}}})"), "[1,2]");
}

TEST(JsonPathTest, RecursiveDescent) {
  EXPECT_EQ(Eval("$..author", kStore),
            R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  EXPECT_EQ(Eval("$..book[2].title", kStore), R"(["Moby Dick"])");
  EXPECT_EQ(Eval("$.store..price", kStore), "[8.95,12.99,8.99,22.99,19.95]");
  EXPECT_EQ(Eval("$..x", R"({"x":1,"a":{"x":2,"b":[{"x":3}]}})"), "[1,2,3]");
}

TEST(JsonPathTest, Filters) {
  EXPECT_EQ(Eval("$.store.book[?(@.price < 10)].title", kStore), R"(["Sayings","Moby Dick"])");
  EXPECT_EQ(Eval("$.store.book[?(@.category == 'reference')].author", kStore),
            R"(["Nigel Rees"])");
  EXPECT_EQ(Eval("$.store.book[?(@.isbn)].title", kStore), R"(["Moby Dick","Rings"])");
  EXPECT_EQ(Eval("$.store.book[?(@.price > 10 && @.category == 'fiction')].title", kStore),
            R"(["Sword","Rings"])");
  EXPECT_EQ(Eval("$.store.book[?(@.price < 9 || @.price > 20)].title", kStore),
            R"(["Sayings","Moby Dick","Rings"])");
  EXPECT_EQ(Eval("$.store.book[?(!(@.price < 10))].title", kStore), R"(["Sword","Rings"])");
  EXPECT_EQ(Eval("$.store.book[?(@.author =~ /.*melville/i)].title", kStore),
            R"(["Moby Dick"])");
  EXPECT_EQ(Eval("$.store.book[?(@.price <= $.store.bicycle.price)].title", kStore),
            R"(["Sayings","Sword","Moby Dick"])");
  EXPECT_EQ(Eval("$.users[?(@.status == 0)]",
                 R"({"users":[{"year":1997,"status":0},{"year":1998,"status":1}]})"),
            R"([{"year":1997,"status":0}])");
  EXPECT_EQ(Eval("$[?(@.t in ['a','b'])].t", R"([{"t":"a"},{"t":"c"},{"t":"b"}])"),
            R"(["a","b"])");
  EXPECT_EQ(Eval("$[?(@.t != 'a')].t", R"([{"t":"a"},{"t":"c"}])"), R"(["c"])");
  EXPECT_EQ(Eval("$[?(@ > 1)]", "[1,2,3]"), "[2,3]");
}

TEST(JsonPathTest, EscapedQuotesInBracketNamesStayLiteral) {
  // From the AWS-recorded escape-sequence case.
  EXPECT_EQ(Eval(R"($['Test\""Name"'])", R"({"Test\\\"\"Name\"":"Value\"\\"})"),
            R"("Value\"\\")");
  EXPECT_EQ(Eval(R"($['it\'s'])", R"({"it's":1})"), "1");
}

TEST(JsonPathTest, ContextAndVariablePaths) {
  json::value input = J(R"({"a":1})");
  json::value ctx = J(R"({"Execution":{"Id":"arn:x","Input":{"k":"v"}}})");
  json::object vars;
  vars["myVar"] = J(R"({"f":[10,20]})");
  vars["n"] = 5;
  EvalContext env{&input, &ctx, &vars, nullptr};

  JsonPath id = P("$$.Execution.Id");
  EXPECT_TRUE(id.IsContextPath());
  EXPECT_FALSE(id.IsReferencePath());
  EXPECT_EQ(SerializeJson(*id.Evaluate(env)), R"("arn:x")");
  EXPECT_EQ(SerializeJson(*P("$$").Evaluate(env)), SerializeJson(ctx));
  EXPECT_EQ(SerializeJson(*P("$$.Execution.Input.k").Evaluate(env)), R"("v")");

  JsonPath var = P("$myVar.f[1]");
  EXPECT_TRUE(var.IsVariablePath());
  EXPECT_FALSE(var.IsReferencePath());
  EXPECT_EQ(SerializeJson(*var.Evaluate(env)), "20");
  EXPECT_EQ(SerializeJson(*P("$n").Evaluate(env)), "5");
  EXPECT_FALSE(P("$other").Evaluate(env).has_value());

  EvalContext bare{&input, nullptr, nullptr, nullptr};
  EXPECT_FALSE(id.Evaluate(bare).has_value());
  EXPECT_FALSE(var.Evaluate(bare).has_value());
}

TEST(JsonPathTest, Classification) {
  EXPECT_TRUE(P("$").IsDefinite());
  EXPECT_TRUE(P("$.a[0].b").IsDefinite());
  EXPECT_TRUE(P("$.a[0].b").IsReferencePath());
  EXPECT_FALSE(P("$.a[*]").IsDefinite());
  EXPECT_FALSE(P("$..a").IsDefinite());
  EXPECT_FALSE(P("$.a[1:2]").IsDefinite());
  EXPECT_FALSE(P("$.a[0,1]").IsDefinite());
  EXPECT_FALSE(P("$.a[?(@.x)]").IsReferencePath());
  EXPECT_EQ(P("$.a.b").text(), "$.a.b");
}

TEST(JsonPathTest, RejectsMalformedPaths) {
  for (std::string_view bad : {"", "a.b", "$.", "$.a.", "$[", "$['a'", "$[?(@.a ==)]",
                               "$.a b", "$.length()", "$[abc]", "$..", "$.a]"}) {
    auto p = JsonPath::Parse(bad);
    EXPECT_FALSE(p.ok()) << "accepted: " << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(JsonPathTest, NormalizedTextFollowsJayway) {
  EXPECT_EQ(P("$").NormalizedText(), "$");
  EXPECT_EQ(P("$.a.b[0]").NormalizedText(), "$['a']['b'][0]");
  EXPECT_EQ(P("$['a b'][*]").NormalizedText(), "$['a b'][*]");
  EXPECT_EQ(P("$..x[1:3]").NormalizedText(), "$..['x'][1:3]");
  EXPECT_EQ(P("$.a[?(@.x)]").NormalizedText(), "$['a'][?]");
  EXPECT_EQ(P("$[-2:]").NormalizedText(), "$[-2:]");
  EXPECT_EQ(P("$[0,1]").NormalizedText(), "$[0,1]");
}

TEST(JsonPathTest, FindPointsIntoDocument) {
  json::value d = J(R"({"a":{"b":[1,2]}})");
  EvalContext env{&d, nullptr, nullptr, nullptr};
  const json::value* v = P("$.a.b[1]").Find(env);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v, &d.get_object().at("a").get_object().at("b").get_array()[1]);
  EXPECT_EQ(P("$.a.c").Find(env), nullptr);
  EXPECT_EQ(P("$.a.b[*]").Find(env), nullptr);
}

TEST(JsonPathTest, SelectExplainsMissesLikeAws) {
  json::value d = J(R"({"int-literal":0,"a":{"b":5},"arr":[1]})");
  EvalContext env{&d, nullptr, nullptr, nullptr};
  auto r = P("$.NoSuchInputPath").Select(env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(RuntimeErrorName(r.status()), "States.Runtime");
  EXPECT_EQ(r.status().message(),
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']");
  json::value empty = J("{}");
  EvalContext env2{&empty, nullptr, nullptr, nullptr};
  r = P("$.no.such.result.path").Select(env2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Invalid path '$.no.such.result.path' : Missing property in path $['no']");
  r = P("$.arr[3]").Select(env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Invalid path '$.arr[3]' : No results for path: $['arr'][3]");
  r = P("$.a.b.c").Select(env);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Expected to find an object with property ['c'] in "
                                      "path $['a']['b'] but found 'java.lang.Integer'"),
            std::string::npos)
      << r.status().message();
  auto ok = P("$.a").Select(env);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(SerializeJson(*ok), R"({"b":5})");
  auto many = P("$.zz[*]").Select(env);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(SerializeJson(*many), "[]");
}

TEST(JsonPathTest, AssignReplacesRootOrCreatesIntermediates) {
  json::value d = J(R"({"a":1})");
  ASSERT_TRUE(P("$").Assign(d, J("[1]")).ok());
  EXPECT_EQ(SerializeJson(d), "[1]");

  d = J(R"({"a":1})");
  ASSERT_TRUE(P("$.x.y.z").Assign(d, J("true")).ok());
  EXPECT_EQ(SerializeJson(d), R"({"a":1,"x":{"y":{"z":true}}})");
  ASSERT_TRUE(P("$.a").Assign(d, J(R"("new")")).ok());
  EXPECT_EQ(SerializeJson(d), R"({"a":"new","x":{"y":{"z":true}}})");
  ASSERT_TRUE(P("$.x.y").Assign(d, J("2")).ok());
  EXPECT_EQ(SerializeJson(d), R"({"a":"new","x":{"y":2}})");

  d = J(R"({"l":[{"v":1},{"v":2}]})");
  ASSERT_TRUE(P("$.l[1].v").Assign(d, J("9")).ok());
  ASSERT_TRUE(P("$.l[0]").Assign(d, J("0")).ok());
  EXPECT_EQ(SerializeJson(d), R"({"l":[0,{"v":9}]})");
}

TEST(JsonPathTest, AssignFailsWithoutTouchingDocument) {
  json::value d = J(R"({"a":1,"l":[]})");
  std::string before = SerializeJson(d);
  for (std::string_view path : {"$.a.b", "$.l[0]", "$.l.x", "$.new.l[0]"}) {
    absl::Status st = P(path).Assign(d, J("1"));
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << path;
    EXPECT_EQ(SerializeJson(d), before) << path;
  }
  json::value s = J(R"("str")");
  EXPECT_FALSE(P("$.a").Assign(s, J("1")).ok());
  EXPECT_FALSE(P("$.a[*]").Assign(d, J("1")).ok());
  EXPECT_FALSE(P("$$.a").Assign(d, J("1")).ok());
}

}  // namespace
}  // namespace stepwise::asl
