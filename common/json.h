// JSON helpers on Boost.JSON shared by every layer: bounded parsing with
// line/column diagnostics, AWS-style compact serialisation, and value
// equality as Step Functions compares values. All functions are thread-safe.
#ifndef SW_COMMON_JSON_H_
#define SW_COMMON_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "boost/json.hpp"

namespace stepwise {

namespace json = boost::json;

// Deepest nesting of arrays/objects accepted by ParseJson.
inline constexpr int kMaxJsonDepth = 512;

// Parses `text` as one JSON value. Returns kInvalidArgument naming the line
// and column of the first error, or when nesting exceeds `max_depth`.
absl::StatusOr<json::value> ParseJson(absl::string_view text,
                                      int max_depth = kMaxJsonDepth);

// Serialises `v` compactly, as AWS writes payloads: no spaces, floating
// numbers in Java's Double.toString form (1.0, 1.5E10), non-ASCII kept
// as UTF-8.
std::string SerializeJson(const json::value& v);
// Appends the serialisation of `v` to `out`.
void AppendJson(const json::value& v, std::string& out);
// Appends the serialisation of an object (no copy into a json::value).
void AppendJson(const json::object& o, std::string& out);
// Appends a quoted, escaped JSON string.
void AppendJsonString(std::string_view s, std::string& out);
// Writes one JSON array straight into `out`: Next() before each element
// (a comma unless first), the caller writing the element; End() closes it.
class JsonArrayWriter {
 public:
  // Appends '['.
  explicit JsonArrayWriter(std::string& out) : out_(out) { out_.push_back('['); }
  void Next() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void Int(int64_t v) {
    Next();
    out_ += std::to_string(v);
  }
  void End() { out_.push_back(']'); }

 private:
  std::string& out_;
  bool first_ = true;
};

// Writes one JSON object's members straight into `out`, in call order, as
// SerializeJson would write an object built with the same keys: for hot
// paths that would otherwise build a tree only to serialise it.
class JsonObjectWriter {
 public:
  // Appends '{'; End() appends '}'.
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  // Appends `"key":` (after a comma unless first); the caller writes the value.
  void Key(std::string_view key) {
    if (!first_) out_.push_back(',');
    first_ = false;
    AppendJsonString(key, out_);
    out_.push_back(':');
  }
  void Int(std::string_view key, int64_t v) {
    Key(key);
    out_ += std::to_string(v);
  }
  void Bool(std::string_view key, bool v) {
    Key(key);
    out_ += v ? "true" : "false";
  }
  void Null(std::string_view key) {
    Key(key);
    out_ += "null";
  }
  void String(std::string_view key, std::string_view v) {
    Key(key);
    AppendJsonString(v, out_);
  }
  void Value(std::string_view key, const json::value& v) {
    Key(key);
    AppendJson(v, out_);
  }
  // Writes an array of integers (any container of integral values).
  template <typename Ints>
  void IntArray(std::string_view key, const Ints& v) {
    Key(key);
    JsonArrayWriter a(out_);
    for (auto x : v) a.Int(x);
    a.End();
  }
  void Object(std::string_view key, const json::object& v) {
    Key(key);
    AppendJson(v, out_);
  }
  void End() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

// Formats a double as Java's Double.toString does.
std::string FormatJavaDouble(double d);

// True when `v` is a number (int64, uint64 or double).
bool IsNumber(const json::value& v);
// Returns the number as a double; `v` must be a number.
double ToDouble(const json::value& v);
// True when `v` is a number with no fractional part.
bool IsIntegral(const json::value& v);

// Compares as Step Functions does: numbers by value (1 == 1.0), objects
// ignoring key order, arrays in order.
bool JsonEquals(const json::value& a, const json::value& b);

// The entries of `o` as the items a Map iterates over an object with:
// [{"Key": k, "Value": v}, ...] in the object's order.
json::array ObjectEntries(const json::object& o);

}  // namespace stepwise

#endif  // SW_COMMON_JSON_H_
