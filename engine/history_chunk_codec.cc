// History chunks (see execution_codec.h): the text one commit appends to an
// execution's history, and the two ways of reading it back (a JSON tree, or
// a scan that leaves each event's details as text, for watches and reads).
// Pure functions: any thread.
//
// Two shapes, both read back:
//  - [[id, previous_event_id, timestamp, "Type", {details}], ...]: every
//    chunk written before payloads were shared, and every chunk in which no
//    payload repeats;
//  - {"p": ["<payload>", ...], "e": [[...], ...]}: a payload ("input" or
//    "output" member of the details, itself JSON text) that more than one
//    event of the chunk carries is stored once in "p", and those members
//    hold its index there (an integer, where AWS's shape has a string).
//    A 10-state Pass chain's 22 copies of its input become one: what the
//    chunk costs to encode, to write ahead, to flush and to compact falls
//    with the payload's size (issue 21's 64 KiB figure).
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "engine/execution_codec.h"

namespace stepwise::engine {

namespace {

// Payloads shorter than this stay inline even when they repeat: a
// reference saves little and costs a lookup on every read.
constexpr size_t kSharedPayloadMinBytes = 64;

bool IsPayloadKey(std::string_view key) { return key == "input" || key == "output"; }

// A payload member worth sharing: its text, or empty.
std::string_view SharablePayload(std::string_view key, const json::value& v) {
  if (!IsPayloadKey(key) || !v.is_string()) return {};
  const json::string& t = v.get_string();
  if (t.size() < kSharedPayloadMinBytes) return {};
  return std::string_view(t.data(), t.size());
}

// How many distinct payloads back a payload is looked for: a chunk's
// repeats are neighbours (a state's output is the next state's input); a
// Map state's hundred different items are not compared with each other.
constexpr size_t kPayloadLookBack = 8;

// The chunk's payloads in the order its events carry them, each with the
// distinct payload it equals (compared by size, then bytes: cheaper than
// hashing texts of a kilobyte or more).
struct PayloadPlan {
  struct Distinct {
    std::string_view text;
    int count = 0;
    int64_t index = -1;  // in the shared table; -1: inline
  };
  std::vector<Distinct> distinct;
  std::vector<size_t> of_occurrence;  // occurrence -> distinct entry
  bool repeats = false;

  explicit PayloadPlan(const std::vector<HistoryEvent>& events) {
    for (const HistoryEvent& e : events) {
      for (const auto& m : e.details) {
        std::string_view text = SharablePayload(m.key(), m.value());
        if (text.empty()) continue;
        size_t found = distinct.size();
        for (size_t back = 0; back < kPayloadLookBack && back < distinct.size(); ++back) {
          const Distinct& d = distinct[distinct.size() - 1 - back];
          if (d.text.size() == text.size() &&
              std::memcmp(d.text.data(), text.data(), text.size()) == 0) {
            found = distinct.size() - 1 - back;
            break;
          }
        }
        if (found == distinct.size()) distinct.push_back(Distinct{text});
        if (++distinct[found].count > 1) repeats = true;
        of_occurrence.push_back(found);
      }
    }
  }
};

void AppendEventHead(const HistoryEvent& e, std::string& out) {
  out.push_back('[');
  out += std::to_string(e.id);
  out.push_back(',');
  out += std::to_string(e.previous_event_id);
  out.push_back(',');
  out += std::to_string(e.timestamp);
  out.push_back(',');
  AppendJsonString(e.type, out);
  out.push_back(',');
}

}  // namespace

std::string EncodeHistoryChunk(const std::vector<HistoryEvent>& events) {
  // Written straight into the text (no intermediate JSON tree): this runs
  // once per commit on the engine's hot path.
  PayloadPlan plan(events);
  std::string out;
  if (!plan.repeats) {
    out.reserve(events.size() * 256);
    out.push_back('[');
    for (size_t i = 0; i < events.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendEventHead(events[i], out);
      AppendJson(events[i].details, out);
      out.push_back(']');
    }
    out.push_back(']');
    return out;
  }
  // The payloads carried more than once, in order of first appearance.
  out.reserve(events.size() * 192);
  out += "{\"p\":[";
  int64_t shared = 0;
  for (PayloadPlan::Distinct& d : plan.distinct) {
    if (d.count < 2) continue;
    if (shared > 0) out.push_back(',');
    AppendJsonString(d.text, out);
    d.index = shared++;
  }
  out += "],\"e\":[";
  size_t occurrence = 0;  // walks the payloads in the plan's order
  for (size_t i = 0; i < events.size(); ++i) {
    const HistoryEvent& e = events[i];
    if (i > 0) out.push_back(',');
    AppendEventHead(e, out);
    out.push_back('{');
    bool first = true;
    for (const auto& m : e.details) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(m.key(), out);
      out.push_back(':');
      int64_t index = -1;
      if (!SharablePayload(m.key(), m.value()).empty()) {
        index = plan.distinct[plan.of_occurrence[occurrence++]].index;
      }
      if (index >= 0) {
        out += std::to_string(index);
      } else {
        AppendJson(m.value(), out);
      }
    }
    out += "}]";
  }
  out += "]}";
  return out;
}

absl::StatusOr<std::vector<HistoryEvent>> DecodeHistoryChunk(std::string_view text) {
  auto v = ParseJson(ToAbsl(text));
  if (!v.ok()) return absl::DataLossError("malformed stored history chunk");
  const json::array* events = v->if_array();
  const json::array* payloads = nullptr;
  if (const json::object* o = v->if_object()) {
    const json::value* p = o->if_contains("p");
    const json::value* e = o->if_contains("e");
    if (p == nullptr || e == nullptr || !p->is_array() || !e->is_array()) {
      return absl::DataLossError("malformed stored history chunk");
    }
    payloads = &p->get_array();
    events = &e->get_array();
  }
  if (events == nullptr) return absl::DataLossError("malformed stored history chunk");
  std::vector<HistoryEvent> out;
  out.reserve(events->size());
  for (const json::value& ev : *events) {
    const json::array* a = ev.if_array();
    if (a == nullptr || a->size() != 5 || !(*a)[0].is_int64() || !(*a)[1].is_int64() ||
        !(*a)[2].is_int64() || !(*a)[3].is_string() || !(*a)[4].is_object()) {
      return absl::DataLossError("malformed stored history event");
    }
    HistoryEvent e;
    e.id = (*a)[0].get_int64();
    e.previous_event_id = (*a)[1].get_int64();
    e.timestamp = (*a)[2].get_int64();
    e.type = std::string((*a)[3].get_string());
    e.details = (*a)[4].get_object();
    if (payloads != nullptr) {
      for (auto& m : e.details) {
        if (!IsPayloadKey(m.key()) || !m.value().is_int64()) continue;
        int64_t i = m.value().get_int64();
        if (i < 0 || static_cast<size_t>(i) >= payloads->size() || !(*payloads)[i].is_string()) {
          return absl::DataLossError("malformed stored history event: payload reference");
        }
        m.value() = (*payloads)[i];
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// A forward scanner over chunk text; any deviation fails the decode.
class ChunkScanner {
 public:
  explicit ChunkScanner(std::string_view t) : t_(t) {}

  bool Eat(char c) {
    SkipSpace();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return i_ < t_.size() && t_[i_] == c;
  }
  bool Int(int64_t* v) {
    SkipSpace();
    size_t start = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
    return absl::SimpleAtoi(ToAbsl(t_.substr(start, i_ - start)), v);
  }
  // A JSON string; escapes are decoded by the full parser (rare here).
  bool String(std::string* out) {
    std::string_view raw;
    if (!RawString(&raw)) return false;
    if (raw.find('\\') == std::string_view::npos) {
      out->assign(raw.substr(1, raw.size() - 2));
      return true;
    }
    auto v = ParseJson(ToAbsl(raw));
    if (!v.ok() || !v->is_string()) return false;
    out->assign(v->get_string());
    return true;
  }
  // A JSON string, returned as its text (quotes and escapes included).
  bool RawString(std::string_view* out) {
    SkipSpace();
    size_t start = i_;
    if (!SkipString()) return false;
    *out = t_.substr(start, i_ - start);
    return true;
  }
  // An object, returned as its text.
  bool Object(std::string_view* out) {
    SkipSpace();
    if (i_ >= t_.size() || t_[i_] != '{') return false;
    return Nested(out);
  }
  // Any JSON value, returned as its text (literals and numbers unchecked:
  // the text was written by EncodeHistoryChunk).
  bool Value(std::string_view* out) {
    SkipSpace();
    if (i_ >= t_.size()) return false;
    char c = t_[i_];
    if (c == '"') return RawString(out);
    if (c == '{' || c == '[') return Nested(out);
    size_t start = i_;
    while (i_ < t_.size() && std::strchr(",}] \n\t\r", t_[i_]) == nullptr) ++i_;
    *out = t_.substr(start, i_ - start);
    return i_ > start;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ == t_.size();
  }

 private:
  // An object or array at i_, returned as its text.
  bool Nested(std::string_view* out) {
    size_t start = i_;
    std::string open;  // the brackets not yet closed
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (c == '"') {
        if (!SkipString()) return false;
        continue;
      }
      ++i_;
      if (c == '{' || c == '[') {
        open.push_back(c);
      } else if (c == '}' || c == ']') {
        if (open.empty() || open.back() != (c == '}' ? '{' : '[')) return false;
        open.pop_back();
        if (open.empty()) {
          *out = t_.substr(start, i_ - start);
          return true;
        }
      }
    }
    return false;
  }
  void SkipSpace() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  bool SkipString() {
    if (i_ >= t_.size() || t_[i_] != '"') return false;
    ++i_;
    // memchr to each quote; it ends the string unless an odd run of
    // backslashes precedes it (payload texts are full of \" escapes).
    while (i_ < t_.size()) {
      const void* q = std::memchr(t_.data() + i_, '"', t_.size() - i_);
      if (q == nullptr) return false;
      size_t at = static_cast<const char*>(q) - t_.data();
      size_t slashes = 0;
      while (at - slashes > i_ && t_[at - slashes - 1] == '\\') ++slashes;
      i_ = at + 1;
      if (slashes % 2 == 0) return true;
    }
    return false;
  }

  std::string_view t_;
  size_t i_ = 0;
};

// Writes `details` (an object's text) with each payload reference replaced
// by the shared payload's text. False when malformed.
bool ResolvePayloads(std::string_view details, const std::vector<std::string_view>& payloads,
                     std::string* out) {
  ChunkScanner s(details);
  if (!s.Eat('{')) return false;
  out->reserve(details.size() + 256);
  out->push_back('{');
  if (s.Eat('}')) {
    out->push_back('}');
    return s.AtEnd();
  }
  bool first = true;
  do {
    std::string_view key, value;
    if (!s.RawString(&key) || !s.Eat(':') || !s.Value(&value)) return false;
    if (!first) out->push_back(',');
    first = false;
    out->append(key);
    out->push_back(':');
    int64_t index = 0;
    if ((key == "\"input\"" || key == "\"output\"") && !value.empty() && value[0] != '"' &&
        absl::SimpleAtoi(ToAbsl(value), &index)) {
      if (index < 0 || static_cast<size_t>(index) >= payloads.size()) return false;
      out->append(payloads[index]);
    } else {
      out->append(value);
    }
  } while (s.Eat(','));
  if (!s.Eat('}') || !s.AtEnd()) return false;
  out->push_back('}');
  return true;
}

}  // namespace

absl::Status DecodeHistoryChunkRaw(std::string_view text, int64_t after_id,
                                   std::vector<RawHistoryEvent>* out) {
  ChunkScanner s(text);
  auto bad = [] { return absl::DataLossError("malformed stored history chunk"); };
  // The shared payloads, as their JSON string texts.
  std::vector<std::string_view> payloads;
  const bool shared = s.Peek('{');
  if (shared) {
    std::string key;
    if (!s.Eat('{') || !s.String(&key) || key != "p" || !s.Eat(':') || !s.Eat('[')) return bad();
    if (!s.Eat(']')) {
      do {
        std::string_view p;
        if (!s.RawString(&p)) return bad();
        payloads.push_back(p);
      } while (s.Eat(','));
      if (!s.Eat(']')) return bad();
    }
    if (!s.Eat(',') || !s.String(&key) || key != "e" || !s.Eat(':')) return bad();
  }
  if (!s.Eat('[')) return bad();
  if (!s.Eat(']')) {
    do {
      RawHistoryEvent e;
      std::string_view details;
      if (!s.Eat('[') || !s.Int(&e.id) || !s.Eat(',') || !s.Int(&e.previous_event_id) ||
          !s.Eat(',') || !s.Int(&e.timestamp) || !s.Eat(',') || !s.String(&e.type) ||
          !s.Eat(',') || !s.Object(&details) || !s.Eat(']')) {
        return bad();
      }
      if (e.id > after_id) {
        if (shared) {
          if (!ResolvePayloads(details, payloads, &e.details_json)) return bad();
        } else {
          e.details_json.assign(details);
        }
        out->push_back(std::move(e));
      }
    } while (s.Eat(','));
    if (!s.Eat(']')) return bad();
  }
  if (shared && !s.Eat('}')) return bad();
  if (!s.AtEnd()) return bad();
  return absl::OkStatus();
}

}  // namespace stepwise::engine
