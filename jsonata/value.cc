#include "jsonata/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "common/sanitizers.h"
#include "common/utf8.h"

namespace stepwise::jsonata::internal {

namespace {

// Free blocks of the small sizes, per thread. Sanitizer builds use the
// global heap throughout, so that they still see every use after free.
class BlockPool {
 public:
  static constexpr size_t kGranule = 16;
  static constexpr size_t kClasses = 8;  // up to 128 bytes
  static constexpr size_t kKeepPerClass = 1024;

  ~BlockPool() {
    // Blocks freed later on this thread (destructors of statics that hold
    // compiled trees) go to the global heap.
    closed_ = true;
    for (Block*& head : free_) {
      while (head != nullptr) {
        Block* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
  static size_t ClassOf(size_t size) { return (size + kGranule - 1) / kGranule - 1; }
  void* Allocate(size_t size) {
    size_t c = ClassOf(size);
    if (c < kClasses && free_[c] != nullptr) {
      Block* b = free_[c];
      free_[c] = b->next;
      --count_[c];
      return b;
    }
    return ::operator new(c < kClasses ? (c + 1) * kGranule : size);
  }
  void Free(void* p, size_t size) {
    size_t c = ClassOf(size);
    if (c >= kClasses || count_[c] >= kKeepPerClass || closed_) {
      ::operator delete(p);
      return;
    }
    auto* b = static_cast<Block*>(p);
    b->next = free_[c];
    free_[c] = b;
    ++count_[c];
  }

 private:
  struct Block {
    Block* next;
  };
  Block* free_[kClasses] = {};
  size_t count_[kClasses] = {};
  bool closed_ = false;
};

#if defined(SW_ADDRESS_SANITIZER) || defined(SW_THREAD_SANITIZER)
constexpr bool kPoolBlocks = false;
#else
constexpr bool kPoolBlocks = true;
#endif

// Unused (and so unneeded, to clang) in sanitizer builds.
[[maybe_unused]] BlockPool& ThreadPool() {
  static thread_local BlockPool pool;
  return pool;
}

}  // namespace

void* PoolAllocate(size_t size) {
  if constexpr (kPoolBlocks) return ThreadPool().Allocate(size);
  return ::operator new(size);
}

void PoolFree(void* p, size_t size) {
  if constexpr (kPoolBlocks) {
    ThreadPool().Free(p, size);
    return;
  }
  ::operator delete(p);
}

void* Counted::operator new(size_t size) {
  if constexpr (kPoolBlocks) return ThreadPool().Allocate(size);
  return ::operator new(size);
}

void Counted::operator delete(void* p, size_t size) {
  if constexpr (kPoolBlocks) {
    ThreadPool().Free(p, size);
    return;
  }
  ::operator delete(p);
}

Value Value::String(std::string s) { return Value(Kind::kString, new StringData(std::move(s))); }

Value Value::NewArray(bool sequence) {
  auto* a = new Array();
  a->sequence = sequence;
  return Value(Kind::kArray, a);
}

Value Value::NewObject() { return Value(Kind::kObject, new Object()); }

void Value::Destroy(Kind kind, Counted* p) {
  switch (kind) {
    case Kind::kString:
      delete static_cast<StringData*>(p);
      break;
    case Kind::kArray:
      delete static_cast<Array*>(p);
      break;
    case Kind::kObject:
      delete static_cast<Object*>(p);
      break;
    case Kind::kFunction:
      DestroyFunction(p);
      break;
    default:
      break;
  }
}


namespace {

// JavaScript's array index: the canonical decimal form of 0 .. 2^32-2.
std::optional<uint64_t> ArrayIndex(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
  uint64_t n = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n > 4294967294ULL) return std::nullopt;
  return n;
}

std::string_view View(const json::string& s) { return std::string_view(s.data(), s.size()); }

// The position of member `key` in `source`, or its size when absent. Small
// objects (most state data) are scanned inline, cheaper than the library's
// hashed lookup; keys are unique in a json::object.
// Field names are short: compared in place rather than through memcmp.
bool SameKey(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

size_t FindInSource(const json::object& source, std::string_view key) {
  constexpr size_t kScanUpTo = 8;
  if (source.size() <= kScanUpTo) {
    size_t i = 0;
    for (const auto& kv : source) {
      const json::string_view k = kv.key();
      if (k.size() == key.size() && SameKey(k.data(), key.data(), key.size())) return i;
      ++i;
    }
    return i;
  }
  auto it = source.find(json::string_view(key.data(), key.size()));
  return static_cast<size_t>(it - source.begin());
}

}  // namespace

Value Array::Lazy(const json::array& source) {
  auto* a = new Array();
  a->source_ = &source;
  return Value(Kind::kArray, a);
}

void Array::Materialize() const {
  const json::array* source = source_;
  source_ = nullptr;
  items_.reserve(source->size());
  for (const json::value& item : *source) items_.push_back(FromJsonLazy(item));
}

Value Object::Lazy(const json::object& source) {
  auto* o = new Object();
  o->source_ = &source;
  return Value(Kind::kObject, o);
}

void Object::Materialize() const {
  const json::object* source = source_;
  source_ = nullptr;
  entries_.reserve(source->size());
  size_t i = 0;
  for (const auto& kv : *source) {
    std::string_view key(kv.key().data(), kv.key().size());
    // A member Find already converted keeps its identity.
    Value value = i < cache_.size() && !cache_[i].IsUndefined() ? std::move(cache_[i])
                                                                : FromJsonLazy(kv.value());
    ++i;
    if (!key.empty() && key[0] >= '0' && key[0] <= '9') {
      Insert(key, std::move(value));  // may be an array index: JavaScript's order
    } else {
      entries_.push_back(Entry{std::string(key), std::move(value)});
    }
  }
  cache_.Clear();
}

const Value* Object::Find(std::string_view key) const {
  if (source_ != nullptr) {
    // Looked up in the JSON source: only the member asked for is converted.
    size_t i = FindInSource(*source_, key);
    if (i == source_->size()) return nullptr;
    if (cache_.empty()) cache_.Allocate(source_->size());
    if (cache_[i].IsUndefined()) cache_[i] = FromJsonLazy(source_->begin()[i].value());
    return &cache_[i];
  }
  if (entries_.size() < kIndexFrom) {
    for (const Entry& e : entries_) {
      if (e.key.size() == key.size() && (key.empty() || e.key[0] == key[0]) &&
          std::string_view(e.key) == key) {
        return &e.value;
      }
    }
    return nullptr;
  }
  if (index_ == nullptr) {
    index_ = std::make_unique<std::unordered_map<std::string, size_t>>();
    index_->reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i) index_->emplace(entries_[i].key, i);
  }
  auto it = index_->find(std::string(key));
  return it == index_->end() ? nullptr : &entries_[it->second].value;
}

Value Object::GetFromSource(std::string_view key) const {
  size_t i = FindInSource(*source_, key);
  if (i == source_->size()) return Value();
  if (!cache_.empty() && !cache_[i].IsUndefined()) return cache_[i];
  const json::value& member = source_->begin()[i].value();
  // Numbers, the commonest members, without the general conversion.
  if (member.is_int64()) return Value::Number(static_cast<double>(member.get_int64()));
  if (member.is_double()) return Value::Number(member.get_double());
  if (!member.is_array() && !member.is_object()) return FromJsonLazy(member);
  if (cache_.empty()) cache_.Allocate(source_->size());
  cache_[i] = FromJsonLazy(member);
  return cache_[i];
}

void Object::Set(std::string_view key, Value v) {
  if (source_ != nullptr) Materialize();
  if (const Value* existing = Find(key)) {
    *const_cast<Value*>(existing) = std::move(v);
    return;
  }
  Insert(key, std::move(v));
}

void Object::Insert(std::string_view key, Value v) const {
  std::optional<uint64_t> index = ArrayIndex(key);
  if (!index) {
    if (index_ != nullptr) index_->emplace(std::string(key), entries_.size());
    entries_.push_back(Entry{std::string(key), std::move(v)});
    return;
  }
  auto it = entries_.begin();
  while (it != entries_.end()) {
    std::optional<uint64_t> other = ArrayIndex(it->key);
    if (!other || *other > *index) break;
    ++it;
  }
  entries_.insert(it, Entry{std::string(key), std::move(v)});
  index_.reset();  // positions moved; rebuilt on the next lookup
}

void Object::Erase(std::string_view key) {
  if (source_ != nullptr) Materialize();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      entries_.erase(it);
      index_.reset();
      return;
    }
  }
}

std::string FormatJsNumber(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool negative = false;
  size_t pos = 0;
  if (sci[0] == '-') {
    negative = true;
    pos = 1;
  }
  size_t e = sci.find('e');
  std::string mant = sci.substr(pos, e - pos);
  int exp10 = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;  // value = 0.digits * 10^n
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    int x = n - 1;
    out += x < 0 ? '-' : '+';
    out += std::to_string(std::abs(x));
  }
  return out;
}

std::string FormatJsNumberPrecision15(double d) {
  if (!std::isfinite(d)) return FormatJsNumber(d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", d);
  return FormatJsNumber(std::strtod(buf, nullptr));
}

Value FromJsonLazy(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return Value::Null();
    case json::kind::bool_:
      return Value::Bool(v.get_bool());
    case json::kind::int64:
      return Value::Number(static_cast<double>(v.get_int64()));
    case json::kind::uint64:
      return Value::Number(static_cast<double>(v.get_uint64()));
    case json::kind::double_:
      return Value::Number(v.get_double());
    case json::kind::string:
      return Value::String(std::string(View(v.get_string())));
    case json::kind::array:
      return Array::Lazy(v.get_array());
    case json::kind::object:
      return Object::Lazy(v.get_object());
  }
  return Value();
}

Value FromJson(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array: {
      Value out = Value::NewArray();
      auto& items = out.AsArray().items();
      items.reserve(v.get_array().size());
      for (const auto& item : v.get_array()) items.push_back(FromJson(item));
      return out;
    }
    case json::kind::object: {
      Value out = Value::NewObject();
      for (const auto& kv : v.get_object()) {
        out.AsObject().Set(View(kv.key()), FromJson(kv.value()));
      }
      return out;
    }
    default:
      return FromJsonLazy(v);
  }
}

json::value ToJson(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return v.AsBool();
    case Kind::kNumber: {
      double d = v.AsNumber();
      // JSON has no NaN or infinity: JSON.stringify writes null.
      if (!std::isfinite(d)) return nullptr;
      if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
    case Kind::kString:
      return json::value(json::string_view(v.AsString().data(), v.AsString().size()));
    case Kind::kArray: {
      json::array out;
      const auto& items = v.AsArray().items();
      out.reserve(items.size());
      for (const auto& item : items) {
        if (item.IsUndefined()) continue;
        out.push_back(ToJson(item));
      }
      return out;
    }
    case Kind::kObject: {
      const Object& o = v.AsObject();
      json::object out(o.size());
      for (const auto& [k, item] : o.entries()) {
        if (item.IsUndefined()) continue;
        out[k] = ToJson(item);
      }
      return out;
    }
    case Kind::kFunction:
      return json::string("");
  }
  return nullptr;
}

namespace {

void AppendQuoted(std::string_view s, std::string& out) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void StringifyInto(const Value& v, bool pretty, int indent, std::string& out) {
  auto newline = [&](int level) {
    if (!pretty) return;
    out.push_back('\n');
    out.append(static_cast<size_t>(level * 2), ' ');
  };
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull:
      out += "null";
      return;
    case Kind::kBool:
      out += v.AsBool() ? "true" : "false";
      return;
    case Kind::kNumber:
      if (!std::isfinite(v.AsNumber())) {
        out += "null";
      } else {
        out += FormatJsNumberPrecision15(v.AsNumber());
      }
      return;
    case Kind::kString:
      AppendQuoted(v.AsString(), out);
      return;
    case Kind::kFunction:
      out += "\"\"";
      return;
    case Kind::kArray: {
      const auto& items = v.AsArray().items();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      bool first = true;
      for (const auto& item : items) {
        if (!first) out.push_back(',');
        first = false;
        newline(indent + 1);
        StringifyInto(item, pretty, indent + 1, out);
      }
      newline(indent);
      out.push_back(']');
      return;
    }
    case Kind::kObject: {
      const Object& o = v.AsObject();
      bool first = true;
      out.push_back('{');
      for (const auto& [k, item] : o.entries()) {
        if (item.IsUndefined()) continue;
        if (!first) out.push_back(',');
        first = false;
        newline(indent + 1);
        AppendQuoted(k, out);
        out.push_back(':');
        if (pretty) out.push_back(' ');
        StringifyInto(item, pretty, indent + 1, out);
      }
      if (!first) newline(indent);
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

std::string Stringify(const Value& v, bool pretty) {
  std::string out;
  StringifyInto(v, pretty, 0, out);
  return out;
}

bool DeepEqual(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.AsBool() == b.AsBool();
    case Kind::kNumber:
      return a.AsNumber() == b.AsNumber();
    case Kind::kString:
      return a.AsString() == b.AsString();
    case Kind::kFunction:
      return a.Identity() == b.Identity();
    case Kind::kArray: {
      const auto& x = a.AsArray().items();
      const auto& y = b.AsArray().items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!DeepEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::kObject: {
      const Object& x = a.AsObject();
      const Object& y = b.AsObject();
      if (x.size() != y.size()) return false;
      for (const auto& [k, item] : x.entries()) {
        const Value* other = y.Find(k);
        if (other == nullptr || !DeepEqual(item, *other)) return false;
      }
      return true;
    }
  }
  return false;
}

Value DeepClone(const Value& v) {
  if (v.IsArray()) {
    Value out = Value::NewArray();
    Array& dst = out.AsArray();
    const Array& src = v.AsArray();
    dst.sequence = src.sequence;
    dst.cons = src.cons;
    dst.keep_singleton = src.keep_singleton;
    for (const auto& item : src.items()) dst.items().push_back(DeepClone(item));
    return out;
  }
  if (v.IsObject()) {
    Value out = Value::NewObject();
    const Object& src = v.AsObject();
    for (const auto& [k, item] : src.entries()) out.AsObject().Set(k, DeepClone(item));
    return out;
  }
  return v;
}

std::u32string ToCodePoints(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c >> 4) == 0xE) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c >> 3) == 0x1E) {
      cp = c & 0x07;
      len = 4;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    if (i + len > s.size()) {
      out.push_back(0xFFFD);
      break;
    }
    for (size_t j = 1; j < len; ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + j]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string FromCodePoints(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) AppendUtf8(cp, out);
  return out;
}

}  // namespace stepwise::jsonata::internal
