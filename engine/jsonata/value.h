// The evaluator's internal value model: JSON values plus JSONata's
// *undefined*, first-class functions, and the sequence flags that drive
// JSONata's flattening and singleton rules. Arrays and objects are shared by
// reference (as in the reference JavaScript implementation, which the
// transform operator relies on). Internal to engine/jsonata; not
// thread-safe (one evaluation owns its values).
#ifndef SW_ENGINE_JSONATA_VALUE_H_
#define SW_ENGINE_JSONATA_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/json.h"

namespace stepwise::jsonata::internal {

struct Array;
struct Object;
struct Function;

enum class Kind : uint8_t {
  kUndefined,
  kNull,
  kBool,
  kNumber,
  kString,
  kArray,
  kObject,
  kFunction
};

class Value {
 public:
  Value() = default;
  static Value Null() {
    Value v;
    v.kind_ = Kind::kNull;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.kind_ = Kind::kBool;
    v.num_ = b ? 1 : 0;
    return v;
  }
  static Value Number(double d) {
    Value v;
    v.kind_ = Kind::kNumber;
    v.num_ = d;
    return v;
  }
  static Value String(std::string s);
  static Value FromArray(std::shared_ptr<Array> a);
  static Value FromObject(std::shared_ptr<Object> o);
  static Value FromFunction(std::shared_ptr<Function> f);
  // A new empty array; `sequence` marks a JSONata sequence.
  static Value NewArray(bool sequence = false);
  static Value NewObject();

  Kind kind() const { return kind_; }
  bool IsUndefined() const { return kind_ == Kind::kUndefined; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsBool() const { return kind_ == Kind::kBool; }
  bool IsNumber() const { return kind_ == Kind::kNumber; }
  bool IsString() const { return kind_ == Kind::kString; }
  bool IsArray() const { return kind_ == Kind::kArray; }
  bool IsObject() const { return kind_ == Kind::kObject; }
  bool IsFunction() const { return kind_ == Kind::kFunction; }
  bool IsSequence() const;

  bool AsBool() const { return num_ != 0; }
  double AsNumber() const { return num_; }
  const std::string& AsString() const { return *str_; }
  Array& AsArray() const { return *arr_; }
  Object& AsObject() const { return *obj_; }
  Function& AsFunction() const { return *fn_; }
  const std::shared_ptr<Array>& array_ptr() const { return arr_; }
  const std::shared_ptr<Object>& object_ptr() const { return obj_; }
  const std::shared_ptr<Function>& function_ptr() const { return fn_; }
  // Identity of the referenced array/object (for `in` and transform).
  const void* Identity() const;

 private:
  Kind kind_ = Kind::kUndefined;
  double num_ = 0;
  std::shared_ptr<const std::string> str_;
  std::shared_ptr<Array> arr_;
  std::shared_ptr<Object> obj_;
  std::shared_ptr<Function> fn_;
};

struct Array {
  std::vector<Value> items;
  bool sequence = false;
  bool keep_singleton = false;
  bool outer_wrapper = false;
  bool tuple_stream = false;
  bool cons = false;
  size_t size() const { return items.size(); }
};

// An object keeping insertion order, as JavaScript objects do for
// non-numeric keys.
struct Object {
  std::vector<std::string> keys;
  std::unordered_map<std::string, Value> map;
  const Value* Find(const std::string& key) const {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }
  Value Get(const std::string& key) const {
    auto it = map.find(key);
    return it == map.end() ? Value() : it->second;
  }
  void Set(const std::string& key, Value v) {
    auto [it, inserted] = map.try_emplace(key, std::move(v));
    if (inserted) {
      InsertKey(key);
    } else {
      it->second = std::move(v);
    }
  }
  void Erase(const std::string& key);
  size_t size() const { return keys.size(); }

 private:
  // Appends `key` to the key order, except that array-index keys ("0",
  // "17") go first in numeric order, as JavaScript orders properties.
  void InsertKey(const std::string& key);
};

// Formats a number as JavaScript's Number.prototype.toString does.
std::string FormatJsNumber(double d);
// Formats as Number(d.toPrecision(15)).toString(), as $string does.
std::string FormatJsNumberPrecision15(double d);

// Converts a JSON value into the internal model (arrays are plain arrays).
Value FromJson(const json::value& v);
// Converts to JSON: sequences become arrays, undefined members are dropped,
// functions become "" (as the reference's JSON.stringify replacer does).
json::value ToJson(const Value& v);

// JSON.stringify as the reference's $string does (numbers to 15 significant
// digits, functions as ""), compact or indented by 2.
std::string Stringify(const Value& v, bool pretty);

// Deep equality as JSONata's `=` (isDeepEqual).
bool DeepEqual(const Value& a, const Value& b);

// Deep copy of arrays and objects.
Value DeepClone(const Value& v);

// UTF-8 <-> code points (JSONata's string functions count code points).
std::u32string ToCodePoints(std::string_view s);
std::string FromCodePoints(std::u32string_view s);

}  // namespace stepwise::jsonata::internal

#endif  // SW_ENGINE_JSONATA_VALUE_H_
