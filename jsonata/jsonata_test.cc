#include "jsonata/jsonata.h"

#include <atomic>
#include <thread>
#include <vector>

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

TEST(JsonataTest, BlocksScopeTheirBindings) {
  // A block that binds has its own frame; one that cannot shares its
  // enclosing frame (MarkScopes), which must not change what is visible.
  EXPECT_EQ(Eval("($x := 1; ($x := 2; $x) + $x)"), "3");
  EXPECT_EQ(Eval("($x := 1; (true ? $x := 5 : 0); $x)"), "1");
  EXPECT_EQ(Eval("($x := 1; ($f := function() { $x }); $exists($f))"), "false");
  EXPECT_EQ(Eval("a.(b * 2)", R"({"a":[{"b":1},{"b":2}]})"), "[2,4]");
  EXPECT_EQ(Eval("($y := 3; a.($z := b; $z + $y))", R"({"a":[{"b":1},{"b":2}]})"), "[4,5]");
  EXPECT_EQ(Eval("($g := function($v) { ($v * 10) }; $map([1,2], $g))"), "[10,20]");
}

TEST(JsonataTest, PathsOverSingleObjectsAndArraysAgree) {
  // Plain-name prefixes are walked directly; arrays hand over to the
  // general rules (flattening, singletons, sequences).
  const char* doc = R"({"a":{"b":{"c":[1,2],"d":[{"e":1},{"e":[2,3]}],"s":[7]}}})";
  EXPECT_EQ(Eval("a.b.c", doc), "[1,2]");
  EXPECT_EQ(Eval("a.b.s", doc), "[7]");
  EXPECT_EQ(Eval("a.b.d.e", doc), "[1,2,3]");
  EXPECT_EQ(Eval("a.b.s.x", doc), "undefined");
  EXPECT_EQ(Eval("a.b.c[1]", doc), "2");
  EXPECT_EQ(Eval("a.missing.c", doc), "undefined");
  EXPECT_EQ(Eval("$.a.b.s", doc), "[7]");
  EXPECT_EQ(Eval("$.a", "[{\"a\":1},{\"a\":2}]"), "[1,2]");
  EXPECT_EQ(Eval("($v := a.b; $v.d.e)", doc), "[1,2,3]");
  // A general step after the walk, over the one object it reached (the
  // expected results are jsonata 2.0.6's).
  EXPECT_EQ(Eval("a.b.d[e > 1].e", doc), "error T2010");
  EXPECT_EQ(Eval("a.b.d[e = 1].e", doc), "1");
  EXPECT_EQ(Eval("a.b.(c)", doc), "[1,2]");
  EXPECT_EQ(Eval("a.b.$count(c)", doc), "2");
  EXPECT_EQ(Eval("a.b.*", doc), "[1,2,{\"e\":1},{\"e\":[2,3]},7]");
  EXPECT_EQ(Eval("a.b[c]", doc), "undefined");
  EXPECT_EQ(Eval("a.b[true].s", doc), "[7]");
  EXPECT_EQ(Eval("a.b.x[0]", doc), "undefined");
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

TEST(JsonataTest, DefaultLimitsStopHostileExpressions) {
  // With the daemon's default limits each of these ends in U1001 (or the
  // reference's own error) instead of exhausting memory, time or stack.
  EXPECT_EQ(Eval("($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100000))"),
            "error U1001");
  EXPECT_EQ(Eval("($f := function($n){$f($n + 1)}; $f(0))"), "error U1001");
  EXPECT_EQ(Eval("$count([1..10000000])"), "error U1001");
  EXPECT_EQ(Eval("$reduce([1..5000000], function($a, $b){$a + $b})"), "error U1001");
  EXPECT_EQ(Eval("$length($pad('', 100000000))"), "error U1001");
  EXPECT_EQ(Eval("$length($reduce([1..40], function($a, $b){$a & $a}, 'x'))"), "error U1001");
  EXPECT_EQ(Eval("$count($reduce([1..40], function($a, $b){$append($a, $a)}, [1]))"),
            "error U1001");
  // A small graph of shared objects standing for a 2^40-node document.
  EXPECT_EQ(Eval("$reduce([1..40], function($a, $b){{'a': $a, 'b': $a}}, 1)"), "error U1001");
  EXPECT_EQ(Eval("$string($reduce([1..40], function($a, $b){{'a': $a, 'b': $a}}, 1))"),
            "error U1001");
  EXPECT_EQ(Eval("$length($join($map([1..100000], function($v){$pad('', 1000)}), ''))"),
            "error U1001");
  // Catastrophic backtracking is cut off by the regex engine.
  EXPECT_EQ(Eval("$match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /(a+)+$/)"), "error D1004");
  // Nesting beyond the parser's depth is a syntax error, not a crash.
  EXPECT_EQ(Eval(std::string(100000, '(') + "1" + std::string(100000, ')')), "error S0201");
  EXPECT_EQ(Eval(std::string(100000, '-') + "1"), "error S0201");
  // Within the limits the same shapes still work.
  EXPECT_EQ(Eval("$count([1..100000])"), "100000");
  EXPECT_EQ(Eval("$length($pad('', 1000))"), "1000");
}

std::string EvalReference(const std::string& expr, const std::string& input = "null") {
  auto in = ParseJson(input);
  EXPECT_TRUE(in.ok());
  auto e = Expression::Compile(expr, Dialect::kReference);
  if (!e.ok()) return "error " + ErrorCode(e.status());
  auto r = e->Evaluate(&*in, {});
  if (!r.ok()) return "error " + ErrorCode(r.status()) + " " + std::string(r.status().message());
  if (!r->has_value()) return "undefined";
  return ToJsString(**r);
}

TEST(JsonataTest, EvalIsAbsentFromTheAwsDialect) {
  EXPECT_EQ(Eval("$eval('1 + 1')"), "error T1006");
  EXPECT_EQ(Eval("$exists($eval)"), "false");
  EXPECT_EQ(EvalReference("$exists($eval)"), "true");
}

TEST(JsonataTest, ReferenceDialectEvaluatesEvalInTheCallersEnvironment) {
  EXPECT_EQ(EvalReference("$eval('[1,$string(2),3]')"), "[1,\"2\",3]");
  EXPECT_EQ(EvalReference("$eval(nothing)"), "undefined");
  // The context defaults to the caller's input; a given array is one value.
  EXPECT_EQ(EvalReference("a.$eval('b * 2')", R"({"a":[{"b":1},{"b":2}]})"), "[2,4]");
  EXPECT_EQ(EvalReference("$eval('$count($)', [1,2,3])"), "3");
  EXPECT_EQ(EvalReference("($x := 5; $eval('$x + 1'))"), "6");
  // A lambda made by $eval outlives the call that parsed it.
  EXPECT_EQ(EvalReference("($f := $eval('function($v){$v * 3}'); $map([1,2], $f))"), "[3,6]");
  EXPECT_EQ(EvalReference("$eval('[1,#string(2),3]')"),
            "error D3120 D3120: Syntax error in expression passed to function eval: "
            "jsonata error (token '#') at position 3");
  EXPECT_EQ(EvalReference("$eval('1 + \"a\"')").substr(0, 12), "error D3121 ");
  // The evaluation limits bound what $eval runs too, and stay U1001.
  EXPECT_EQ(EvalReference("$eval('($f := function($n){1 + $f($n + 1)}; $f(0))')").substr(0, 12),
            "error U1001 ");
}

TEST(JsonataTest, LimitsHoldForFieldsAndLiteralsReadDirectly) {
  // Plain names and literals skip the general evaluation (TryLeaf); the
  // limits still apply to what they read.
  EvalLimits limits;
  limits.max_string_bytes = 8;
  auto input = ParseJson(R"({"s": "0123456789", "t": "ok"})");
  ASSERT_TRUE(input.ok());
  for (const char* text : {"s", "t & s", "s = 'x'", "$count([s])", "'0123456789' = t", "[t, s]"}) {
    auto e = Expression::Compile(text);
    ASSERT_TRUE(e.ok()) << text;
    auto r = e->Evaluate(&*input, {}, limits);
    EXPECT_EQ(ErrorCode(r.status()), "U1001") << text;
  }
  limits = EvalLimits();
  limits.max_steps = 3;
  auto e = Expression::Compile("t & t & t & t");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(ErrorCode(e->Evaluate(&*input, {}, limits).status()), "U1001");
}

TEST(JsonataTest, ExpressionsSharingPreparedBindingsDoNotSeeEachOthersVariables) {
  // Expressions without an input that bind nothing at the top share one
  // frame of the bindings; one that binds gets its own.
  std::map<std::string, json::value> bindings;
  bindings["x"] = 1;
  PreparedBindings prepared(bindings);
  auto show = [&](const char* text) {
    auto e = Expression::Compile(text);
    EXPECT_TRUE(e.ok()) << text;
    auto r = e->Evaluate(nullptr, prepared);
    if (!r.ok()) return "error " + ErrorCode(r.status());
    return r->has_value() ? ToJsString(**r) : std::string("undefined");
  };
  EXPECT_EQ(show("$x"), "1");
  EXPECT_EQ(show("$y := 5"), "5");
  EXPECT_EQ(show("$y"), "undefined");
  EXPECT_EQ(show("$x := 7"), "7");
  EXPECT_EQ(show("$x"), "1");
  EXPECT_EQ(show("($x := 2; $x)"), "2");
  EXPECT_EQ(show("true ? ($z := 3) : 0"), "3");
  EXPECT_EQ(show("$z"), "undefined");
  EXPECT_EQ(show("$map([1, 2], function($v) { $v + $x })"), "[2,3]");
  EXPECT_EQ(show("$"), "undefined");
}

TEST(JsonataTest, ThreadsEvaluateOneCompiledExpressionAtOnce) {
  // Compiled trees (string literals) and the function library are shared
  // by every thread; values count references without atomics, so what is
  // shared must never be counted (run under ThreadSanitizer by the tsan
  // preset).
  struct Case {
    const char* text;
    const char* expected;  // with input {"n": N, "s": "t<N>"} for N = thread
  };
  const std::vector<Case> cases = {
      {"'id-' & s & '-' & $string(n)", "\"id-t%-%\""},
      {"$uppercase(s) & 'x'", "\"T%x\""},
      {"$map([1, 2, 3], function($v) { $v * n })", "[%1,%2,%3]"},
      {"{'k': s, 'l': [s, 'c'], 'f': $sum([n, n])}", "{\"k\":\"t%\",\"l\":[\"t%\",\"c\"],\"f\":%2}"},
      {"$replace(s, /t/, 'u')", "\"u%\""},
      {"($f := function($a) { $a & 'z' }; $f(s))", "\"t%z\""},
      {"$ ~> |$|{'m': 'w'}| ~> $keys()", "[\"n\",\"s\",\"m\"]"},
      {"$states.input.a[v > 1].w", "[\"b\",\"c\"]"},
  };
  std::vector<Expression> compiled;
  for (const Case& c : cases) {
    auto e = Expression::Compile(c.text);
    ASSERT_TRUE(e.ok()) << c.text << ": " << e.status();
    compiled.push_back(*std::move(e));
  }
  // The expected text with % standing for the thread's number (%1, %2: the
  // number times 1, 2).
  auto expected = [](std::string text, int n) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '%') {
        out.push_back(text[i]);
      } else if (i + 1 < text.size() && text[i + 1] >= '1' && text[i + 1] <= '9') {
        out += std::to_string(n * (text[i + 1] - '0'));
        ++i;
      } else {
        out += std::to_string(n);
      }
    }
    return out;
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 4;
  for (int t = 1; t <= kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto input = ParseJson("{\"n\": " + std::to_string(t) + ", \"s\": \"t" + std::to_string(t) +
                             "\"}");
      std::map<std::string, json::value> bindings;
      bindings["states"] = *ParseJson(R"({"input":{"a":[{"v":1,"w":"a"},{"v":2,"w":"b"},{"v":3,"w":"c"}]}})");
      for (int i = 0; i < 200; ++i) {
        PreparedBindings prepared(bindings);
        for (size_t c = 0; c < compiled.size(); ++c) {
          auto r = compiled[c].Evaluate(c + 1 == compiled.size() ? nullptr : &*input, prepared);
          std::string got = r.ok() && r->has_value() ? ToJsString(**r) : "failed";
          if (got != expected(cases[c].expected, t)) {
            if (failures.fetch_add(1) < 5) {
              ADD_FAILURE() << cases[c].text << " on thread " << t << ": " << got;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace stepwise::jsonata
