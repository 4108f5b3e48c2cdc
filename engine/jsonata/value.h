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
class Object;
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
  const std::string& AsString() const { return *static_cast<const std::string*>(ptr_.get()); }
  Array& AsArray() const { return *static_cast<Array*>(ptr_.get()); }
  Object& AsObject() const { return *static_cast<Object*>(ptr_.get()); }
  Function& AsFunction() const { return *static_cast<Function*>(ptr_.get()); }
  // Identity of the referenced array/object (for `in` and transform).
  const void* Identity() const { return kind_ >= Kind::kArray ? ptr_.get() : nullptr; }

 private:
  Kind kind_ = Kind::kUndefined;
  double num_ = 0;
  // The string, Array, Object or Function (by kind_): one pointer keeps a
  // Value at 32 bytes and a copy at one reference count.
  std::shared_ptr<void> ptr_;
};

struct Array {
  bool sequence = false;
  bool keep_singleton = false;
  bool outer_wrapper = false;
  bool tuple_stream = false;
  bool cons = false;

  // A plain array whose items are converted from `source` when first used
  // (a path touches only what it navigates). `source` must outlive it.
  static Value Lazy(const json::array& source);

  std::vector<Value>& items() {
    if (source_ != nullptr) Materialize();
    return items_;
  }
  const std::vector<Value>& items() const {
    if (source_ != nullptr) Materialize();
    return items_;
  }
  size_t size() const { return source_ != nullptr ? source_->size() : items_.size(); }
  bool empty() const { return size() == 0; }

 private:
  void Materialize() const;
  mutable std::vector<Value> items_;
  mutable const json::array* source_ = nullptr;
};

// An object keeping insertion order, as JavaScript objects do for
// non-numeric keys. Small objects are searched linearly; larger ones get a
// hash index on first lookup.
class Object {
 public:
  struct Entry {
    std::string key;
    Value value;
  };

  // An object whose members are converted from `source` when first used.
  // `source` must outlive it.
  static Value Lazy(const json::object& source);

  // The members in JavaScript's property order (converts them all).
  const std::vector<Entry>& entries() const {
    if (source_ != nullptr) Materialize();
    return entries_;
  }
  // The member `key`, or null. The pointer is valid until the object
  // changes or its entries() are first taken.
  const Value* Find(std::string_view key) const;
  Value Get(std::string_view key) const {
    if (source_ != nullptr) return GetFromSource(key);
    const Value* v = Find(key);
    return v == nullptr ? Value() : *v;
  }
  void Set(std::string_view key, Value v);
  void Erase(std::string_view key);
  size_t size() const { return source_ != nullptr ? source_->size() : entries_.size(); }

 private:
  static constexpr size_t kIndexFrom = 12;
  void Materialize() const;
  // Get on an object still in JSON form: scalars are converted on each call
  // (nothing to keep), arrays and objects once (they keep their identity).
  Value GetFromSource(std::string_view key) const;
  // Appends, or inserts an array-index key ("0", "17") before the others in
  // numeric order, as JavaScript orders properties.
  void Insert(std::string_view key, Value v) const;
  mutable std::vector<Entry> entries_;
  // Null until needed (keeps small objects small: one allocation each).
  mutable std::unique_ptr<std::unordered_map<std::string, size_t>> index_;
  mutable const json::object* source_ = nullptr;
  // While source_ is set: the members Find converted, by source position.
  mutable std::vector<Value> cache_;
};

// Formats a number as JavaScript's Number.prototype.toString does.
std::string FormatJsNumber(double d);
// Formats as Number(d.toPrecision(15)).toString(), as $string does.
std::string FormatJsNumberPrecision15(double d);

// Converts a JSON value into the internal model (arrays are plain arrays).
Value FromJson(const json::value& v);
// The same, converting arrays and objects only when first used: `v` must
// outlive the result and everything taken from it.
Value FromJsonLazy(const json::value& v);
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
