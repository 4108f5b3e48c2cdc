// The evaluator's internal value model: JSON values plus JSONata's
// *undefined*, first-class functions, and the sequence flags that drive
// JSONata's flattening and singleton rules. Arrays and objects are shared by
// reference (as in the reference JavaScript implementation, which the
// transform operator relies on). Internal to jsonata; not
// thread-safe (one evaluation owns its values).
#ifndef SW_ENGINE_JSONATA_VALUE_H_
#define SW_ENGINE_JSONATA_VALUE_H_

#include <cstdint>
#include <memory>
#include <new>
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

// The header of every string, array, object and function a Value refers
// to: the number of Values referring to it. Counts are not atomic (one
// evaluation owns its values, on one thread). What several threads read at
// once — compiled literals, the function library — is marked shared
// (Value::Share): copies of it leave the count alone, so no thread writes it.
struct Counted {
  static constexpr int32_t kShared = -1;
  Counted() = default;
  // A copy is a new object, referred to by no Value yet.
  Counted(const Counted&) {}
  Counted& operator=(const Counted&) { return *this; }
  // Small blocks come from a per-thread free list (evaluations make and
  // free many of the same few sizes); others from the global heap.
  // Always deleted through their own type, so the size is exact.
  static void* operator new(size_t size);
  static void operator delete(void* p, size_t size);
  int32_t refs = 0;
};

struct StringData : Counted {
  explicit StringData(std::string s) : text(std::move(s)) {}
  std::string text;
};

class Value {
 public:
  Value() { payload_.num = 0; }
  Value(const Value& o) : payload_(o.payload_), kind_(o.kind_) { Retain(); }
  Value(Value&& o) noexcept : payload_(o.payload_), kind_(o.kind_) { o.kind_ = Kind::kUndefined; }
  Value& operator=(const Value& o) {
    // Through a copy: `o` may live inside what this value releases.
    Value copy(o);
    Swap(copy);
    return *this;
  }
  // Always inlined: a call costs as much as the move (hot in every evaluation).
  [[gnu::always_inline]] Value& operator=(Value&& o) noexcept {
    // What this value held is released after the move: `o` may live
    // inside it.
    if (this == &o) return *this;
    const Payload old = payload_;
    const Kind old_kind = kind_;
    payload_ = o.payload_;
    kind_ = o.kind_;
    o.kind_ = Kind::kUndefined;
    if (old_kind >= Kind::kString) ReleasePointer(old_kind, old.ptr);
    return *this;
  }
  ~Value() { Release(); }
  void Swap(Value& o) noexcept {
    std::swap(payload_, o.payload_);
    std::swap(kind_, o.kind_);
  }

  static Value Null() {
    Value v;
    v.kind_ = Kind::kNull;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.kind_ = Kind::kBool;
    v.payload_.num = b ? 1 : 0;
    return v;
  }
  static Value Number(double d) {
    Value v;
    v.kind_ = Kind::kNumber;
    v.payload_.num = d;
    return v;
  }
  static Value String(std::string s);
  // A new empty array; `sequence` marks a JSONata sequence.
  static Value NewArray(bool sequence = false);
  static Value NewObject();
  // A new function (its fields filled by the caller through AsFunction).
  static Value NewFunction();

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

  bool AsBool() const { return payload_.num != 0; }
  double AsNumber() const { return payload_.num; }
  const std::string& AsString() const {
    return static_cast<const StringData*>(payload_.ptr)->text;
  }
  Array& AsArray() const;
  Object& AsObject() const;
  Function& AsFunction() const;
  // Identity of the referenced array/object (for `in` and transform).
  const void* Identity() const { return kind_ >= Kind::kArray ? payload_.ptr : nullptr; }

  // Marks the referenced string or function as shared between threads:
  // copies no longer count references, and it lives until FreeShared. Only
  // for values that refer to nothing counted themselves (a string, a native
  // function) and whose owner outlives every copy (a compiled tree, the
  // function library).
  void Share() {
    if (kind_ >= Kind::kString) payload_.ptr->refs = Counted::kShared;
  }
  bool IsShared() const { return kind_ >= Kind::kString && payload_.ptr->refs < 0; }
  // Frees what Share marked (the owner's destructor), leaving undefined.
  void FreeShared() {
    if (IsShared()) {
      payload_.ptr->refs = 1;
      Release();
      kind_ = Kind::kUndefined;
    }
  }

 private:
  friend struct Array;
  friend class Object;
  Value(Kind kind, Counted* ptr) : kind_(kind) {
    payload_.ptr = ptr;
    ptr->refs = 1;
  }
  void Retain() const {
    if (kind_ >= Kind::kString && payload_.ptr->refs >= 0) ++payload_.ptr->refs;
  }
  void Release() {
    if (kind_ >= Kind::kString) ReleasePointer(kind_, payload_.ptr);
  }
  static void ReleasePointer(Kind kind, Counted* ptr) {
    if (ptr->refs > 0 && --ptr->refs == 0) Destroy(kind, ptr);
  }
  // Deletes `ptr`, a string, array, object or function by `kind`.
  static void Destroy(Kind kind, Counted* ptr);

  // The number or boolean, or the string/array/object/function (by kind_):
  // a Value is 16 bytes and a copy one non-atomic increment.
  union Payload {
    double num;
    Counted* ptr;
  } payload_;
  Kind kind_ = Kind::kUndefined;
};

struct Array : Counted {
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

// Blocks of the per-thread pool Counted objects come from (value.cc), for
// other small internal arrays.
void* PoolAllocate(size_t size);
void PoolFree(void* p, size_t size);

// The members an object still in JSON form has converted, by source
// position: `size` Values in one pooled block (no vector, no heap call).
class MemberCache {
 public:
  MemberCache() = default;
  MemberCache(const MemberCache&) = delete;
  MemberCache& operator=(const MemberCache&) = delete;
  ~MemberCache() { Clear(); }
  bool empty() const { return data_ == nullptr; }
  size_t size() const { return size_; }
  // Makes `n` undefined Values (the cache must be empty).
  void Allocate(size_t n) {
    data_ = static_cast<Value*>(PoolAllocate(n * sizeof(Value)));
    for (size_t i = 0; i < n; ++i) new (&data_[i]) Value();
    size_ = n;
  }
  void Clear() {
    if (data_ == nullptr) return;
    for (size_t i = 0; i < size_; ++i) data_[i].~Value();
    PoolFree(data_, size_ * sizeof(Value));
    data_ = nullptr;
    size_ = 0;
  }
  Value& operator[](size_t i) const { return data_[i]; }

 private:
  Value* data_ = nullptr;
  size_t size_ = 0;
};

// An object keeping insertion order, as JavaScript objects do for
// non-numeric keys. Small objects are searched linearly; larger ones get a
// hash index on first lookup.
class Object : public Counted {
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
  mutable MemberCache cache_;
};

inline Array& Value::AsArray() const { return *static_cast<Array*>(payload_.ptr); }
inline bool Value::IsSequence() const { return kind_ == Kind::kArray && AsArray().sequence; }
inline Object& Value::AsObject() const { return *static_cast<Object*>(payload_.ptr); }

// Deletes the function `f` refers to (evaluator.cc, where Function is
// complete).
void DestroyFunction(Counted* f);

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
