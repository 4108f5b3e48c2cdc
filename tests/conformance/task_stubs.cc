#include "tests/conformance/task_stubs.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>

#include "tests/conformance/cat.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/compare.h"

namespace stepwise::conformance {
namespace {

std::string_view Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

const json::object* Obj(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

bool IsLambdaInvoke(std::string_view resource) {
  return StartsWith(resource, "arn:") &&
         resource.find(":states:::lambda:invoke") != std::string_view::npos;
}
bool IsLambdaFunctionArn(std::string_view resource) {
  return StartsWith(resource, "arn:") &&
         resource.find(":lambda:") != std::string_view::npos &&
         resource.find(":function:") != std::string_view::npos;
}
bool IsActivityArn(std::string_view resource) {
  return StartsWith(resource, "arn:") &&
         resource.find(":activity:") != std::string_view::npos;
}

// "stub-x", "arn:aws:lambda:r:a:function:stub-x:alias" -> "stub-x".
std::string FunctionNameFrom(std::string_view s) {
  size_t f = s.find(":function:");
  if (f != std::string_view::npos) s = s.substr(f + 10);
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) s = s.substr(0, colon);
  return std::string(s);
}

// Python's float repr: shortest round-trip digits; scientific notation
// when the exponent is < -4 or >= 16.
std::string PythonFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d,
                           std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::stoi(sci.substr(e + 1));
  if (exp < -4 || exp >= 16) {
    std::string mant = digits.substr(0, 1);
    if (digits.size() > 1) mant += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exp < 0 ? '-' : '+',
                  exp < 0 ? -exp : exp);
    return sign + mant + ebuf;
  }
  if (exp < 0) {
    return sign + "0." + std::string(static_cast<size_t>(-exp - 1), '0') +
           digits;
  }
  size_t int_len = static_cast<size_t>(exp) + 1;
  while (digits.size() < int_len) digits.push_back('0');
  std::string frac = digits.substr(int_len);
  if (frac.empty()) frac = "0";
  return sign + digits.substr(0, int_len) + "." + frac;
}

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes decode
// as themselves.
uint32_t DecodeUtf8(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + extra >= s.size()) {
    ++i;
    return c;
  }
  uint32_t cp = extra == 3 ? (c & 0x07u) : extra == 2 ? (c & 0x0Fu) : (c & 0x1Fu);
  ++i;
  for (size_t k = 0; k < extra; ++k, ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3Fu);
  }
  return cp;
}

void AppendHex4(uint32_t v, std::string& out) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(v));
  out += buf;
}

void AppendPythonJsonString(std::string_view s, std::string& out) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      uint32_t cp = DecodeUtf8(s, i);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        AppendHex4(0xD800 + (cp >> 10), out);
        AppendHex4(0xDC00 + (cp & 0x3FF), out);
      } else {
        AppendHex4(cp, out);
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          AppendHex4(c, out);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void AppendPythonRepr(std::string_view s, std::string& out) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  out.push_back(quote);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.push_back(ch);
    }
  }
  out.push_back(quote);
}

void AppendPython(const json::value& v, bool as_json, std::string& out) {
  switch (v.kind()) {
    case json::kind::null:
      out += as_json ? "null" : "None";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? (as_json ? "true" : "True")
                          : (as_json ? "false" : "False");
      return;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case json::kind::double_:
      out += PythonFloat(v.get_double());
      return;
    case json::kind::string: {
      const json::string& s = v.get_string();
      if (as_json) {
        AppendPythonJsonString(std::string_view(s.data(), s.size()), out);
      } else {
        AppendPythonRepr(std::string_view(s.data(), s.size()), out);
      }
      return;
    }
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!first) out += ", ";
        first = false;
        AppendPython(e, as_json, out);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ", ";
        first = false;
        std::string_view key(kv.key().data(), kv.key().size());
        if (as_json) {
          AppendPythonJsonString(key, out);
        } else {
          AppendPythonRepr(key, out);
        }
        out += ": ";
        AppendPython(kv.value(), as_json, out);
      }
      out.push_back('}');
      return;
    }
  }
}

engine::TaskOutcome Success(json::value output) {
  engine::TaskOutcome o;
  o.success = true;
  o.output = std::move(output);
  return o;
}

engine::TaskOutcome Failure(std::string error, std::string cause) {
  engine::TaskOutcome o;
  o.success = false;
  o.error = std::move(error);
  o.cause = std::move(cause);
  return o;
}

engine::TaskOutcome TimedOut() {
  engine::TaskOutcome o;
  o.success = false;
  o.timed_out = true;
  o.error = "States.Timeout";
  return o;
}

bool ReplayTimedOut(const json::object* replay) {
  if (replay == nullptr) return false;
  const json::object* result = Obj(*replay, "result");
  return result != nullptr && EndsWith(Str(*result, "failure_event"), "TimedOut");
}

bool ReplayFailed(const json::object* replay) {
  if (replay == nullptr) return false;
  const json::object* result = Obj(*replay, "result");
  return result != nullptr && !result->contains("output");
}

json::object LambdaEnvelope(const json::value& payload,
                            const std::string& request_id,
                            const json::object* replay) {
  if (replay != nullptr) {
    if (const json::object* result = Obj(*replay, "result")) {
      if (const json::object* out = Obj(*result, "output");
          out != nullptr && out->contains("Payload")) {
        json::object env = *out;
        env["Payload"] = payload;
        return env;
      }
    }
  }
  std::string length = std::to_string(SerializeJson(payload).size());
  json::object all_headers = {
      {"X-Amz-Executed-Version", json::array{"$LATEST"}},
      {"x-amzn-Remapped-Content-Length", json::array{"0"}},
      {"Connection", json::array{"keep-alive"}},
      {"x-amzn-RequestId", json::array{request_id}},
      {"Content-Length", json::array{length}},
      {"Date", json::array{"Thu, 01 Jan 2024 00:00:00 GMT"}},
      {"X-Amzn-Trace-Id", json::array{"Root=1-00000000-000000000000000000000000"}},
      {"Content-Type", json::array{"application/json"}},
  };
  json::object headers;
  for (const auto& kv : all_headers) {
    headers[kv.key()] = kv.value().get_array()[0];
  }
  return json::object{
      {"ExecutedVersion", "$LATEST"},
      {"Payload", payload},
      {"SdkHttpMetadata",
       json::object{{"AllHttpHeaders", all_headers},
                    {"HttpHeaders", headers},
                    {"HttpStatusCode", 200}}},
      {"SdkResponseMetadata", json::object{{"RequestId", request_id}}},
      {"StatusCode", 200},
  };
}

}  // namespace

std::string PythonStr(const json::value& v) {
  std::string out;
  AppendPython(v, false, out);
  return out;
}

std::string PythonJsonDumps(const json::value& v) {
  std::string out;
  AppendPython(v, true, out);
  return out;
}

TaskResponder::TaskResponder(const json::object& case_doc, uint64_t seed)
    : case_doc_(case_doc), uuid_state_(seed * 0x9E3779B97F4A7C15ull + 1) {
  definition_ = case_doc_.if_contains("definition");
  lambda_stubs_ = Obj(case_doc_, "lambda_stubs");
  activity_stubs_ = Obj(case_doc_, "activity_stubs");
  if (const json::value* r = case_doc_.if_contains("task_replay")) {
    if (const json::array* arr = r->if_array()) {
      for (const json::value& e : *arr) {
        if (const json::object* o = e.if_object()) replay_.push_back({o});
      }
    }
  }
}

std::vector<std::string> TaskResponder::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::string TaskResponder::NextUuid() {
  auto next = [this] {
    uint64_t z = (uuid_state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t a = next(), b = next();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF),
                static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

const json::object* TaskResponder::TakeReplay(const std::string& state,
                                              const json::value& input) {
  CompareOptions options;
  options.any_token_is_placeholder = true;
  for (ReplayEntry& r : replay_) {
    if (r.used || Str(*r.entry, "state") != state) continue;
    const json::value* params = r.entry->if_contains("parameters");
    json::value expected = params ? *params : json::value(json::object());
    bool match = !CompareJson(expected, input, options).has_value();
    if (!match && expected.is_string() && !input.is_string()) {
      // Parameters recorded as JSON text.
      auto parsed = ParseJson(absl::string_view(expected.get_string().data(),
                                               expected.get_string().size()));
      match = parsed.ok() && !CompareJson(*parsed, input, options).has_value();
    }
    if (match) {
      r.used = true;
      return r.entry;
    }
    if (last_mismatch_.empty()) {
      last_mismatch_ = CompareJson(expected, input, options).value_or("");
    }
  }
  return nullptr;
}

engine::TaskOutcome TaskResponder::FromReplay(const json::object& replay) const {
  const json::object* result = Obj(replay, "result");
  if (result == nullptr) {
    return Failure("States.TaskFailed",
                   "conformance runner: replay entry has no result");
  }
  if (const json::value* out = result->if_contains("output")) {
    return Success(*out);
  }
  engine::TaskOutcome o;
  o.success = false;
  o.timed_out = EndsWith(Str(*result, "failure_event"), "TimedOut");
  o.error = std::string(Str(*result, "error"));
  if (const json::value* cause = result->if_contains("cause")) {
    // A Lambda function's own error (LambdaFunctionFailed) arrives as the
    // text Python's json.dumps wrote; through a service integration
    // (TaskFailed) AWS re-serialises it compactly.
    std::string_view event = Str(*result, "failure_event");
    o.cause = cause->is_string()                ? std::string(cause->get_string())
              : event == "LambdaFunctionFailed" ? PythonJsonDumps(*cause)
                                                : SerializeJson(*cause);
  }
  return o;
}

engine::TaskOutcome TaskResponder::Answer(const engine::TaskRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  last_mismatch_.clear();
  const json::object* replay = TakeReplay(request.state_name, request.input);
  std::string_view resource = request.resource;
  engine::TaskOutcome outcome;
  std::string how;
  if (IsLambdaInvoke(resource) || IsLambdaFunctionArn(resource)) {
    outcome = AnswerLambda(request, replay);
    how = "lambda stub";
  } else if (IsActivityArn(resource) && activity_stubs_ != nullptr) {
    std::string name(resource.substr(resource.rfind(':') + 1));
    const json::object* stub = Obj(*activity_stubs_, name);
    if (stub != nullptr) {
      outcome = AnswerActivity(request, *stub, replay);
      how = "activity stub";
    } else if (replay != nullptr) {
      outcome = FromReplay(*replay);
      how = "replay";
    } else {
      outcome = Failure("States.TaskFailed",
                        Cat("conformance runner: no stub for activity ",
                                     resource));
      how = "no stub";
    }
  } else if (replay != nullptr) {
    outcome = FromReplay(*replay);
    how = "replay";
  } else {
    outcome = Failure(
        "States.TaskFailed",
        Cat("conformance runner: no recorded answer for state '",
                     request.state_name, "' with these parameters"));
    how = "no replay match";
  }
  log_.push_back(Cat(
      "task ", request.state_name, " attempt ", request.attempt, " [", how,
      replay ? ", replay matched"
             : (last_mismatch_.empty()
                    ? std::string(", no replay entry")
                    : Cat(", no replay match: ", last_mismatch_.substr(0, 300))),
      "] input ",
      SerializeJson(request.input).substr(0, 300), " -> ",
      outcome.success ? "output " + SerializeJson(outcome.output).substr(0, 300)
                      : Cat(outcome.timed_out ? "timed out " : "failed ",
                                     outcome.error, " ",
                                     outcome.cause.substr(0, 200))));
  return outcome;
}

engine::TaskOutcome TaskResponder::AnswerLambda(
    const engine::TaskRequest& request, const json::object* replay) {
  bool invoke = IsLambdaInvoke(request.resource);
  std::string function;
  json::value event;
  if (invoke) {
    const json::object* in = request.input.if_object();
    if (in != nullptr) {
      function = FunctionNameFrom(Str(*in, "FunctionName"));
      const json::value* payload = in->if_contains("Payload");
      if (payload == nullptr || payload->is_null()) {
        event = json::object();
      } else if (payload->is_string()) {
        // A string Payload is the raw JSON the function receives.
        const json::string& s = payload->get_string();
        auto parsed = ParseJson(absl::string_view(s.data(), s.size()));
        event = parsed.ok() ? *parsed : *payload;
      } else {
        event = *payload;
      }
    }
  } else {
    function = FunctionNameFrom(request.resource);
    event = request.input;
  }
  std::string request_id = NextUuid();
  const json::object* stub =
      lambda_stubs_ != nullptr ? Obj(*lambda_stubs_, function) : nullptr;
  if (stub == nullptr) {
    if (replay != nullptr) return FromReplay(*replay);
    return Failure(
        "Lambda.ResourceNotFoundException",
        Cat("Function not found: arn:aws:lambda:us-east-1:111111111111:"
                     "function:",
                     function,
                     ":$LATEST (Service: AWSLambda; Status Code: 404; Error "
                     "Code: ResourceNotFoundException; Request ID: ",
                     request_id, "; Proxy: null)"));
  }
  std::string_view behaviour = Str(*stub, "behaviour");
  json::value payload;
  if (behaviour == "identity") {
    payload = event;
  } else if (behaviour == "constant") {
    const json::value* r = stub->if_contains("result");
    payload = r ? *r : json::value();
  } else if (behaviour == "constant_bytes") {
    std::string_view bytes = Str(*stub, "result");
    auto parsed = ParseJson(absl::string_view(bytes.data(), bytes.size()));
    payload = parsed.ok() ? *parsed : json::value(json::string(bytes));
  } else if (behaviour == "python_format") {
    payload = json::string(Cat("input-event-", PythonStr(event)));
  } else if (behaviour == "large_output") {
    size_t size = 263168;
    if (const json::value* s = stub->if_contains("size_bytes"); s && IsNumber(*s)) {
      size = static_cast<size_t>(ToDouble(*s));
    }
    payload = json::string(std::string(size, 'a'));
  } else if (behaviour == "sleep_then_identity") {
    double seconds = 0;
    if (const json::value* s = stub->if_contains("seconds"); s && IsNumber(*s)) {
      seconds = ToDouble(*s);
    }
    bool timed_out = ReplayTimedOut(replay);
    if (definition_ != nullptr) {
      if (const json::object* state = FindState(*definition_, request.state_name)) {
        if (const json::value* t = state->if_contains("TimeoutSeconds");
            t && IsNumber(*t) && ToDouble(*t) <= seconds) {
          timed_out = true;
        }
      }
    }
    if (timed_out) {
      engine::TaskOutcome o = TimedOut();
      if (replay != nullptr && ReplayTimedOut(replay)) {
        engine::TaskOutcome r = FromReplay(*replay);
        if (!r.error.empty()) o.error = r.error;
        o.cause = r.cause;
      }
      return o;
    }
    payload = event;
  } else if (behaviour == "raise") {
    if (ReplayFailed(replay)) return FromReplay(*replay);
    std::string error(Str(*stub, "error"));
    if (error.empty()) error = "Exception";
    json::object cause = {{"errorMessage", Str(*stub, "message")},
                          {"errorType", error},
                          {"requestId", request_id},
                          {"stackTrace", json::array()}};
    return Failure(error,
                   invoke ? SerializeJson(cause) : PythonJsonDumps(cause));
  } else {
    return Failure("States.TaskFailed",
                   Cat("conformance runner: unknown stub behaviour '",
                                behaviour, "'"));
  }
  if (invoke) return Success(LambdaEnvelope(payload, request_id, replay));
  return Success(std::move(payload));
}

engine::TaskOutcome TaskResponder::AnswerActivity(
    const engine::TaskRequest& request, const json::object& stub,
    const json::object* replay) {
  std::string_view behaviour = Str(stub, "behaviour");
  if (behaviour == "identity" || behaviour == "heartbeat_then_identity") {
    return Success(request.input);
  }
  if (behaviour == "never_answers") {
    if (ReplayTimedOut(replay)) return FromReplay(*replay);
    return TimedOut();
  }
  if (behaviour == "send_task_failure") {
    if (ReplayFailed(replay)) return FromReplay(*replay);
    return Failure("States.TaskFailed", "activity worker reported a failure");
  }
  return Failure("States.TaskFailed",
                 Cat("conformance runner: unknown activity behaviour '",
                              behaviour, "'"));
}

}  // namespace stepwise::conformance
