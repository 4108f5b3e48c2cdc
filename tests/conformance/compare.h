// Comparison of an execution's result with a conformance case's expected
// result, exactly as shared/conformance/README.md "Comparison rule" says:
// status, output as JSON with placeholders, error/cause (cause as JSON when
// `cause_is_json_object`), an optional relaxed mode that drops
// " (entered at the event id #N)", and the positional history check.
// Used by conformance_runner and its tests. Pure functions; thread-safe.
#ifndef SW_TESTS_CONFORMANCE_COMPARE_H_
#define SW_TESTS_CONFORMANCE_COMPARE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace stepwise::conformance {

struct CompareOptions {
  // The case's `expected.placeholders` (numbered tokens listed without their
  // number, e.g. "<uuid>").
  std::vector<std::string> placeholders;
  // Relaxed mode: remove " (entered at the event id #N)" from both sides of
  // every string comparison.
  bool relaxed = false;
  // When true, an expected string that is exactly one recognised token
  // (date, <Name>, <Name:N>, 111111111111, arn:<partition>:, ...) matches any
  // value even if it is not listed in `placeholders`. Used to match recorded
  // task parameters, whose placeholders are not listed.
  bool any_token_is_placeholder = false;
};

// One event of the engine's history, in the shape the history check needs.
struct ActualEvent {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  std::string type;
  json::object details;
};

// What the engine produced for one execution.
struct ActualResult {
  std::string status;
  std::optional<std::string> output;  // JSON text
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::vector<ActualEvent> events;
};

// Removes every " (entered at the event id #N)" (and the same text without
// the leading space) from `s`.
std::string StripEnteredAt(std::string_view s);

// True when `actual` matches the expected string `expected` under rule 4
// (literal, one whole placeholder, or a pattern with placeholders). Does not
// apply relaxed stripping; CompareStrings does.
bool MatchString(std::string_view expected, std::string_view actual,
                 const CompareOptions& options);

// True when `expected` (a string) is exactly one placeholder and so matches
// a value of any type.
bool IsWholePlaceholder(std::string_view expected,
                        const CompareOptions& options);

// Compares as rule 2 (and rule 5 when options.relaxed). Returns nullopt when
// they match, else a description of the first difference with its path
// (e.g. "$.a[2].b: expected 1, got 2").
std::optional<std::string> CompareJson(const json::value& expected,
                                       const json::value& actual,
                                       const CompareOptions& options);

// Compares status, output, error and cause of `actual` with the case's
// `expected` object. Returns nullopt on a match, else the first difference.
std::optional<std::string> CompareResult(const json::object& expected,
                                         const ActualResult& actual,
                                         const CompareOptions& options);

// History check (rule 6): lengths, and per position type, previousEventId
// and details.name for ...StateEntered/...StateExited. Returns nullopt on a
// match, else the first difference ("position 3 (expected id 4): ...").
std::optional<std::string> CompareHistory(
    const json::array& expected_events,
    const std::vector<ActualEvent>& actual);

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_COMPARE_H_
