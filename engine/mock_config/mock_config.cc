// MockConfig (mock_config.h): parsing and validating Step Functions Local's
// mock configuration file, and the look-ups the engine makes in it.
#include "engine/mock_config/mock_config.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

// The largest StepwiseTestCaseOptions TimeScale: a day's Wait in ~0.1 s.
constexpr double kMaxTimeScale = 1e6;

std::string Indexed(const std::string& path, std::string_view key);

// `path` + one member, as JSONPath writes it: `.Name`, or `["0-2"]` for a
// key that is not a plain name.
std::string Member(const std::string& path, std::string_view key) {
  bool plain = !key.empty() && !absl::ascii_isdigit(static_cast<unsigned char>(key[0]));
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  }
  if (plain) return absl::StrCat(path, ".", ToAbsl(key));
  return Indexed(path, key);
}

// `path` + one member in brackets: `["0-2"]` (invocation indices).
std::string Indexed(const std::string& path, std::string_view key) {
  std::string quoted;
  AppendJsonString(key, quoted);
  return absl::StrCat(path, "[", quoted, "]");
}

absl::Status Bad(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("mock config: ", path, ": ", ToAbsl(what)));
}

// Refuses members of `o` other than `allowed`.
absl::Status OnlyKeys(const json::object& o, const std::string& path,
                      std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
      std::string names;
      for (std::string_view a : allowed) absl::StrAppend(&names, names.empty() ? "" : ", ", ToAbsl(a));
      return Bad(Member(path, key), absl::StrCat("unknown field (expected ", names, ")"));
    }
  }
  return absl::OkStatus();
}

// "3" → [3, 3]; "0-2" → [0, 2].
absl::StatusOr<std::pair<int64_t, int64_t>> ParseIndexKey(std::string_view key,
                                                          const std::string& path) {
  auto number = [](std::string_view s, int64_t* out) {
    if (s.empty() || s.size() > 9) return false;
    for (char c : s) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    return absl::SimpleAtoi(ToAbsl(s), out);
  };
  int64_t first = 0;
  int64_t last = 0;
  size_t dash = key.find('-');
  bool ok = dash == std::string_view::npos
                ? number(key, &first) && number(key, &last)
                : number(key.substr(0, dash), &first) && number(key.substr(dash + 1), &last);
  if (!ok) {
    return Bad(path, "an invocation index must be a number such as \"0\" or an inclusive "
                     "range such as \"0-2\"");
  }
  if (last < first) return Bad(path, "the range ends before it starts");
  return std::make_pair(first, last);
}

absl::StatusOr<MockedAnswer> ParseAnswer(const json::value& v, const std::string& path) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Bad(path, "expected an object with Return or Throw");
  if (absl::Status s = OnlyKeys(*o, path, {"Return", "Throw"}); !s.ok()) return s;
  const json::value* ret = o->if_contains("Return");
  const json::value* thr = o->if_contains("Throw");
  if ((ret == nullptr) == (thr == nullptr)) {
    return Bad(path, "expected exactly one of Return or Throw");
  }
  MockedAnswer a;
  if (ret != nullptr) {
    a.return_value = *ret;
    return a;
  }
  std::string tpath = Member(path, "Throw");
  const json::object* t = thr->if_object();
  if (t == nullptr) return Bad(tpath, "expected an object with Error and Cause");
  if (absl::Status s = OnlyKeys(*t, tpath, {"Error", "Cause"}); !s.ok()) return s;
  const json::value* error = t->if_contains("Error");
  if (error == nullptr || !error->is_string() || error->get_string().empty()) {
    return Bad(Member(tpath, "Error"), "expected a non-empty string");
  }
  const json::value* cause = t->if_contains("Cause");
  if (cause != nullptr && !cause->is_string()) {
    return Bad(Member(tpath, "Cause"), "expected a string");
  }
  a.is_throw = true;
  a.error = std::string(error->get_string());
  if (cause != nullptr) a.cause = std::string(cause->get_string());
  return a;
}

absl::StatusOr<MockedResponse> ParseResponse(const json::value& v, const std::string& path) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Bad(path, "expected an object of invocation indices");
  MockedResponse r;
  for (const auto& [key, answer] : *o) {
    std::string epath = Indexed(path, key);
    auto range = ParseIndexKey(key, epath);
    if (!range.ok()) return range.status();
    auto a = ParseAnswer(answer, epath);
    if (!a.ok()) return a.status();
    r.entries.push_back({range->first, range->second, *std::move(a)});
  }
  std::sort(r.entries.begin(), r.entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < r.entries.size(); ++i) {
    if (r.entries[i].first <= r.entries[i - 1].last) {
      return Bad(path, absl::StrCat("invocation ", r.entries[i].first,
                                    " is given more than once"));
    }
  }
  return r;
}

// Stepwise's `StepwiseTestCaseOptions` of `root` into `time_scales`; each
// machine and test case it names must be one `StateMachines` has.
absl::Status ParseTestCaseOptions(
    const json::object& root, const MockConfig& config,
    std::map<std::string, std::map<std::string, double>>& time_scales) {
  const json::value* options = root.if_contains("StepwiseTestCaseOptions");
  if (options == nullptr) return absl::OkStatus();
  const std::string path = "$.StepwiseTestCaseOptions";
  const json::object* oo = options->if_object();
  if (oo == nullptr) return Bad(path, "expected an object of state machine name → test cases");
  for (const auto& [machine, mv] : *oo) {
    std::string mpath = Member(path, machine);
    const json::object* m = mv.if_object();
    if (m == nullptr) return Bad(mpath, "expected an object of test case name → options");
    for (const auto& [test_case, tv] : *m) {
      std::string tpath = Member(mpath, test_case);
      if (!config.HasTestCase(std::string(machine), std::string(test_case))) {
        return Bad(tpath, absl::StrCat("no test case '", ToAbsl(test_case),
                                       "' of state machine '", ToAbsl(machine),
                                       "' in $.StateMachines"));
      }
      const json::object* t = tv.if_object();
      if (t == nullptr) return Bad(tpath, "expected an object with TimeScale");
      if (absl::Status s = OnlyKeys(*t, tpath, {"TimeScale"}); !s.ok()) return s;
      const json::value* scale = t->if_contains("TimeScale");
      if (scale == nullptr) continue;
      std::string spath = Member(tpath, "TimeScale");
      if (!scale->is_number()) return Bad(spath, "expected a number");
      double d = scale->to_number<double>();
      if (!(d > 0) || d > kMaxTimeScale) {
        return Bad(spath, absl::StrCat("expected a number greater than 0 and at most ",
                                       static_cast<int64_t>(kMaxTimeScale)));
      }
      time_scales[std::string(machine)][std::string(test_case)] = d;
    }
  }
  return absl::OkStatus();
}

}  // namespace

const MockedAnswer* MockedResponse::At(int64_t invocation) const {
  for (const Entry& e : entries) {
    if (invocation >= e.first && invocation <= e.last) return &e.answer;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const MockConfig>> MockConfig::Parse(std::string_view text) {
  auto parsed = ParseJson(ToAbsl(text));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mock config: not JSON: ", parsed.status().message()));
  }
  const json::object* root = parsed->if_object();
  if (root == nullptr) return Bad("$", "expected an object with StateMachines and MockedResponses");
  if (absl::Status s = OnlyKeys(*root, "$", {"StateMachines", "MockedResponses",
                                             "StepwiseTestCaseOptions"});
      !s.ok()) {
    return s;
  }
  auto config = std::make_shared<MockConfig>();
  if (const json::value* responses = root->if_contains("MockedResponses")) {
    const json::object* ro = responses->if_object();
    if (ro == nullptr) return Bad("$.MockedResponses", "expected an object");
    for (const auto& [name, value] : *ro) {
      auto r = ParseResponse(value, Member("$.MockedResponses", name));
      if (!r.ok()) return r.status();
      config->responses_[std::string(name)] = *std::move(r);
    }
  }
  if (const json::value* machines = root->if_contains("StateMachines")) {
    const json::object* mo = machines->if_object();
    if (mo == nullptr) return Bad("$.StateMachines", "expected an object");
    for (const auto& [machine, mv] : *mo) {
      std::string mpath = Member("$.StateMachines", machine);
      const json::object* m = mv.if_object();
      if (m == nullptr) return Bad(mpath, "expected an object with TestCases");
      if (absl::Status s = OnlyKeys(*m, mpath, {"TestCases"}); !s.ok()) return s;
      const json::value* tcs = m->if_contains("TestCases");
      std::string tcpath = Member(mpath, "TestCases");
      if (tcs == nullptr || !tcs->is_object()) return Bad(tcpath, "expected an object");
      TestCases& cases = config->machines_[std::string(machine)];
      for (const auto& [test_case, tv] : tcs->get_object()) {
        std::string tpath = Member(tcpath, test_case);
        if (test_case.empty()) return Bad(tpath, "a test case name must not be empty");
        const json::object* t = tv.if_object();
        if (t == nullptr) return Bad(tpath, "expected an object of state name → mocked response");
        auto& states = cases[std::string(test_case)];
        for (const auto& [state, rv] : *t) {
          std::string spath = Member(tpath, state);
          if (!rv.is_string()) return Bad(spath, "expected the name of a mocked response");
          std::string response(rv.get_string());
          if (config->responses_.find(response) == config->responses_.end()) {
            return Bad(spath, absl::StrCat("no mocked response '", response,
                                           "' in $.MockedResponses"));
          }
          states[std::string(state)] = std::move(response);
        }
      }
    }
  }
  if (absl::Status s = ParseTestCaseOptions(*root, *config, config->time_scales_); !s.ok()) {
    return s;
  }
  return std::shared_ptr<const MockConfig>(std::move(config));
}

absl::StatusOr<std::shared_ptr<const MockConfig>> MockConfig::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read mock config file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = Parse(ss.str());
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

bool MockConfig::HasTestCase(const std::string& machine_name,
                             const std::string& test_case) const {
  auto m = machines_.find(machine_name);
  return m != machines_.end() && m->second.find(test_case) != m->second.end();
}

const std::string* MockConfig::ResponseNameFor(const std::string& machine_name,
                                               const std::string& test_case,
                                               const std::string& state_name) const {
  auto m = machines_.find(machine_name);
  if (m == machines_.end()) return nullptr;
  auto t = m->second.find(test_case);
  if (t == m->second.end()) return nullptr;
  auto s = t->second.find(state_name);
  return s == t->second.end() ? nullptr : &s->second;
}

double MockConfig::TimeScaleFor(const std::string& machine_name,
                                const std::string& test_case) const {
  auto m = time_scales_.find(machine_name);
  if (m == time_scales_.end()) return 1.0;
  auto t = m->second.find(test_case);
  return t == m->second.end() ? 1.0 : t->second;
}

const MockedResponse* MockConfig::Response(const std::string& name) const {
  auto it = responses_.find(name);
  return it == responses_.end() ? nullptr : &it->second;
}

TestCaseArn SplitTestCaseArn(std::string_view arn) {
  TestCaseArn out;
  size_t hash = arn.find('#');
  if (hash == std::string_view::npos) {
    out.machine_arn = std::string(arn);
    return out;
  }
  out.machine_arn = std::string(arn.substr(0, hash));
  out.test_case = std::string(arn.substr(hash + 1));
  return out;
}

absl::Status CheckTestCase(const MockConfig& config, const std::string& requested_arn,
                           const std::string& machine_name, const std::string& test_case) {
  if (test_case.empty()) {
    return ServiceError("InvalidArn",
                        absl::StrCat("Invalid Arn: '", requested_arn,
                                     "': the test case name after '#' is empty"));
  }
  if (!config.HasTestCase(machine_name, test_case)) {
    return ServiceError("InvalidArn",
                        absl::StrCat("Invalid Arn: '", requested_arn, "': the mock config has no "
                                     "test case '", test_case, "' for state machine '",
                                     machine_name, "'"));
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
