// A port of the reference evaluator (jsonata-js 2.0.6 jsonata.js).
#include "jsonata/evaluator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sanitizers.h"
#include "common/status_macros.h"

namespace stepwise::jsonata::internal {

// Evaluates `expr` into the Value `out`: a leaf through TryLeaf, anything
// else through Evaluate (returning its error).
#define SW_EVALUATE_INTO(out, expr, input, env)                         \
  if (!((expr)->leaf && TryLeaf((expr), (input), (env), (out)))) {      \
    SW_ASSIGN_OR_RETURN((out), Evaluate((expr), (input), (env)));       \
  }

Value CreateSequence() { return Value::NewArray(true); }

Value CreateSequence(Value v) {
  Value s = Value::NewArray(true);
  s.AsArray().items().push_back(std::move(v));
  return s;
}

FramePtr CreateFrameFromTuple(const FramePtr& env, const Value& tuple) {
  FramePtr f = NewFrame(env);
  if (tuple.IsObject()) {
    const Object& o = tuple.AsObject();
    for (const auto& [k, v] : o.entries()) f->Bind(k, v);
  }
  return f;
}

bool IsArrayOfStrings(const Value& v) {
  if (!v.IsArray()) return false;
  for (const auto& i : v.AsArray().items()) {
    if (!i.IsString()) return false;
  }
  return true;
}

bool IsArrayOfNumbers(const Value& v) {
  if (!v.IsArray()) return false;
  for (const auto& i : v.AsArray().items()) {
    if (!i.IsNumber() || std::isnan(i.AsNumber())) return false;
  }
  return true;
}

std::optional<bool> ToBoolean(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return std::nullopt;
    case Kind::kNull:
      return false;
    case Kind::kBool:
      return v.AsBool();
    case Kind::kNumber:
      return v.AsNumber() != 0 && !std::isnan(v.AsNumber());
    case Kind::kString:
      return !v.AsString().empty();
    case Kind::kObject:
      return v.AsObject().size() > 0;
    case Kind::kFunction:
      return false;
    case Kind::kArray: {
      const auto& items = v.AsArray().items();
      if (items.size() == 1) return ToBoolean(items[0]).value_or(false);
      for (const auto& i : items) {
        if (ToBoolean(i).value_or(false)) return true;
      }
      return false;
    }
  }
  return false;
}

absl::StatusOr<std::string> ToJsonataString(const Value& v, bool pretty) {
  if (v.IsString()) return v.AsString();
  if (v.IsFunction()) return std::string();
  if (v.IsNumber() && !std::isfinite(v.AsNumber())) {
    return JsonataError("D3001", -1, "", FormatJsNumber(v.AsNumber()));
  }
  return Stringify(v, pretty);
}

Value AppendValues(const Value& a, const Value& b) {
  if (a.IsUndefined()) return b;
  if (b.IsUndefined()) return a;
  Value out = Value::NewArray();
  auto& items = out.AsArray().items();
  if (a.IsArray()) {
    items = a.AsArray().items();
  } else {
    items.push_back(a);
  }
  if (b.IsArray()) {
    const auto& bi = b.AsArray().items();
    items.insert(items.end(), bi.begin(), bi.end());
  } else {
    items.push_back(b);
  }
  return out;
}

Value LookupKey(const Value& input, const std::string& key) {
  if (input.IsArray()) {
    Value result = CreateSequence();
    auto& out = result.AsArray().items();
    for (const auto& item : input.AsArray().items()) {
      Value res = LookupKey(item, key);
      if (res.IsUndefined()) continue;
      if (res.IsArray()) {
        for (const auto& r : res.AsArray().items()) out.push_back(r);
      } else {
        out.push_back(std::move(res));
      }
    }
    return result;
  }
  if (input.IsObject()) return input.AsObject().Get(key);
  return Value();
}

int FunctionArity(const Function& f) {
  switch (f.type) {
    case Function::Type::kLambda:
      return static_cast<int>(f.params.size());
    case Function::Type::kNative:
      return f.native->arity;
    case Function::Type::kPartial: {
      int n = 0;
      for (const auto& b : f.bound) {
        if (!b) ++n;
      }
      return n;
    }
    case Function::Type::kRegex:
      return 1;
    case Function::Type::kChain:
    case Function::Type::kTransform:
      return 1;
  }
  return 1;
}

namespace {

char Symbol(const Value& v) {
  switch (v.kind()) {
    case Kind::kFunction:
      return 'f';
    case Kind::kString:
      return 's';
    case Kind::kNumber:
      return 'n';
    case Kind::kBool:
      return 'b';
    case Kind::kNull:
      return 'l';
    case Kind::kArray:
      return 'a';
    case Kind::kObject:
      return 'o';
    case Kind::kUndefined:
      return 'm';
  }
  return 'm';
}

bool IsInteger(double d) { return std::isfinite(d) && d == std::floor(d); }

}  // namespace

absl::Status ValidateSignature(const Signature& sig, std::vector<Value>& args,
                               const Value& context) {
  std::string supplied;
  for (const auto& a : args) supplied.push_back(Symbol(a));
  // The match depends only on the signature's text and the argument types:
  // memoised per thread (a regex match per call was a fifth of a $sum).
  struct Match {
    bool matched = false;
    std::vector<std::string> groups;  // per parameter
    // Every argument stays as it is (no context, default or wrapping):
    // only array subtypes remain to check.
    bool in_place = false;
  };
  static thread_local std::unordered_map<std::string, Match> memo;
  std::string key = sig.definition;
  key.push_back('\0');
  key += supplied;
  auto found = memo.find(key);
  if (found == memo.end()) {
    Match fresh;
    boost::smatch m;
    try {
      fresh.matched = boost::regex_match(supplied, m, *sig.compiled);
    } catch (const std::exception&) {
      fresh.matched = false;
    }
    if (fresh.matched) {
      fresh.in_place = true;
      for (size_t index = 0; index < sig.params.size(); ++index) {
        fresh.groups.push_back(m[static_cast<int>(index + 1)].str());
        const std::string& g = fresh.groups.back();
        if (g.empty()) fresh.in_place = false;
        if (sig.params[index].type == 'a') {
          for (char single : g) {
            if (single != 'a' && single != 'm') fresh.in_place = false;
          }
        }
      }
    }
    if (memo.size() >= 4096) memo.clear();  // bounded: expressions are few, types fewer
    found = memo.emplace(std::move(key), std::move(fresh)).first;
  }
  const Match& m = found->second;
  // An array argument whose items are not all of the subtype's kind.
  auto bad_items = [](const Signature::Param& param, const Value& arg) {
    const auto& items = arg.AsArray().items();
    if (items.empty()) return false;
    char item_type = Symbol(items[0]);
    if (item_type != param.subtype[0]) return true;
    for (const auto& it : items) {
      if (Symbol(it) != item_type) return true;
    }
    return false;
  };
  if (m.in_place) {
    size_t arg_index = 0;
    for (size_t index = 0; index < sig.params.size(); ++index) {
      const auto& param = sig.params[index];
      for (char single : m.groups[index]) {
        if (param.type == 'a' && single == 'a' && !param.subtype.empty() &&
            bad_items(param, args[arg_index])) {
          return JsonataError("T0412", -1, "", std::to_string(arg_index));
        }
        ++arg_index;
      }
    }
    return absl::OkStatus();
  }
  if (m.matched) {
    std::vector<Value> validated;
    size_t arg_index = 0;
    for (size_t index = 0; index < sig.params.size(); ++index) {
      const auto& param = sig.params[index];
      const std::string& match = m.groups[index];
      if (match.empty()) {
        if (param.context && sig.context_compiled[index]) {
          std::string ct(1, Symbol(context));
          if (boost::regex_match(ct, *sig.context_compiled[index])) {
            validated.push_back(context);
          } else {
            return JsonataError("T0411", -1, "", std::to_string(arg_index + 1));
          }
        } else {
          validated.push_back(arg_index < args.size() ? args[arg_index] : Value());
          ++arg_index;
        }
      } else {
        for (char single : match) {
          Value arg = arg_index < args.size() ? args[arg_index] : Value();
          if (param.type == 'a') {
            if (single == 'm') {
              arg = Value();
            } else {
              bool array_ok = true;
              if (!param.subtype.empty()) {
                if (single != 'a' && match != param.subtype) {
                  array_ok = false;
                } else if (single == 'a' && bad_items(param, arg)) {
                  array_ok = false;
                }
              }
              if (!array_ok) {
                return JsonataError("T0412", -1, "", std::to_string(arg_index));
              }
              if (single != 'a') {
                Value wrapped = Value::NewArray();
                wrapped.AsArray().items().push_back(arg);
                arg = wrapped;
              }
            }
          }
          validated.push_back(arg);
          ++arg_index;
        }
      }
    }
    args = std::move(validated);
    return absl::OkStatus();
  }
  // Find the first bad argument.
  std::string bad = "^";
  size_t good_to = 0;
  for (const auto& param : sig.params) {
    bad += param.regex;
    boost::smatch pm;
    boost::regex re(bad);
    if (!boost::regex_search(supplied, pm, re)) {
      return JsonataError("T0410", -1, "", std::to_string(good_to + 1));
    }
    good_to = static_cast<size_t>(pm[0].length());
  }
  return JsonataError("T0410", -1, "", std::to_string(good_to + 1));
}

Evaluator::Evaluator(const EvalLimits& limits)
    : limits_(limits) {}

absl::Status Evaluator::CheckLimits() {
  if (limits_.max_steps != 0 && steps_ > limits_.max_steps) {
    return JsonataError("U1001", -1, "", "evaluation step limit exceeded");
  }
  if ((steps_ & 1023) != 0) return absl::OkStatus();
  // The clock starts at the first check (step 1024): most evaluations end
  // before it, and reading the clock at each start would cost more than
  // the time it misses.
  auto now = std::chrono::steady_clock::now();
  // Sanitizer builds run the same steps several times slower: the budget
  // scales with them (common/sanitizers.h), so a case that fits in a normal
  // build fits there too.
  if (!deadline_) deadline_ = now + limits_.timeout * kSanitizerSlowdown;
  if (now > *deadline_) {
    return JsonataError("U1001", -1, "",
                        "Expression evaluation timeout: Check for infinite loop");
  }
  return absl::OkStatus();
}

absl::Status Evaluator::StringTooLarge(size_t bytes) const {
  return JsonataError("U1001", -1, "",
                      absl::StrCat("a string of ", bytes, " bytes exceeds the evaluation limit of ",
                                   limits_.max_string_bytes));
}

absl::Status Evaluator::CheckOutputSize(const Value& v) const {
  // Walks the value as a tree (shared parts count each time they appear),
  // stopping as soon as the budget is spent.
  if (!v.IsArray() && !v.IsObject()) {
    size_t bytes = v.IsString() ? v.AsString().size() : 0;
    if (bytes > limits_.max_string_bytes || limits_.max_items < 1) {
      return JsonataError("U1001", -1, "", "the result is too large for the evaluation limits");
    }
    return absl::OkStatus();
  }
  size_t bytes = 0;
  size_t items = 0;
  absl::InlinedVector<const Value*, 16> stack = {&v};
  while (!stack.empty()) {
    const Value* x = stack.back();
    stack.pop_back();
    ++items;
    if (x->IsString()) bytes += x->AsString().size();
    if (x->IsArray()) {
      for (const auto& i : x->AsArray().items()) stack.push_back(&i);
    } else if (x->IsObject()) {
      for (const auto& e : x->AsObject().entries()) {
        bytes += e.key.size();
        stack.push_back(&e.value);
      }
    }
    if (bytes > limits_.max_string_bytes || items > limits_.max_items) {
      return JsonataError("U1001", -1, "", "the result is too large for the evaluation limits");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Evaluator::Evaluate(const Node* expr, const Value& input,
                                          const FramePtr& env) {
  // Tick, with no Status made unless a limit is due for a check.
  ++steps_;
  if ((limits_.max_steps != 0 && steps_ > limits_.max_steps) || (steps_ & 1023) == 0) {
    SW_RETURN_IF_ERROR(CheckLimits());
  }
  if (++depth_ > limits_.max_depth) {
    --depth_;
    return JsonataError("U1001", expr->position, "",
                        "Stack overflow error: Check for non-terminating recursive function");
  }
  // Paths, operators and calls (most nodes) are evaluated here directly,
  // reshaped only when their result needs it; the rest by EvaluateInner.
  bool direct = true;
  absl::StatusOr<Value> r = [&]() -> absl::StatusOr<Value> {
    switch (expr->type) {
      case NodeType::kPath:
        return EvaluatePath(expr, input, env);
      case NodeType::kBinary:
        return EvaluateBinary(expr, input, env);
      case NodeType::kFunction:
        return EvaluateFunction(expr, input, env, std::nullopt);
      case NodeType::kBlock:
        return EvaluateBlock(expr, input, env);
      case NodeType::kName:
        return LookupKey(input, expr->value);
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kValue:
        return expr->literal;
      default:
        direct = false;
        return EvaluateInner(expr, input, env);
    }
  }();
  if (direct && r.ok() &&
      (r->IsSequence() || !expr->predicate.empty() ||
       (expr->type != NodeType::kPath && expr->group))) {
    r = Reshape(expr, *std::move(r), env);
  }
  --depth_;
  // Every operator at most doubles a value, so checking each result keeps
  // strings and arrays near the limits (the functions that can build more
  // in one call check as they go).
  if (r.ok() && r->IsString()) SW_RETURN_IF_ERROR(CheckStringSize(r->AsString().size()));
  if (r.ok() && r->IsArray() && r->AsArray().size() > limits_.max_items) {
    return JsonataError("U1001", expr->position, "",
                        absl::StrCat("an array of ", r->AsArray().size(),
                                     " items exceeds the evaluation limit of ", limits_.max_items));
  }
  return r;
}

bool Evaluator::TryLeaf(const Node* expr, const Value& input, const FramePtr& env, Value& out) {
  // At a limit (or a time check) the general path runs and reports it.
  const uint64_t step = steps_ + 1;
  if (depth_ >= limits_.max_depth || (step & 1023) == 0 ||
      (limits_.max_steps != 0 && step > limits_.max_steps)) {
    return false;
  }
  switch (expr->type) {
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kValue:
      if (!expr->predicate.empty() || expr->group) return false;
      out = expr->literal;
      break;
    case NodeType::kName:
      if (!expr->plain_step || !input.IsObject()) return false;
      out = input.AsObject().Get(expr->value);
      break;
    case NodeType::kVariable:
      if (!expr->plain_step || expr->value.empty()) return false;
      out = env->Lookup(expr->value);
      break;
    default:
      return false;
  }
  // What Evaluate would reshape (a sequence) or refuse goes the general way.
  if (out.IsSequence() || (out.IsString() && out.AsString().size() > limits_.max_string_bytes) ||
      (out.IsArray() && out.AsArray().size() > limits_.max_items)) {
    return false;
  }
  steps_ = step;
  return true;
}

absl::StatusOr<Value> Evaluator::EvaluateInner(const Node* expr, const Value& input,
                                               const FramePtr& env) {
  // A result that needs none of the reshaping below (no predicate or
  // grouping on the node, not a sequence) is returned as it comes.
  auto as_is = [expr](const absl::StatusOr<Value>& r) {
    return !r.ok() || (!r->IsSequence() && expr->predicate.empty() &&
                       (expr->type == NodeType::kPath || !expr->group));
  };
  Value result;
  switch (expr->type) {
    case NodeType::kPath: {
      auto r = EvaluatePath(expr, input, env);
      if (as_is(r)) return r;
      result = *std::move(r);
      break;
    }
    case NodeType::kBinary: {
      auto r = EvaluateBinary(expr, input, env);
      if (as_is(r)) return r;
      result = *std::move(r);
      break;
    }
    case NodeType::kUnary: {
      SW_ASSIGN_OR_RETURN(result, EvaluateUnary(expr, input, env));
      break;
    }
    case NodeType::kName:
      result = LookupKey(input, expr->value);
      break;
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kValue:
      result = expr->literal;
      break;
    case NodeType::kWildcard: {
      result = CreateSequence();
      Value in = input;
      if (in.IsArray() && in.AsArray().outer_wrapper && !in.AsArray().empty()) {
        in = in.AsArray().items()[0];
      }
      auto add = [&](const Value& value) {
        if (value.IsArray()) {
          // flatten, then append (which yields a plain array)
          Value flat = Value::NewArray();
          std::function<void(const Value&)> rec = [&](const Value& x) {
            if (x.IsArray()) {
              for (const auto& i : x.AsArray().items()) rec(i);
            } else {
              flat.AsArray().items().push_back(x);
            }
          };
          rec(value);
          result = AppendValues(result, flat);
        } else {
          result.AsArray().items().push_back(value);
        }
      };
      if (in.IsObject()) {
        const Object& o = in.AsObject();
        for (const auto& e : o.entries()) add(e.value);
      } else if (in.IsArray()) {
        for (const auto& v : in.AsArray().items()) add(v);
      }
      break;
    }
    case NodeType::kDescendant: {
      if (!input.IsUndefined()) {
        Value seq = CreateSequence();
        std::function<void(const Value&)> rec = [&](const Value& x) {
          if (!x.IsArray()) seq.AsArray().items().push_back(x);
          if (x.IsArray()) {
            for (const auto& i : x.AsArray().items()) rec(i);
          } else if (x.IsObject()) {
            const Object& o = x.AsObject();
            for (const auto& e : o.entries()) rec(e.value);
          }
        };
        rec(input);
        if (seq.AsArray().size() == 1) {
          result = seq.AsArray().items()[0];
        } else {
          result = seq;
        }
      }
      break;
    }
    case NodeType::kParent:
      result = env->Lookup(expr->slot->label);
      break;
    case NodeType::kCondition: {
      SW_ASSIGN_OR_RETURN(Value cond, Evaluate(expr->condition.get(), input, env));
      if (ToBoolean(cond).value_or(false)) {
        SW_ASSIGN_OR_RETURN(result, Evaluate(expr->then.get(), input, env));
      } else if (expr->otherwise) {
        SW_ASSIGN_OR_RETURN(result, Evaluate(expr->otherwise.get(), input, env));
      }
      break;
    }
    case NodeType::kBlock: {
      SW_ASSIGN_OR_RETURN(result, EvaluateBlock(expr, input, env));
      break;
    }
    case NodeType::kBind: {
      SW_ASSIGN_OR_RETURN(result, Evaluate(expr->rhs.get(), input, env));
      env->Bind(expr->lhs->value, result);
      break;
    }
    case NodeType::kRegex: {
      result = Value::NewFunction();
      Function& f = result.AsFunction();
      f.type = Function::Type::kRegex;
      f.regex = std::const_pointer_cast<boost::regex>(expr->regex->compiled);
      break;
    }
    case NodeType::kFunction: {
      auto r = EvaluateFunction(expr, input, env, std::nullopt);
      if (as_is(r)) return r;
      result = *std::move(r);
      break;
    }
    case NodeType::kVariable:
      if (expr->value.empty()) {
        if (input.IsArray() && input.AsArray().outer_wrapper && !input.AsArray().empty()) {
          result = input.AsArray().items()[0];
        } else {
          result = input;
        }
      } else {
        result = env->Lookup(expr->value);
      }
      break;
    case NodeType::kLambda: {
      result = Value::NewFunction();
      Function& f = result.AsFunction();
      f.type = Function::Type::kLambda;
      f.node = expr;
      for (const auto& a : expr->arguments) f.params.push_back(a->value);
      f.env = env;
      f.input = input;
      f.signature = expr->signature;
      break;
    }
    case NodeType::kPartial: {
      SW_ASSIGN_OR_RETURN(result, EvaluatePartial(expr, input, env));
      break;
    }
    case NodeType::kApply: {
      SW_ASSIGN_OR_RETURN(result, EvaluateApplyExpr(expr, input, env));
      break;
    }
    case NodeType::kTransform: {
      result = Value::NewFunction();
      Function& f = result.AsFunction();
      f.type = Function::Type::kTransform;
      f.node = expr;
      f.env = env;
      static const std::shared_ptr<Signature> kSig = *ParseSignature("<(oa):o>");
      f.signature = kSig;
      break;
    }
    case NodeType::kSort:
    case NodeType::kOperator:
    case NodeType::kEnd:
      return JsonataError("S0206", expr->position);
  }
  return Reshape(expr, std::move(result), env);
}

absl::StatusOr<Value> Evaluator::EvaluateBlock(const Node* expr, const Value& input,
                                               const FramePtr& env) {
  // A block that cannot bind evaluates in the enclosing frame, taken by
  // reference (no reference count).
  FramePtr own;
  if (expr->needs_frame) own = NewFrame(env);
  const FramePtr& frame = expr->needs_frame ? own : env;
  Value result;
  for (const auto& e : expr->expressions) {
    SW_ASSIGN_OR_RETURN(result, Evaluate(e.get(), input, frame));
  }
  return result;
}

absl::StatusOr<Value> Evaluator::Reshape(const Node* expr, Value result, const FramePtr& env) {
  for (const auto& p : expr->predicate) {
    SW_ASSIGN_OR_RETURN(result, EvaluateFilter(p.expr.get(), result, env));
  }
  if (expr->type != NodeType::kPath && expr->group) {
    SW_ASSIGN_OR_RETURN(result, EvaluateGroup(*expr->group, result, env));
  }
  if (result.IsSequence() && !result.AsArray().tuple_stream) {
    Array& a = result.AsArray();
    if (expr->keep_array) a.keep_singleton = true;
    if (a.items().empty()) {
      result = Value();
    } else if (a.items().size() == 1 && !a.keep_singleton) {
      Value single = a.items()[0];
      result = single;
    }
  }
  return result;
}

namespace {

// True when `step` is a plain field name: no predicate, binding, parent
// slot or grouping, so that on a single object it is one member lookup.
bool IsPlainNameStep(const Node* step) {
  return step->type == NodeType::kName && step->plain_step;
}

}  // namespace

Evaluator::PlainWalk Evaluator::WalkPlainPrefix(const Node* expr, const Value& input,
                                                const FramePtr& env) {
  PlainWalk walk;
  if (expr->keep_singleton_array || expr->group || expr->tuple) return walk;
  const Node* first = expr->steps[0].get();
  Value& v = walk.value;
  if (first->type == NodeType::kVariable && first->plain_step) {
    if (!first->value.empty()) {
      v = env->Lookup(first->value);
    } else if (input.IsArray() && input.AsArray().outer_wrapper &&
               !input.AsArray().empty()) {
      v = input.AsArray().items()[0];  // $: the context, as kVariable gives it
    } else {
      v = input;
    }
  } else if (IsPlainNameStep(first) && !input.IsArray()) {
    v = LookupKey(input, first->value);
  } else {
    return walk;
  }
  walk.next_step = 1;
  for (; walk.next_step < expr->steps.size(); ++walk.next_step) {
    const Node* step = expr->steps[walk.next_step].get();
    // An array flattens into a sequence: the general evaluation goes on
    // from here, as it does after any other step.
    if (!IsPlainNameStep(step) || v.IsArray()) return walk;
    if (v.IsUndefined()) break;
    v = v.IsObject() ? v.AsObject().Get(step->value) : Value();
  }
  // The last step's single plain array result is the path's result as it is.
  if (v.IsArray() && (v.AsArray().sequence || expr->steps.size() == 1)) {
    walk.next_step = 0;  // let the general rules decide
    return walk;
  }
  walk.done = true;
  return walk;
}

absl::StatusOr<Value> Evaluator::EvaluatePath(const Node* expr, const Value& input,
                                              const FramePtr& env) {
  // Most paths in state machines ($states.input.order.id) walk single
  // objects by name: a direct walk gives the same result without building
  // a sequence per step, and the general evaluation takes over where the
  // walk meets an array or another kind of step.
  PlainWalk walk = WalkPlainPrefix(expr, input, env);
  if (walk.done) return std::move(walk.value);
  Value input_sequence;
  Value result_sequence;
  if (walk.next_step > 0) {
    // What EvaluateStep makes of one (non-last) step's single result.
    const Value& v = walk.value;
    const Node* next = expr->steps[walk.next_step].get();
    if (v.IsArray() && !v.AsArray().cons && !v.AsArray().tuple_stream && !v.AsArray().empty() &&
        !next->tuple && !next->consarray && next->type != NodeType::kSort) {
      // A non-empty array flattens into a sequence of its items: the next
      // step reads only the items, so it iterates the array itself instead
      // of a copy.
      input_sequence = v;
    } else if (!v.IsUndefined() && !v.IsArray() && !next->tuple && !next->consarray &&
               next->type != NodeType::kSort) {
      // One value (an object, mostly: `order.lines[qty > 4]`) is its own
      // sequence of one for the next step (EvaluateStep takes it as such).
      input_sequence = v;
    } else {
      result_sequence = CreateSequence();
      if (!v.IsUndefined()) {
        if (!v.IsArray() || v.AsArray().cons) {
          result_sequence.AsArray().items().push_back(v);
        } else {
          for (const auto& item : v.AsArray().items()) {
            result_sequence.AsArray().items().push_back(item);
          }
        }
      }
      if (result_sequence.AsArray().empty()) return result_sequence;
      input_sequence = result_sequence;
    }
  } else if (input.IsArray() && expr->steps[0]->type != NodeType::kVariable) {
    input_sequence = input;
  } else {
    input_sequence = CreateSequence(input);
  }
  bool is_tuple_stream = false;
  std::optional<Value> tuple_bindings;
  for (size_t ii = walk.next_step; ii < expr->steps.size(); ++ii) {
    const Node* step = expr->steps[ii].get();
    if (step->tuple) is_tuple_stream = true;
    if (ii == 0 && step->consarray) {
      SW_ASSIGN_OR_RETURN(result_sequence, Evaluate(step, input_sequence, env));
    } else if (is_tuple_stream) {
      SW_ASSIGN_OR_RETURN(tuple_bindings,
                          EvaluateTupleStep(step, input_sequence, tuple_bindings, env));
    } else {
      SW_ASSIGN_OR_RETURN(result_sequence,
                          EvaluateStep(step, input_sequence, env, ii == expr->steps.size() - 1));
    }
    if (!is_tuple_stream &&
        (result_sequence.IsUndefined() ||
         (result_sequence.IsArray() && result_sequence.AsArray().empty()))) {
      break;
    }
    if (!step->focus) input_sequence = result_sequence;
  }
  if (is_tuple_stream) {
    if (expr->tuple) {
      result_sequence = *tuple_bindings;
    } else {
      result_sequence = CreateSequence();
      for (const auto& t : tuple_bindings->AsArray().items()) {
        result_sequence.AsArray().items().push_back(t.AsObject().Get("@"));
      }
    }
  }
  if (expr->keep_singleton_array) {
    if (result_sequence.IsArray() && result_sequence.AsArray().cons &&
        !result_sequence.AsArray().sequence) {
      result_sequence = CreateSequence(result_sequence);
    }
    if (result_sequence.IsArray()) {
      result_sequence.AsArray().keep_singleton = true;
    } else if (!result_sequence.IsUndefined()) {
      // a scalar: promote to a singleton sequence kept as an array
      Value s = CreateSequence(result_sequence);
      s.AsArray().keep_singleton = true;
      result_sequence = s;
    }
  }
  if (expr->group) {
    SW_ASSIGN_OR_RETURN(result_sequence,
                        EvaluateGroup(*expr->group,
                                      is_tuple_stream ? *tuple_bindings : result_sequence, env));
  }
  return result_sequence;
}

absl::StatusOr<Value> Evaluator::EvaluateStep(const Node* expr, const Value& input,
                                              const FramePtr& env, bool last_step) {
  if (expr->type == NodeType::kSort) {
    SW_ASSIGN_OR_RETURN(Value sorted, EvaluateSort(expr, input, env));
    if (expr->has_stages) {
      SW_ASSIGN_OR_RETURN(sorted, EvaluateStages(expr->stages, sorted, env));
    }
    return sorted;
  }
  // The items of the input sequence, or the input alone when it is a
  // single value (see EvaluatePath).
  const Value* items = &input;
  size_t item_count = 1;
  if (input.IsArray()) {
    items = input.AsArray().items().data();
    item_count = input.AsArray().items().size();
  }
  Value seq = CreateSequence();
  auto& out = seq.AsArray().items();
  out.reserve(item_count);
  // Results are flattened into `seq` as they come, except the first, held
  // back: a last step with a single array result returns that array.
  auto flatten = [&out](Value&& res) {
    if (!res.IsArray() || res.AsArray().cons) {
      out.push_back(std::move(res));
    } else {
      for (const auto& v : res.AsArray().items()) out.push_back(v);
    }
  };
  Value first;
  size_t count = 0;
  for (size_t ii = 0; ii < item_count; ++ii) {
    Value res;
    SW_EVALUATE_INTO(res, expr, items[ii], env)
    for (const auto& stage : expr->stages) {
      if (stage.is_index) continue;
      SW_ASSIGN_OR_RETURN(res, EvaluateFilter(stage.expr.get(), res, env));
    }
    if (res.IsUndefined()) continue;
    if (++count == 1) {
      first = std::move(res);
      continue;
    }
    if (count == 2) flatten(std::move(first));
    flatten(std::move(res));
  }
  if (count == 1) {
    if (last_step && first.IsArray() && !first.IsSequence()) return first;
    flatten(std::move(first));
  }
  return seq;
}

absl::StatusOr<Value> Evaluator::EvaluateStages(const std::vector<Stage>& stages, Value input,
                                                const FramePtr& env) {
  Value result = std::move(input);
  for (const auto& stage : stages) {
    if (!stage.is_index) {
      SW_ASSIGN_OR_RETURN(result, EvaluateFilter(stage.expr.get(), result, env));
    } else if (result.IsArray()) {
      auto& items = result.AsArray().items();
      for (size_t ee = 0; ee < items.size(); ++ee) {
        if (items[ee].IsObject()) {
          items[ee].AsObject().Set(stage.value, Value::Number(static_cast<double>(ee)));
        }
      }
    }
  }
  return result;
}

absl::StatusOr<Value> Evaluator::EvaluateTupleStep(const Node* expr, const Value& input,
                                                   std::optional<Value> tuple_bindings,
                                                   const FramePtr& env) {
  Value result;
  if (expr->type == NodeType::kSort) {
    if (tuple_bindings) {
      SW_ASSIGN_OR_RETURN(result, EvaluateSort(expr, *tuple_bindings, env));
    } else {
      SW_ASSIGN_OR_RETURN(Value sorted, EvaluateSort(expr, input, env));
      result = CreateSequence();
      result.AsArray().tuple_stream = true;
      const auto& si = sorted.AsArray().items();
      for (size_t ss = 0; ss < si.size(); ++ss) {
        Value tuple = Value::NewObject();
        tuple.AsObject().Set("@", si[ss]);
        if (expr->index) tuple.AsObject().Set(*expr->index, Value::Number(static_cast<double>(ss)));
        result.AsArray().items().push_back(tuple);
      }
    }
    if (expr->has_stages) {
      SW_ASSIGN_OR_RETURN(result, EvaluateStages(expr->stages, result, env));
    }
    return result;
  }
  result = CreateSequence();
  result.AsArray().tuple_stream = true;
  Value bindings;
  if (!tuple_bindings) {
    bindings = Value::NewArray();
    if (input.IsArray()) {
      for (const auto& item : input.AsArray().items()) {
        Value t = Value::NewObject();
        t.AsObject().Set("@", item);
        bindings.AsArray().items().push_back(t);
      }
    }
  } else {
    bindings = *tuple_bindings;
  }
  for (const auto& tb : bindings.AsArray().items()) {
    FramePtr step_env = CreateFrameFromTuple(env, tb);
    Value ctx = tb.AsObject().Get("@");
    SW_ASSIGN_OR_RETURN(Value res, Evaluate(expr, ctx, step_env));
    if (res.IsUndefined()) continue;
    std::vector<Value> rs;
    bool res_tuple = res.IsArray() && res.AsArray().tuple_stream;
    if (res.IsArray()) {
      rs = res.AsArray().items();
    } else {
      rs.push_back(res);
    }
    for (size_t bb = 0; bb < rs.size(); ++bb) {
      Value tuple = Value::NewObject();
      Object& to = tuple.AsObject();
      const Object& from = tb.AsObject();
      for (const auto& [k, v] : from.entries()) to.Set(k, v);
      if (res_tuple) {
        if (rs[bb].IsObject()) {
          const Object& ro = rs[bb].AsObject();
          for (const auto& [k, v] : ro.entries()) to.Set(k, v);
        }
      } else {
        if (expr->focus) {
          to.Set(*expr->focus, rs[bb]);
          to.Set("@", ctx);
        } else {
          to.Set("@", rs[bb]);
        }
        if (expr->index) to.Set(*expr->index, Value::Number(static_cast<double>(bb)));
        if (expr->ancestor) to.Set(expr->ancestor->label, ctx);
      }
      result.AsArray().items().push_back(tuple);
    }
  }
  if (expr->has_stages) {
    SW_ASSIGN_OR_RETURN(result, EvaluateStages(expr->stages, result, env));
  }
  return result;
}

absl::StatusOr<Value> Evaluator::EvaluateFilter(const Node* predicate, const Value& input,
                                                const FramePtr& env) {
  Value results = CreateSequence();
  bool tuple_stream = input.IsArray() && input.AsArray().tuple_stream;
  if (tuple_stream) results.AsArray().tuple_stream = true;
  Value in = input.IsArray() ? input : CreateSequence(input);
  const auto& items = in.AsArray().items();
  auto& out = results.AsArray().items();
  out.reserve(items.size());
  if (predicate->type == NodeType::kNumber) {
    double idx = std::floor(predicate->literal.AsNumber());
    if (idx < 0) idx = static_cast<double>(items.size()) + idx;
    if (idx >= 0 && idx < static_cast<double>(items.size())) {
      const Value& item = items[static_cast<size_t>(idx)];
      if (item.IsArray()) {
        return item;
      }
      if (!item.IsUndefined()) out.push_back(item);
    }
    return results;
  }
  for (size_t index = 0; index < items.size(); ++index) {
    const Value& item = items[index];
    Value res;
    if (tuple_stream) {
      SW_ASSIGN_OR_RETURN(res, Evaluate(predicate, item.AsObject().Get("@"),
                                        CreateFrameFromTuple(env, item)));
    } else {
      SW_EVALUATE_INTO(res, predicate, item, env)
    }
    if (res.IsNumber()) res = CreateSequence(res);
    if (IsArrayOfNumbers(res) && !res.AsArray().empty()) {
      for (const auto& ires : res.AsArray().items()) {
        double ii = std::floor(ires.AsNumber());
        if (ii < 0) ii = static_cast<double>(items.size()) + ii;
        if (ii == static_cast<double>(index)) out.push_back(item);
      }
    } else if (ToBoolean(res).value_or(false)) {
      out.push_back(item);
    }
  }
  return results;
}

namespace {

enum class BinaryOp { kAnd, kOr, kArithmetic, kEq, kNe, kLt, kLe, kGt, kGe, kConcat, kRange, kIn,
                      kOther };

// Classifies an operator by its characters (no string comparisons).
BinaryOp ClassifyBinary(const std::string& op) {
  if (op.size() == 1) {
    switch (op[0]) {
      case '+': case '-': case '*': case '/': case '%': return BinaryOp::kArithmetic;
      case '=': return BinaryOp::kEq;
      case '<': return BinaryOp::kLt;
      case '>': return BinaryOp::kGt;
      case '&': return BinaryOp::kConcat;
      default: return BinaryOp::kOther;
    }
  }
  if (op.size() == 2) {
    if (op[1] == '=') {
      if (op[0] == '!') return BinaryOp::kNe;
      if (op[0] == '<') return BinaryOp::kLe;
      if (op[0] == '>') return BinaryOp::kGe;
    }
    if (op[0] == '.' && op[1] == '.') return BinaryOp::kRange;
    if (op[0] == 'o' && op[1] == 'r') return BinaryOp::kOr;
    if (op[0] == 'i' && op[1] == 'n') return BinaryOp::kIn;
    return BinaryOp::kOther;
  }
  return op == "and" ? BinaryOp::kAnd : BinaryOp::kOther;
}

}  // namespace

absl::StatusOr<Value> Evaluator::EvaluateBinary(const Node* expr, const Value& input,
                                                const FramePtr& env) {
  Value lhs;
  SW_EVALUATE_INTO(lhs, expr->lhs.get(), input, env)
  const std::string& op = expr->value;
  const BinaryOp kind = ClassifyBinary(op);
  if (kind == BinaryOp::kAnd || kind == BinaryOp::kOr) {
    bool l = ToBoolean(lhs).value_or(false);
    if (kind == BinaryOp::kAnd && !l) return Value::Bool(false);
    if (kind == BinaryOp::kOr && l) return Value::Bool(true);
    Value rhs;
    SW_EVALUATE_INTO(rhs, expr->rhs.get(), input, env)
    return Value::Bool(ToBoolean(rhs).value_or(false));
  }
  Value rhs;
  SW_EVALUATE_INTO(rhs, expr->rhs.get(), input, env)
  int pos = expr->position;
  if (kind == BinaryOp::kArithmetic) {
    // As the reference's isNumeric: NaN is no number, an infinity is D1001.
    auto numeric = [](const Value& v) { return v.IsNumber() && !std::isnan(v.AsNumber()); };
    if (lhs.IsNumber() && std::isinf(lhs.AsNumber())) return JsonataError("D1001", pos, op);
    if (!lhs.IsUndefined() && !numeric(lhs)) return JsonataError("T2001", pos, op);
    if (rhs.IsNumber() && std::isinf(rhs.AsNumber())) return JsonataError("D1001", pos, op);
    if (!rhs.IsUndefined() && !numeric(rhs)) return JsonataError("T2002", pos, op);
    if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
    double a = lhs.AsNumber();
    double b = rhs.AsNumber();
    double r = 0;
    switch (op[0]) {
      case '+': r = a + b; break;
      case '-': r = a - b; break;
      case '*': r = a * b; break;
      case '/': r = a / b; break;
      case '%': r = std::fmod(a, b); break;
    }
    return Value::Number(r);
  }
  if (kind == BinaryOp::kEq || kind == BinaryOp::kNe) {
    if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
    bool eq = DeepEqual(lhs, rhs);
    return Value::Bool(kind == BinaryOp::kEq ? eq : !eq);
  }
  if (kind == BinaryOp::kLt || kind == BinaryOp::kLe || kind == BinaryOp::kGt ||
      kind == BinaryOp::kGe) {
    bool lc = lhs.IsUndefined() || lhs.IsString() || lhs.IsNumber();
    bool rc = rhs.IsUndefined() || rhs.IsString() || rhs.IsNumber();
    if (!lc || !rc) return JsonataError("T2010", pos, op);
    if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
    if (lhs.kind() != rhs.kind()) return JsonataError("T2009", pos, op);
    int c;
    if (lhs.IsNumber()) {
      double a = lhs.AsNumber();
      double b = rhs.AsNumber();
      if (std::isnan(a) || std::isnan(b)) return Value::Bool(false);  // as JavaScript
      c = a < b ? -1 : (a > b ? 1 : 0);
    } else {
      // JavaScript compares strings by UTF-16 code units; code point order
      // matches for the BMP.
      int cmp = lhs.AsString().compare(rhs.AsString());
      c = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
    }
    bool r = false;
    if (kind == BinaryOp::kLt) r = c < 0;
    if (kind == BinaryOp::kLe) r = c <= 0;
    if (kind == BinaryOp::kGt) r = c > 0;
    if (kind == BinaryOp::kGe) r = c >= 0;
    return Value::Bool(r);
  }
  if (kind == BinaryOp::kConcat) {
    // Strings (the usual operands) are appended as they are, without the
    // copy ToJsonataString would make.
    std::string out;
    out.reserve((lhs.IsString() ? lhs.AsString().size() : 0) +
                (rhs.IsString() ? rhs.AsString().size() : 0));
    for (const Value* v : {&lhs, &rhs}) {
      if (v->IsString()) {
        out += v->AsString();
      } else if (!v->IsUndefined()) {
        SW_ASSIGN_OR_RETURN(std::string text, ToJsonataString(*v));
        out += text;
      }
    }
    return Value::String(std::move(out));
  }
  if (kind == BinaryOp::kRange) {
    if (!lhs.IsUndefined() && !(lhs.IsNumber() && IsInteger(lhs.AsNumber()))) {
      return JsonataError("T2003", pos, op);
    }
    if (!rhs.IsUndefined() && !(rhs.IsNumber() && IsInteger(rhs.AsNumber()))) {
      return JsonataError("T2004", pos, op);
    }
    if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
    double a = lhs.AsNumber();
    double b = rhs.AsNumber();
    if (a > b) return Value();
    double size = b - a + 1;
    if (size > 1e7) return JsonataError("D2014", pos, op);
    if (size > static_cast<double>(limits_.max_items)) {
      return JsonataError("U1001", pos, op,
                          absl::StrCat("a range of ", size, " items exceeds the evaluation limit of ",
                                       limits_.max_items));
    }
    Value r = CreateSequence();
    auto& items = r.AsArray().items();
    items.reserve(static_cast<size_t>(size));
    for (double x = a; x <= b; x += 1) items.push_back(Value::Number(x));
    return r;
  }
  if (kind == BinaryOp::kIn) {
    if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
    auto same = [&](const Value& x) {
      if (x.kind() != lhs.kind()) return false;
      switch (x.kind()) {
        case Kind::kNull: return true;
        case Kind::kBool: return x.AsBool() == lhs.AsBool();
        case Kind::kNumber: return x.AsNumber() == lhs.AsNumber();
        case Kind::kString: return x.AsString() == lhs.AsString();
        default: return x.Identity() == lhs.Identity();
      }
    };
    if (rhs.IsArray()) {
      for (const auto& x : rhs.AsArray().items()) {
        if (same(x)) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    return Value::Bool(same(rhs));
  }
  return JsonataError("S0201", pos, op);
}

absl::StatusOr<Value> Evaluator::EvaluateUnary(const Node* expr, const Value& input,
                                               const FramePtr& env) {
  if (expr->value == "-") {
    SW_ASSIGN_OR_RETURN(Value v, Evaluate(expr->expression.get(), input, env));
    if (v.IsUndefined()) return Value();
    if (v.IsNumber() && std::isinf(v.AsNumber())) return JsonataError("D1001", expr->position, "-");
    if (v.IsNumber() && !std::isnan(v.AsNumber())) return Value::Number(-v.AsNumber());
    return JsonataError("D1002", expr->position, "-");
  }
  if (expr->value == "[") {
    Value result = Value::NewArray();
    for (const auto& item : expr->expressions) {
      SW_ASSIGN_OR_RETURN(Value v, Evaluate(item.get(), input, env));
      if (v.IsUndefined()) continue;
      if (item->type == NodeType::kUnary && item->value == "[") {
        result.AsArray().items().push_back(v);
      } else {
        result = AppendValues(result, v);
        if (!result.IsArray()) {
          Value wrapped = Value::NewArray();
          wrapped.AsArray().items().push_back(result);
          result = wrapped;
        }
      }
    }
    if (expr->consarray) {
      if (result.IsArray() && result.AsArray().sequence) {
        // keep flags separate from a shared sequence
        Value copy = Value::NewArray();
        copy.AsArray().items() = result.AsArray().items();
        result = copy;
      }
      result.AsArray().cons = true;
    }
    return result;
  }
  if (expr->value == "{") {
    GroupSpec g;
    g.pairs = expr->pairs;
    g.position = expr->position;
    return EvaluateGroup(g, input, env);
  }
  return JsonataError("S0201", expr->position, expr->value);
}

absl::StatusOr<Value> Evaluator::EvaluateGroup(const GroupSpec& group, const Value& input,
                                               const FramePtr& env) {
  Value result = Value::NewObject();
  struct Entry {
    Value data;
    size_t expr_index;
  };
  std::vector<std::string> order;
  std::unordered_map<std::string, Entry> groups;
  bool reduce = input.IsArray() && input.AsArray().tuple_stream;
  std::vector<Value> items;
  if (input.IsArray()) {
    items = input.AsArray().items();
  } else {
    items.push_back(input);
  }
  if (items.empty()) items.push_back(Value());
  for (const auto& item : items) {
    FramePtr ienv = reduce ? CreateFrameFromTuple(env, item) : env;
    for (size_t pi = 0; pi < group.pairs.size(); ++pi) {
      Value ctx = reduce ? item.AsObject().Get("@") : item;
      SW_ASSIGN_OR_RETURN(Value key, Evaluate(group.pairs[pi].first.get(), ctx, ienv));
      if (!key.IsString() && !key.IsUndefined()) {
        return JsonataError("T1003", group.position);
      }
      if (key.IsUndefined()) continue;
      const std::string& k = key.AsString();
      auto it = groups.find(k);
      if (it != groups.end()) {
        if (it->second.expr_index != pi) return JsonataError("D1009", group.position, k);
        it->second.data = AppendValues(it->second.data, item);
      } else {
        groups.emplace(k, Entry{item, pi});
        order.push_back(k);
      }
    }
  }
  for (const auto& k : order) {
    Entry& entry = groups[k];
    Value context = entry.data;
    FramePtr genv = env;
    if (reduce) {
      Value tuple;
      if (!entry.data.IsArray()) {
        tuple = entry.data;
      } else {
        tuple = Value::NewObject();
        const auto& ts = entry.data.AsArray().items();
        const Object& first = ts[0].AsObject();
        for (const auto& [key, v] : first.entries()) tuple.AsObject().Set(key, v);
        for (size_t ii = 1; ii < ts.size(); ++ii) {
          const Object& o = ts[ii].AsObject();
          for (const auto& [key, v] : o.entries()) {
            tuple.AsObject().Set(key, AppendValues(tuple.AsObject().Get(key), v));
          }
        }
      }
      context = tuple.AsObject().Get("@");
      Value copy = Value::NewObject();
      for (const auto& [key, v] : tuple.AsObject().entries()) {
        if (key != "@") copy.AsObject().Set(key, v);
      }
      genv = CreateFrameFromTuple(env, copy);
    }
    SW_ASSIGN_OR_RETURN(Value v, Evaluate(group.pairs[entry.expr_index].second.get(), context,
                                          genv));
    if (!v.IsUndefined()) result.AsObject().Set(k, v);
  }
  return result;
}

absl::StatusOr<Value> Evaluator::EvaluateSort(const Node* expr, const Value& input,
                                              const FramePtr& env) {
  bool is_tuple = input.IsArray() && input.AsArray().tuple_stream;
  std::vector<Value> items;
  if (input.IsArray()) {
    items = input.AsArray().items();
  } else {
    items.push_back(input);
  }
  if (items.size() <= 1) return input;
  // Precompute the sort keys for each item and term.
  size_t nterms = expr->terms.size();
  std::vector<std::vector<Value>> keys(items.size(), std::vector<Value>(nterms));
  for (size_t i = 0; i < items.size(); ++i) {
    Value ctx = items[i];
    FramePtr senv = env;
    if (is_tuple) {
      ctx = items[i].AsObject().Get("@");
      senv = CreateFrameFromTuple(env, items[i]);
    }
    for (size_t t = 0; t < nterms; ++t) {
      SW_ASSIGN_OR_RETURN(keys[i][t], Evaluate(expr->terms[t].expression.get(), ctx, senv));
    }
  }
  absl::Status err;
  auto compare = [&](size_t a, size_t b) -> int {
    for (size_t t = 0; t < nterms; ++t) {
      const Value& aa = keys[a][t];
      const Value& bb = keys[b][t];
      int comp;
      if (aa.IsUndefined()) {
        comp = bb.IsUndefined() ? 0 : 1;
        if (comp != 0) return comp;
        continue;
      }
      if (bb.IsUndefined()) return -1;
      bool ac = aa.IsString() || aa.IsNumber();
      bool bc = bb.IsString() || bb.IsNumber();
      if (!ac || !bc) {
        if (err.ok()) err = JsonataError("T2008", expr->position);
        return 0;
      }
      if (aa.kind() != bb.kind()) {
        if (err.ok()) err = JsonataError("T2007", expr->position);
        return 0;
      }
      if (aa.IsNumber()) {
        comp = aa.AsNumber() < bb.AsNumber() ? -1 : (aa.AsNumber() > bb.AsNumber() ? 1 : 0);
      } else {
        int c = aa.AsString().compare(bb.AsString());
        comp = c < 0 ? -1 : (c > 0 ? 1 : 0);
      }
      if (expr->terms[t].descending) comp = -comp;
      if (comp != 0) return comp;
    }
    return 0;
  };
  std::vector<size_t> idx(items.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  // The reference's merge sort (the right item goes first only when the
  // comparison says 1), so that with mixed keys the same pair is compared
  // first and the same error (T2007/T2008) comes out.
  std::vector<size_t> scratch(idx.size());
  std::function<void(size_t, size_t)> msort = [&](size_t lo, size_t hi) {
    if (hi - lo <= 1 || !err.ok()) return;
    size_t mid = lo + (hi - lo) / 2;
    msort(lo, mid);
    msort(mid, hi);
    size_t i = lo;
    size_t j = mid;
    size_t k = lo;
    while (i < mid && j < hi) {
      if (err.ok() && compare(idx[i], idx[j]) == 1) {
        scratch[k++] = idx[j++];
      } else {
        scratch[k++] = idx[i++];
      }
    }
    while (i < mid) scratch[k++] = idx[i++];
    while (j < hi) scratch[k++] = idx[j++];
    std::copy(scratch.begin() + static_cast<std::ptrdiff_t>(lo),
              scratch.begin() + static_cast<std::ptrdiff_t>(hi),
              idx.begin() + static_cast<std::ptrdiff_t>(lo));
  };
  msort(0, idx.size());
  if (!err.ok()) return err;
  Value out = Value::NewArray(true);
  out.AsArray().tuple_stream = is_tuple;
  for (size_t i : idx) out.AsArray().items().push_back(items[i]);
  if (!is_tuple) out.AsArray().sequence = false;
  return out;
}

absl::StatusOr<Value> Evaluator::EvaluateFunction(const Node* expr, const Value& input,
                                                  const FramePtr& env,
                                                  const std::optional<Value>& applyto) {
  Value proc;
  SW_EVALUATE_INTO(proc, expr->procedure.get(), input, env)
  if (proc.IsUndefined() && expr->procedure->type == NodeType::kPath &&
      !env->Lookup(expr->procedure->steps[0]->value).IsUndefined()) {
    return JsonataError("T1005", expr->position, expr->procedure->steps[0]->value);
  }
  std::vector<Value> args;
  args.reserve(expr->arguments.size() + (applyto ? 1 : 0));
  if (applyto) args.push_back(*applyto);
  for (const auto& a : expr->arguments) {
    Value v;
    SW_EVALUATE_INTO(v, a.get(), input, env)
    args.push_back(std::move(v));
  }
  auto r = Apply(proc, std::move(args), input, env);
  if (!r.ok() && ErrorCode(r.status()) == "T1006") {
    std::string name = expr->procedure->type == NodeType::kPath && !expr->procedure->steps.empty()
                           ? expr->procedure->steps[0]->value
                           : expr->procedure->value;
    return JsonataError("T1006", expr->position, name);
  }
  return r;
}

absl::StatusOr<Value> Evaluator::EvaluatePartial(const Node* expr, const Value& input,
                                                 const FramePtr& env) {
  std::vector<std::optional<Value>> bound;
  for (const auto& a : expr->arguments) {
    if (a->type == NodeType::kOperator && a->value == "?") {
      bound.push_back(std::nullopt);
    } else {
      SW_ASSIGN_OR_RETURN(Value v, Evaluate(a.get(), input, env));
      bound.push_back(std::move(v));
    }
  }
  SW_ASSIGN_OR_RETURN(Value proc, Evaluate(expr->procedure.get(), input, env));
  if (proc.IsUndefined() && expr->procedure->type == NodeType::kPath &&
      !env->Lookup(expr->procedure->steps[0]->value).IsUndefined()) {
    return JsonataError("T1007", expr->position, expr->procedure->steps[0]->value);
  }
  if (!proc.IsFunction()) return JsonataError("T1008", expr->position);
  const Function& pf = proc.AsFunction();
  if (pf.type == Function::Type::kLambda) {
    Value result = Value::NewFunction();
    Function& f = result.AsFunction();
    f.type = Function::Type::kLambda;
    f.node = pf.node;
    f.input = pf.input;
    f.env = NewFrame(pf.env);
    for (size_t i = 0; i < pf.params.size(); ++i) {
      if (i < bound.size() && !bound[i]) {
        f.params.push_back(pf.params[i]);
      } else {
        f.env->Bind(pf.params[i], i < bound.size() ? *bound[i] : Value());
      }
    }
    return result;
  }
  Value result = Value::NewFunction();
  Function& f = result.AsFunction();
  f.type = Function::Type::kPartial;
  f.target = proc;
  int arity = FunctionArity(pf);
  if (pf.type == Function::Type::kNative) {
    bound.resize(static_cast<size_t>(std::max<int>(arity, 0)), Value());
  }
  f.bound = std::move(bound);
  return result;
}

absl::StatusOr<Value> Evaluator::EvaluateApplyExpr(const Node* expr, const Value& input,
                                                   const FramePtr& env) {
  SW_ASSIGN_OR_RETURN(Value lhs, Evaluate(expr->lhs.get(), input, env));
  if (expr->rhs->type == NodeType::kFunction) {
    return EvaluateFunction(expr->rhs.get(), input, env, lhs);
  }
  SW_ASSIGN_OR_RETURN(Value func, Evaluate(expr->rhs.get(), input, env));
  if (!func.IsFunction()) return JsonataError("T2006", expr->position);
  if (lhs.IsFunction()) {
    Value chain = Value::NewFunction();
    Function& f = chain.AsFunction();
    f.type = Function::Type::kChain;
    f.first = lhs;
    f.second = func;
    return chain;
  }
  return Apply(func, {lhs}, Value(), env);
}

absl::StatusOr<Value> Evaluator::Apply(const Value& proc, std::vector<Value> args,
                                       const Value& input, const FramePtr& env) {
  SW_ASSIGN_OR_RETURN(Value result, ApplyInner(proc, std::move(args), input, env));
  while (result.IsFunction() && result.AsFunction().type == Function::Type::kLambda &&
         result.AsFunction().node->thunk) {
    SW_RETURN_IF_ERROR(Tick());
    Function thunk = result.AsFunction();
    const Node* call = thunk.node->body.get();
    SW_ASSIGN_OR_RETURN(Value next, Evaluate(call->procedure.get(), thunk.input, thunk.env));
    std::vector<Value> evaluated;
    for (const auto& a : call->arguments) {
      SW_ASSIGN_OR_RETURN(Value v, Evaluate(a.get(), thunk.input, thunk.env));
      evaluated.push_back(std::move(v));
    }
    auto r = ApplyInner(next, std::move(evaluated), input, env);
    if (!r.ok() && ErrorCode(r.status()) == "T1006") {
      std::string name = call->procedure->type == NodeType::kPath
                             ? call->procedure->steps[0]->value
                             : call->procedure->value;
      return JsonataError("T1006", call->position, name);
    }
    if (!r.ok()) return r.status();
    result = std::move(*r);
  }
  return result;
}

absl::StatusOr<Value> Evaluator::ApplyHof(const Value& fn, const Value& a1, const Value& a2,
                                          const Value& a3, const FramePtr& env) {
  std::vector<Value> args{a1};
  int arity = fn.IsFunction() ? FunctionArity(fn.AsFunction()) : 1;
  if (arity >= 2) args.push_back(a2);
  if (arity >= 3) args.push_back(a3);
  return Apply(fn, std::move(args), Value(), env);
}

absl::StatusOr<Value> Evaluator::ApplyInner(const Value& proc, std::vector<Value> args,
                                            const Value& input, const FramePtr& env) {
  if (!proc.IsFunction()) return JsonataError("T1006");
  const Function& f = proc.AsFunction();
  std::shared_ptr<Signature> sig = f.signature;
  if (f.type == Function::Type::kNative) sig = f.native->parsed;
  if (sig) {
    SW_RETURN_IF_ERROR(ValidateSignature(*sig, args, input));
  }
  switch (f.type) {
    case Function::Type::kLambda: {
      FramePtr frame = NewFrame(f.env);
      for (size_t i = 0; i < f.params.size(); ++i) {
        frame->Bind(f.params[i], i < args.size() ? args[i] : Value());
      }
      return Evaluate(f.node->body.get(), f.input, frame);
    }
    case Function::Type::kNative:
      return f.native->impl(*this, args, input, env);
    case Function::Type::kPartial: {
      std::vector<Value> full;
      size_t next = 0;
      for (const auto& b : f.bound) {
        if (b) {
          full.push_back(*b);
        } else {
          full.push_back(next < args.size() ? args[next] : Value());
          ++next;
        }
      }
      return Apply(f.target, std::move(full), input, env);
    }
    case Function::Type::kChain: {
      SW_ASSIGN_OR_RETURN(Value mid, Apply(f.first, std::move(args), input, env));
      return Apply(f.second, {mid}, input, env);
    }
    case Function::Type::kTransform:
      return Transform(f.node, args.empty() ? Value() : args[0], f.env);
    case Function::Type::kRegex: {
      if (args.empty() || !args[0].IsString()) return Value();
      SW_ASSIGN_OR_RETURN(auto matches, RegexAll(f, args[0].AsString(), 1));
      if (matches.empty()) return Value();
      Value m = Value::NewObject();
      m.AsObject().Set("match", Value::String(matches[0].match));
      m.AsObject().Set("start", Value::Number(static_cast<double>(matches[0].start)));
      m.AsObject().Set("end", Value::Number(static_cast<double>(matches[0].end)));
      Value groups = Value::NewArray();
      for (const auto& g : matches[0].groups) groups.AsArray().items().push_back(Value::String(g));
      m.AsObject().Set("groups", groups);
      return m;
    }
  }
  return JsonataError("T1006");
}

absl::StatusOr<Value> Evaluator::Transform(const Node* expr, const Value& obj,
                                           const FramePtr& env) {
  if (obj.IsUndefined()) return Value();
  Value result = DeepClone(obj);
  SW_ASSIGN_OR_RETURN(Value matches, Evaluate(expr->pattern.get(), result, env));
  if (matches.IsUndefined()) return result;
  std::vector<Value> ms;
  if (matches.IsArray()) {
    ms = matches.AsArray().items();
  } else {
    ms.push_back(matches);
  }
  for (const auto& match : ms) {
    SW_ASSIGN_OR_RETURN(Value update, Evaluate(expr->update.get(), match, env));
    if (!update.IsUndefined()) {
      if (!update.IsObject()) return JsonataError("T2011", expr->update->position);
      if (match.IsObject()) {
        const Object& uo = update.AsObject();
        for (const auto& [k, v] : uo.entries()) match.AsObject().Set(k, v);
      }
    }
    if (expr->deletion) {
      SW_ASSIGN_OR_RETURN(Value deletions, Evaluate(expr->deletion.get(), match, env));
      if (deletions.IsUndefined()) continue;
      Value dl = deletions.IsArray() ? deletions : CreateSequence(deletions);
      if (!IsArrayOfStrings(dl)) return JsonataError("T2012", expr->deletion->position);
      if (match.IsObject()) {
        for (const auto& d : dl.AsArray().items()) match.AsObject().Erase(d.AsString());
      }
    }
  }
  return result;
}

absl::StatusOr<std::vector<RegexMatch>> Evaluator::RegexAll(const Function& re,
                                                            const std::string& s, int limit) {
  std::vector<RegexMatch> out;
  size_t last_index = 0;
  bool first = true;
  // Computes up to limit+1 matches, as the reference's next() does.
  while (limit < 0 || static_cast<int>(out.size()) <= limit) {
    SW_RETURN_IF_ERROR(Tick());
    if (!first && last_index >= s.size()) break;
    boost::smatch m;
    bool found = false;
    try {
      auto flags = boost::match_default;
      // Searching on from last_index: the text before it exists (for \b and
      // lookbehind) and its position is not the start of the string (^, \A).
      if (last_index > 0) {
        flags |= boost::match_prev_avail | boost::match_not_bol | boost::match_not_bob;
      }
      found = boost::regex_search(s.cbegin() + static_cast<std::ptrdiff_t>(last_index), s.cend(),
                                  m, *re.regex, flags);
    } catch (const std::exception&) {
      return JsonataError("D1004", -1, "", "regular expression failed");
    }
    if (!found) break;
    RegexMatch rm;
    rm.match = m[0].str();
    rm.start = static_cast<size_t>(m[0].first - s.cbegin());
    rm.end = rm.start + rm.match.size();
    for (size_t g = 1; g < m.size(); ++g) rm.groups.push_back(m[static_cast<int>(g)].str());
    if (!first && rm.match.empty()) return JsonataError("D1004");
    first = false;
    last_index = rm.end;
    out.push_back(std::move(rm));
    if (limit >= 0 && static_cast<int>(out.size()) > limit) break;
  }
  if (limit >= 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

namespace {

// A native function of the library, shared by every evaluation on every
// thread: marked shared, so copies do not count references.
Value SharedNative(NativeDef& def) {
  auto sig = ParseSignature(def.signature);
  if (sig.ok()) def.parsed = *sig;
  Value fn = Value::NewFunction();
  fn.AsFunction().type = Function::Type::kNative;
  fn.AsFunction().native = &def;
  fn.Share();
  return fn;
}

}  // namespace

const FramePtr& Evaluator::GlobalFrame() {
  // Never destroyed: evaluations on other threads may still run at exit,
  // and the shared functions live as long as the process.
  static const FramePtr* const kGlobal = [] {
    auto* f = new FramePtr(std::make_shared<Frame>());
    for (auto& def : NativeFunctions()) (*f)->Bind(def.name, SharedNative(def));
    return f;
  }();
  return *kGlobal;
}

const FramePtr& Evaluator::ReferenceFrame() {
  static const FramePtr* const kReference = [] {
    auto* f = new FramePtr(std::make_shared<Frame>());
    (*f)->parent = GlobalFrame();
    (*f)->Bind(EvalFunction().name, SharedNative(EvalFunction()));
    return f;
  }();
  return *kReference;
}

Value Value::NewFunction() { return Value(Kind::kFunction, new Function()); }

void DestroyFunction(Counted* f) { delete static_cast<Function*>(f); }

}  // namespace stepwise::jsonata::internal
