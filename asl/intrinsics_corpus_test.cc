// Runs every AWS-recorded conformance case in cases/intrinsic_functions
// (and the JSONPath cases in cases/base) whose definition is Pass states
// with Parameters/Result/ResultPath/OutputPath only, using PayloadTemplate
// and JsonPath directly: no interpreter involved.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "asl/errors.h"
#include "asl/path.h"
#include "asl/payload_template.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

namespace fs = std::filesystem;

json::value ReadJson(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = ParseJson(ss.str());
  EXPECT_TRUE(v.ok()) << p << ": " << v.status();
  return v.ok() ? *v : json::value();
}

// True when `expected` is a masked value (e.g. "<uuid:1>",
// "RandomNumberGenerated") that matches anything.
bool IsPlaceholder(std::string_view s, const json::array& placeholders) {
  if (s.size() > 2 && s.front() == '<' && s.back() == '>') return true;
  for (const auto& p : placeholders) {
    if (p.is_string() && p.get_string() == s) return true;
  }
  return false;
}

bool Matches(const json::value& expected, const json::value& actual,
             const json::array& placeholders) {
  if (expected.is_string() && IsPlaceholder(expected.get_string(), placeholders)) return true;
  // Patterns such as "arn:<partition>:states:<region>:..." match any string.
  if (expected.is_string() && actual.is_string() &&
      expected.get_string().subview().find('<') != std::string_view::npos &&
      expected.get_string().subview().find('>') != std::string_view::npos) {
    return true;
  }
  if (expected.is_object() && actual.is_object()) {
    const auto& e = expected.get_object();
    const auto& a = actual.get_object();
    if (e.size() != a.size()) return false;
    for (const auto& kv : e) {
      const json::value* av = a.if_contains(kv.key());
      if (!av || !Matches(kv.value(), *av, placeholders)) return false;
    }
    return true;
  }
  if (expected.is_array() && actual.is_array()) {
    const auto& e = expected.get_array();
    const auto& a = actual.get_array();
    if (e.size() != a.size()) return false;
    for (size_t i = 0; i < e.size(); ++i) {
      if (!Matches(e[i], a[i], placeholders)) return false;
    }
    return true;
  }
  return JsonEquals(expected, actual);
}

// Runs a chain of Pass states. Returns false (with a message) when the
// definition uses something this runner does not model.
bool RunPassChain(const json::object& def, const json::value& input, json::value& out,
                  std::string& why) {
  const json::object& states = def.at("States").get_object();
  std::string name(def.at("StartAt").get_string());
  json::value doc = input;
  SeededRandom random(7);
  for (int steps = 0; steps < 10; ++steps) {
    const json::object& st = states.at(name).get_object();
    if (st.at("Type").get_string() != "Pass") {
      why = "non-Pass state";
      return false;
    }
    for (const auto& kv : st) {
      std::string_view k = kv.key();
      if (k != "Type" && k != "Parameters" && k != "Result" && k != "ResultPath" &&
          k != "OutputPath" && k != "Next" && k != "End" && k != "Comment") {
        why = "uses " + std::string(k);
        return false;
      }
    }
    json::value context = json::object{
        {"Execution", json::object{{"Id", "arn:aws:states:us-east-1:1:execution:sm-x:ex-1"},
                                   {"Input", input},
                                   {"Name", "ex-1"},
                                   {"RoleArn", "snf_role_arn"},
                                   {"RedriveCount", 0},
                                   {"StartTime", "2024-01-01T00:00:00Z"}}},
        {"StateMachine", json::object{{"Id", "arn:aws:states:us-east-1:1:stateMachine:sm-x"},
                                      {"Name", "sm-x"}}},
        // AWS shows no State.RetryCount in a Pass state's context object.
        {"State", json::object{{"Name", name}, {"EnteredTime", "2024-01-01T00:00:00Z"}}}};
    EvalContext env{&doc, &context, nullptr, &random};
    json::value result = doc;
    if (const json::value* p = st.if_contains("Parameters")) {
      auto t = PayloadTemplate::Compile(*p);
      EXPECT_TRUE(t.ok()) << t.status();
      if (!t.ok()) return false;
      auto v = t->Evaluate(env);
      EXPECT_TRUE(v.ok()) << v.status();
      if (!v.ok()) return false;
      result = *std::move(v);
    } else if (const json::value* r = st.if_contains("Result")) {
      result = *r;
    }
    if (const json::value* rp = st.if_contains("ResultPath")) {
      auto path = JsonPath::Parse(rp->get_string());
      EXPECT_TRUE(path.ok());
      if (!path.ok()) return false;
      EXPECT_TRUE(path->Assign(doc, std::move(result)).ok());
    } else {
      doc = std::move(result);
    }
    if (const json::value* op = st.if_contains("OutputPath")) {
      auto path = JsonPath::Parse(op->get_string());
      EXPECT_TRUE(path.ok());
      if (!path.ok()) return false;
      EvalContext out_env{&doc, &context, nullptr, &random};
      auto v = path->Select(out_env);
      EXPECT_TRUE(v.ok()) << v.status();
      if (!v.ok()) return false;
      doc = *std::move(v);
    }
    if (const json::value* next = st.if_contains("Next")) {
      name = std::string(next->get_string());
      continue;
    }
    out = std::move(doc);
    return true;
  }
  why = "too many steps";
  return false;
}

TEST(IntrinsicsCorpusTest, PassOnlyCasesMatchAws) {
  fs::path dir = fs::path(SW_CORPUS_DIR);
  if (!fs::exists(dir / "intrinsic_functions")) GTEST_SKIP() << "no corpus at " << dir;
  int ran = 0, skipped = 0;
  for (const char* category : {"intrinsic_functions", "base"}) {
    for (const auto& entry : fs::directory_iterator(dir / category)) {
      json::value c = ReadJson(entry.path());
      if (!c.is_object()) continue;
      const json::object& expected = c.at("expected").get_object();
      if (expected.at("status").get_string() != "SUCCEEDED") {
        ++skipped;
        continue;
      }
      json::array placeholders;
      if (const json::value* p = expected.if_contains("placeholders")) {
        placeholders = p->get_array();
      }
      // Values masked by the individual tests.
      placeholders.push_back("RandomNumberGenerated");
      placeholders.push_back("generated-uuid");
      json::value out;
      std::string why;
      if (!RunPassChain(c.at("definition").get_object(), c.at("input"), out, why)) {
        if (why.empty()) ADD_FAILURE() << entry.path().filename() << " failed to run";
        ++skipped;
        continue;
      }
      ++ran;
      EXPECT_TRUE(Matches(expected.at("output"), out, placeholders))
          << entry.path().filename() << "\n expected " << SerializeJson(expected.at("output"))
          << "\n actual   " << SerializeJson(out);
    }
  }
  std::cout << "corpus cases run: " << ran << ", not applicable: " << skipped << "\n";
  EXPECT_GE(ran, 90);
}

}  // namespace
}  // namespace stepwise::asl
