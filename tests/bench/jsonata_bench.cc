// Benchmarks of JSONata in ASL: a typical Arguments/Output template (five
// "{% %}" expressions and a constant) over a ~1 KiB state, compiled once as
// a definition does and evaluated per iteration with $states bound as the
// interpreter binds it. Budget: <= 5 us per evaluation of the template.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "asl/jsonata_template.h"
#include "jsonata/jsonata.h"

namespace stepwise::asl {
namespace {

// About 1 KiB of JSON, the same document interpreter_bench uses.
std::string StateJson() {
  std::string s = R"({"order":{"id":"ord-0001","customer":{"name":"Ada Lovelace",)"
                  R"("email":"ada@example.com","tier":"gold"},"total":1234.5,"currency":"EUR",)"
                  R"("lines":[)";
  for (int i = 0; i < 8; ++i) {
    absl::StrAppend(&s, i == 0 ? "" : ",", R"({"sku":"SKU-)", 1000 + i,
                    R"(","qty":)", i + 1, R"(,"price":)", 10 + i, R"(.25,"tags":["a","b"]})");
  }
  s += R"(]},"flags":{"express":false,"gift":true,"retries":3},"note":")";
  s += std::string(200, 'x');
  s += R"(","count":7})";
  return s;
}

json::value Parse(const std::string& text) {
  auto v = ParseJson(text);
  if (!v.ok()) {
    std::cerr << "bench json: " << v.status() << "\n";
    std::abort();
  }
  return *std::move(v);
}

JsonataBindings Bindings() {
  json::object states;
  states["input"] = Parse(StateJson());
  states["context"] = Parse(
      R"({"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:m:e",)"
      R"("Name":"e","StartTime":"2024-01-01T00:00:00.000Z"},)"
      R"("State":{"Name":"Prepare","EnteredTime":"2024-01-01T00:00:00.000Z"}})");
  JsonataBindings b;
  b["states"] = std::move(states);
  return b;
}

// The template: a field lookup, a string concatenation, an aggregate over a
// computed path, a filter and a boolean test.
constexpr char kTemplate[] = R"({
  "orderId": "{% $states.input.order.id %}",
  "customer": "{% $states.input.order.customer.name & ' <' & $states.input.order.customer.email & '>' %}",
  "total": "{% $sum($states.input.order.lines.(qty * price)) %}",
  "bulkSkus": "{% $states.input.order.lines[qty > 4].sku %}",
  "rush": "{% $states.input.flags.express or $states.input.count > 5 %}",
  "version": "v1"
})";

void BM_ArgumentsTemplate(benchmark::State& state) {
  auto compiled = JsonataTemplate::Compile(Parse(kTemplate));
  if (!compiled.ok()) {
    state.SkipWithError("template does not compile");
    return;
  }
  JsonataBindings bindings = Bindings();
  for (auto _ : state) {
    auto out = compiled->Evaluate(bindings, "Arguments");
    if (!out.ok()) {
      state.SkipWithError("template evaluation failed");
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ArgumentsTemplate);

// One expression alone, for the per-expression share of the template.
void BM_OneExpression(benchmark::State& state) {
  auto expr = jsonata::Expression::Compile("$sum($states.input.order.lines.(qty * price))");
  if (!expr.ok()) {
    state.SkipWithError("expression does not compile");
    return;
  }
  JsonataBindings bindings = Bindings();
  for (auto _ : state) {
    auto out = expr->Evaluate(nullptr, bindings);
    if (!out.ok()) {
      state.SkipWithError("evaluation failed");
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OneExpression);

// Each expression of the template alone (argument: its index), with $states
// prepared per evaluation as the template does: where the template's time
// goes.
void BM_TemplateExpression(benchmark::State& state) {
  static constexpr const char* kExpressions[] = {
      "$states.input.order.id",
      "$states.input.order.customer.name & ' <' & $states.input.order.customer.email & '>'",
      "$sum($states.input.order.lines.(qty * price))",
      "$states.input.order.lines[qty > 4].sku",
      "$states.input.flags.express or $states.input.count > 5",
  };
  auto expr = jsonata::Expression::Compile(kExpressions[state.range(0)]);
  if (!expr.ok()) {
    state.SkipWithError("expression does not compile");
    return;
  }
  JsonataBindings bindings = Bindings();
  for (auto _ : state) {
    jsonata::PreparedBindings prepared(bindings);
    auto out = expr->Evaluate(nullptr, prepared);
    if (!out.ok()) {
      state.SkipWithError("evaluation failed");
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TemplateExpression)->DenseRange(0, 4);

}  // namespace
}  // namespace stepwise::asl

BENCHMARK_MAIN();
