// Benchmarks of the pure Interpreter: how much CPU one state step costs,
// including the history events it appends. Each benchmark parses its state
// machine once, then times Interpreter::Start() on a fresh ExecutionState
// (the machines have no Task or Wait, so Start runs them to the end) and
// reports per-step figures through the "ns/step" counter and
// items_per_second (one item = one state step). SW_BENCH_INPUT=FILE makes
// FILE the document every benchmark feeds through (bench/side_by_side.sh
// passes the input it gives every other figure).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "asl/definition.h"
#include "asl/eval_context.h"
#include "engine/interpreter.h"

namespace stepwise::engine {
namespace {

constexpr int kChainLength = 100;
constexpr int kMapItems = 100;

// About 1 KiB of JSON: the document every benchmark feeds through, unless
// SW_BENCH_INPUT names a file to read it from.
std::string StateJson() {
  if (const char* path = std::getenv("SW_BENCH_INPUT"); path != nullptr && *path != '\0') {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "SW_BENCH_INPUT: cannot read " << path << "\n";
      std::abort();
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
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

json::value StateValue() {
  auto v = ParseJson(StateJson());
  if (!v.ok()) {
    std::cerr << "bench state: " << v.status() << "\n";
    std::abort();
  }
  return *std::move(v);
}

std::shared_ptr<const asl::StateMachine> Machine(const std::string& text) {
  auto def = ParseJson(text);
  if (!def.ok()) {
    std::cerr << "bench definition: " << def.status() << "\n";
    std::abort();
  }
  auto m = asl::ParseStateMachine(*def);
  if (!m.ok()) {
    std::cerr << "bench definition: " << m.status() << "\n";
    std::abort();
  }
  return *std::move(m);
}

// `n` Pass states in a chain: P0 -> P1 -> ... -> P(n-1) (End).
std::string PassChain(int n) {
  std::string s = R"({"StartAt":"P0","States":{)";
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&s, i == 0 ? "" : ",", "\"P", i, R"(":{"Type":"Pass",)",
                    i + 1 == n ? R"("End":true})" : absl::StrCat("\"Next\":\"P", i + 1, "\"}"));
  }
  return s + "}}";
}

// `n` Choice states in a chain; each tests two fields of the state and
// goes on to the next (the last goes to a Succeed state).
std::string ChoiceChain(int n) {
  std::string s = R"({"StartAt":"C0","States":{)";
  for (int i = 0; i < n; ++i) {
    std::string next = i + 1 == n ? "Done" : absl::StrCat("C", i + 1);
    absl::StrAppend(&s, "\"C", i, R"(":{"Type":"Choice","Choices":[)",
                    R"({"And":[{"Variable":"$.order.customer.tier","StringEquals":"gold"},)",
                    R"({"Variable":"$.order.total","NumericGreaterThan":100}],"Next":")", next,
                    R"("}],"Default":"Done"},)");
  }
  return s + R"("Done":{"Type":"Succeed"}}})";
}

// Choice -> Pass loop: Check tests $.counter.i against a bound, Inc counts
// up with States.MathAdd. Each round is one Choice step and one Pass step.
std::string ChoiceLoop(int rounds) {
  return absl::StrCat(
      R"({"StartAt":"Init","States":{)",
      R"("Init":{"Type":"Pass","Result":{"i":0},"ResultPath":"$.counter","Next":"Check"},)",
      R"("Check":{"Type":"Choice","Choices":[{"Variable":"$.counter.i","NumericLessThan":)",
      rounds, R"(,"Next":"Inc"}],"Default":"Done"},)",
      R"j("Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.counter.i, 1)"},)j",
      R"("ResultPath":"$.counter","Next":"Check"},)",
      R"("Done":{"Type":"Succeed"}}})");
}

// An inline Map over $.items (n items), a Pass inside.
std::string MapMachine() {
  return R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",)"
         R"("ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Inner",)"
         R"("States":{"Inner":{"Type":"Pass","End":true}}},"End":true}}})";
}

// One Pass with a Parameters template that uses intrinsics and path refs.
std::string TemplateMachine() {
  return R"({"StartAt":"T","States":{"T":{"Type":"Pass","Parameters":{)"
         R"("greeting.$":"States.Format('Hello {}, your order {} totals {}', )"
         R"j($.order.customer.name, $.order.id, $.order.total)",)j"
         R"j("lineCount.$":"States.ArrayLength($.order.lines)",)j"
         R"j("flagsText.$":"States.JsonToString($.flags)",)j"
         R"("customer.$":"$.order.customer","firstSku.$":"$.order.lines[0].sku",)"
         R"("execution.$":"$$.Execution.Name","static":{"a":1,"b":[true,null]}},)"
         R"("End":true}}})";
}

ExecutionInfo Info() {
  ExecutionInfo info;
  info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:bench:run";
  info.execution_name = "run";
  info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";
  info.state_machine_name = "bench";
  info.role_arn = "arn:aws:iam::123456789012:role/stepwise";
  info.start_time = 1700000000000;
  return info;
}

// Runs `machine` from the start on `input` once per iteration; `steps` is
// the number of state steps one run takes (the unit of the counters).
void RunMachine(benchmark::State& bs, const std::string& definition, const json::value& input,
                int steps) {
  auto machine = Machine(definition);
  asl::SeededRandom random(42);
  Interpreter interp(machine, &random);
  const ExecutionInfo info = Info();
  size_t events = 0;
  for (auto _ : bs) {
    ExecutionState st;
    st.info = info;
    Decision d;
    interp.Start(st, input, info.start_time, d);
    if (st.status != ExecutionStatus::kSucceeded) {
      bs.SkipWithError(absl::StrCat("execution ended ", std::string(ExecutionStatusName(st.status)), ": ",
                                    st.error, " ", st.cause)
                           .c_str());
      break;
    }
    events = d.events.size();
    benchmark::DoNotOptimize(d);
  }
  bs.SetItemsProcessed(bs.iterations() * steps);
  bs.counters["steps"] = steps;
  bs.counters["events"] = static_cast<double>(events);
  // CPU microseconds per state step (rate counters divide by CPU time).
  bs.counters["us/step"] = benchmark::Counter(
      static_cast<double>(bs.iterations()) * steps * 1e-6,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_PassChain(benchmark::State& bs) {
  RunMachine(bs, PassChain(kChainLength), StateValue(), kChainLength);
}
BENCHMARK(BM_PassChain);

void BM_ChoiceChain(benchmark::State& bs) {
  // kChainLength Choice steps and the final Succeed.
  RunMachine(bs, ChoiceChain(kChainLength), StateValue(), kChainLength + 1);
}
BENCHMARK(BM_ChoiceChain);

void BM_ChoiceLoop(benchmark::State& bs) {
  constexpr int kRounds = 50;
  // Init, kRounds x (Check, Inc), the last Check and Done.
  RunMachine(bs, ChoiceLoop(kRounds), StateValue(), 1 + 2 * kRounds + 2);
}
BENCHMARK(BM_ChoiceLoop);

void BM_Map100(benchmark::State& bs) {
  json::value input = StateValue();
  json::array items;
  const json::value& order = input.as_object().at("order");
  for (int i = 0; i < kMapItems; ++i) items.push_back(order);
  // ~1 KiB state plus 100 items of ~0.8 KiB each.
  input.as_object()["items"] = std::move(items);
  // The Map step and one Pass step per item.
  RunMachine(bs, MapMachine(), input, 1 + kMapItems);
}
BENCHMARK(BM_Map100);

void BM_Map100SmallItems(benchmark::State& bs) {
  json::value input = StateValue();
  json::array items;
  for (int i = 0; i < kMapItems; ++i) items.push_back(json::object{{"n", i}});
  input.as_object()["items"] = std::move(items);
  RunMachine(bs, MapMachine(), input, 1 + kMapItems);
}
BENCHMARK(BM_Map100SmallItems);

void BM_ParametersIntrinsics(benchmark::State& bs) {
  RunMachine(bs, TemplateMachine(), StateValue(), 1);
}
BENCHMARK(BM_ParametersIntrinsics);

}  // namespace
}  // namespace stepwise::engine

BENCHMARK_MAIN();
