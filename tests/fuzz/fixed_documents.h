// The fixed documents the path and intrinsic fuzz targets evaluate against:
// a state input ($), a context object ($$) and variables ($name) with
// nested objects, arrays, numbers of each kind, strings and nulls.
#ifndef SW_TESTS_FUZZ_FIXED_DOCUMENTS_H_
#define SW_TESTS_FUZZ_FIXED_DOCUMENTS_H_

#include <cstdlib>

#include "common/json.h"

namespace stepwise::fuzz {

inline json::value MustParse(const char* text) {
  auto v = ParseJson(text);
  if (!v.ok()) std::abort();
  return *std::move(v);
}

inline const json::value& Input() {
  static const json::value* v = new json::value(MustParse(R"({
    "a": {"b": {"c": [1, 2.5, -3, "x", null, true, {"d": "e"}]}, "s": "hello world"},
    "items": [{"id": 1, "price": 9.99, "tags": ["x", "y"]},
              {"id": 2, "price": 0, "tags": []},
              {"id": 3, "price": -1e300, "name": "\u00e9\ud83d\ude00"}],
    "n": 18446744073709551615, "neg": -9223372036854775808, "f": 1.5e-7,
    "empty": {}, "arr": [], "str": "{\"k\": [1, 2]}", "csv": "a,b,,c",
    "big": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    "weird key": {"with.dot": 1, "with'quote": 2, "": 3}
  })"));
  return *v;
}

inline const json::value& Context() {
  static const json::value* v = new json::value(MustParse(R"({
    "Execution": {"Id": "arn:aws:states:us-east-1:1:execution:m:e", "Name": "e",
                  "Input": {"k": 1}, "StartTime": "2024-01-01T00:00:00.000Z",
                  "RoleArn": "arn:aws:iam::1:role/r", "RedriveCount": 0},
    "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00.000Z", "RetryCount": 0},
    "StateMachine": {"Id": "arn:aws:states:us-east-1:1:stateMachine:m", "Name": "m"},
    "Map": {"Item": {"Index": 2, "Value": {"x": [1, 2]}}},
    "Task": {"Token": "tok"}
  })"));
  return *v;
}

inline const json::object& Variables() {
  static const json::object* v = new json::object(MustParse(R"({
    "x": 1, "obj": {"a": [1, 2, 3], "b": {"c": "d"}}, "s": "str", "nul": null
  })").as_object());
  return *v;
}

}  // namespace stepwise::fuzz

#endif  // SW_TESTS_FUZZ_FIXED_DOCUMENTS_H_
