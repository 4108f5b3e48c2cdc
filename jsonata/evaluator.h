// The JSONata evaluator (a port of the reference jsonata.js 2.0.6 evaluate
// functions): environments, first-class functions, function application with
// signature validation, and the standard library registry. Internal to
// jsonata. One Evaluator serves one evaluation; not thread-safe.
#ifndef SW_ENGINE_JSONATA_EVALUATOR_H_
#define SW_ENGINE_JSONATA_EVALUATOR_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "boost/regex.hpp"
#include "jsonata/ast.h"
#include "jsonata/jsonata.h"
#include "jsonata/value.h"

namespace stepwise::jsonata::internal {

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

// One scope of variables. Most frames hold a few bindings and are searched
// linearly; a large one (the function library) gets a hash index.
struct Frame {
  static constexpr size_t kIndexFrom = 12;
  FramePtr parent;
  std::vector<std::pair<std::string, Value>> vars;
  // Built from kIndexFrom bindings; null before (keeps a frame small).
  std::unique_ptr<std::unordered_map<std::string, size_t>> index;

  const Value* FindHere(std::string_view name) const {
    if (index != nullptr) {
      auto it = index->find(std::string(name));
      return it == index->end() ? nullptr : &vars[it->second].second;
    }
    for (const auto& [n, v] : vars) {
      if (n.size() == name.size() && std::string_view(n) == name) return &v;
    }
    return nullptr;
  }
  Value Lookup(std::string_view name) const {
    for (const Frame* f = this; f != nullptr; f = f->parent.get()) {
      if (const Value* v = f->FindHere(name)) return *v;
    }
    return Value();
  }
  void Bind(std::string_view name, Value v) {
    if (const Value* existing = FindHere(name)) {
      *const_cast<Value*>(existing) = std::move(v);
      return;
    }
    vars.emplace_back(std::string(name), std::move(v));
    if (index != nullptr) {
      index->emplace(vars.back().first, vars.size() - 1);
    } else if (vars.size() >= kIndexFrom) {
      index = std::make_unique<std::unordered_map<std::string, size_t>>();
      for (size_t i = 0; i < vars.size(); ++i) index->emplace(vars[i].first, i);
    }
  }
};

// The frames made by the evaluation running on this thread (null when none
// is). A lambda bound in a frame captures that frame: a reference cycle that
// shared_ptr cannot free. Expression::Evaluate empties every frame it made
// when it ends (nothing but JSON leaves it), which breaks the cycles.
using FrameRegistry = absl::InlinedVector<std::weak_ptr<Frame>, 8>;
inline FrameRegistry*& CurrentFrameRegistry() {
  static thread_local FrameRegistry* registry = nullptr;
  return registry;
}

inline FramePtr NewFrame(FramePtr parent) {
  auto f = std::make_shared<Frame>();
  f->parent = std::move(parent);
  if (auto* registry = CurrentFrameRegistry()) registry->push_back(f);
  return f;
}

// Registers the frames made while it lives, and empties them when it dies.
class FrameRegistryScope {
 public:
  FrameRegistryScope() : previous_(CurrentFrameRegistry()) { CurrentFrameRegistry() = &frames_; }
  ~FrameRegistryScope() {
    CurrentFrameRegistry() = previous_;
    for (auto& weak : frames_) {
      if (FramePtr f = weak.lock()) {
        // Moved out first: destroying a binding may release other frames.
        auto vars = std::move(f->vars);
        FramePtr parent = std::move(f->parent);
        f->vars.clear();
        f->index.reset();
      }
    }
  }
  FrameRegistryScope(const FrameRegistryScope&) = delete;
  FrameRegistryScope& operator=(const FrameRegistryScope&) = delete;

 private:
  FrameRegistry frames_;
  FrameRegistry* previous_;
};

class Evaluator;

using NativeImpl = absl::StatusOr<Value> (*)(Evaluator& ev, std::vector<Value>& args,
                                             const Value& input, const FramePtr& env);

struct NativeDef {
  const char* name;
  const char* signature;
  int arity;
  NativeImpl impl;
  std::shared_ptr<Signature> parsed;
};

struct Function : Counted {
  enum class Type { kLambda, kNative, kPartial, kRegex, kChain, kTransform };
  Type type = Type::kLambda;
  // kLambda
  const Node* node = nullptr;  // lambda node (body, thunk)
  std::vector<std::string> params;
  FramePtr env;
  Value input;
  std::shared_ptr<Signature> signature;
  // kNative
  const NativeDef* native = nullptr;
  // kPartial: target and bound arguments (nullopt = placeholder)
  Value target;
  std::vector<std::optional<Value>> bound;
  // kRegex
  std::shared_ptr<boost::regex> regex;
  // kChain: f then g
  Value first;
  Value second;
};

inline Function& Value::AsFunction() const { return *static_cast<Function*>(payload_.ptr); }

// Returns the number of parameters `f` declares (drives how many
// arguments higher-order functions pass).
int FunctionArity(const Function& f);

// A regex match as $match reports it.
struct RegexMatch {
  std::string match;
  size_t start = 0;  // byte offsets
  size_t end = 0;
  std::vector<std::string> groups;
};

class Evaluator {
 public:
  explicit Evaluator(const EvalLimits& limits);

  absl::StatusOr<Value> Evaluate(const Node* expr, const Value& input, const FramePtr& env);
  // Applies `proc` to `args` (with tail-call trampolining).
  absl::StatusOr<Value> Apply(const Value& proc, std::vector<Value> args, const Value& input,
                              const FramePtr& env);
  // Calls `fn` with up to three arguments, as many as its arity accepts.
  absl::StatusOr<Value> ApplyHof(const Value& fn, const Value& a1, const Value& a2,
                                 const Value& a3, const FramePtr& env);

  // Finds all (non-overlapping) matches of a regex function value in `s`.
  absl::StatusOr<std::vector<RegexMatch>> RegexAll(const Function& re, const std::string& s,
                                                   int limit);

  // The evaluation's time ($now and $millis agree within one evaluation),
  // read on first use.
  std::chrono::system_clock::time_point timestamp() {
    if (!timestamp_) timestamp_ = std::chrono::system_clock::now();
    return *timestamp_;
  }
  const EvalLimits& limits() const { return limits_; }

  // Returns U1001 when a string of `bytes` would exceed the limits.
  absl::Status CheckStringSize(size_t bytes) const {
    if (bytes <= limits_.max_string_bytes) return absl::OkStatus();
    return StringTooLarge(bytes);
  }
  // Returns U1001 when `v`, written out as JSON, would exceed the limits
  // (values share arrays and objects, so a small graph can stand for a
  // huge document).
  absl::Status CheckOutputSize(const Value& v) const;
  // Seeded on first use: most evaluations never draw a random number, and
  // seeding from std::random_device costs a system call.
  std::mt19937_64& rng() {
    if (!rng_) rng_.emplace(std::random_device{}());
    return *rng_;
  }

  // Keeps a tree parsed during the evaluation ($eval) alive as long as the
  // evaluator (lambdas made from it point into it).
  const Node* Retain(NodePtr tree) {
    retained_.push_back(std::move(tree));
    return retained_.back().get();
  }

  // The standard library (AWS Step Functions' dialect).
  static const FramePtr& GlobalFrame();
  // The standard library plus $eval (the reference dialect).
  static const FramePtr& ReferenceFrame();

 private:
  // Counts a step: U1001 past the step limit or, checked every 1024 steps,
  // the time limit.
  absl::Status Tick() {
    ++steps_;
    if ((limits_.max_steps != 0 && steps_ > limits_.max_steps) || (steps_ & 1023) == 0) {
      return CheckLimits();
    }
    return absl::OkStatus();
  }
  absl::Status CheckLimits();
  absl::Status StringTooLarge(size_t bytes) const;
  absl::StatusOr<Value> EvaluateInner(const Node* expr, const Value& input, const FramePtr& env);
  absl::StatusOr<Value> EvaluateBlock(const Node* expr, const Value& input, const FramePtr& env);
  // Applies a node's predicates and grouping to its result, and unwraps a
  // sequence of one item (or none) as the reference does.
  absl::StatusOr<Value> Reshape(const Node* expr, Value result, const FramePtr& env);
  // Evaluate for the commonest leaves (Node::leaf: a literal, a plain field
  // name over one object, a plain variable) without the general machinery:
  // the same result, steps and depth. Returns false, leaving it to
  // Evaluate, for anything else and when this step would meet a limit.
  bool TryLeaf(const Node* expr, const Value& input, const FramePtr& env, Value& out);
  absl::StatusOr<Value> EvaluatePath(const Node* expr, const Value& input, const FramePtr& env);
  // Walks the leading plain-name steps of a path over single objects. When
  // `done`, `value` is the path's result; else the general evaluation goes
  // on from step `next_step` (0: from the start), `value` being the single
  // result of the step before.
  struct PlainWalk {
    bool done = false;
    size_t next_step = 0;
    Value value;
  };
  PlainWalk WalkPlainPrefix(const Node* expr, const Value& input, const FramePtr& env);
  absl::StatusOr<Value> EvaluateStep(const Node* expr, const Value& input, const FramePtr& env,
                                     bool last_step);
  absl::StatusOr<Value> EvaluateStages(const std::vector<Stage>& stages, Value input,
                                       const FramePtr& env);
  absl::StatusOr<Value> EvaluateTupleStep(const Node* expr, const Value& input,
                                          std::optional<Value> tuple_bindings,
                                          const FramePtr& env);
  absl::StatusOr<Value> EvaluateFilter(const Node* predicate, const Value& input,
                                       const FramePtr& env);
  absl::StatusOr<Value> EvaluateBinary(const Node* expr, const Value& input, const FramePtr& env);
  absl::StatusOr<Value> EvaluateUnary(const Node* expr, const Value& input, const FramePtr& env);
  absl::StatusOr<Value> EvaluateGroup(const GroupSpec& group, const Value& input,
                                      const FramePtr& env);
  absl::StatusOr<Value> EvaluateSort(const Node* expr, const Value& input, const FramePtr& env);
  absl::StatusOr<Value> EvaluateFunction(const Node* expr, const Value& input, const FramePtr& env,
                                         const std::optional<Value>& applyto);
  absl::StatusOr<Value> EvaluatePartial(const Node* expr, const Value& input, const FramePtr& env);
  absl::StatusOr<Value> EvaluateApplyExpr(const Node* expr, const Value& input,
                                          const FramePtr& env);
  absl::StatusOr<Value> ApplyInner(const Value& proc, std::vector<Value> args, const Value& input,
                                   const FramePtr& env);
  absl::StatusOr<Value> Transform(const Node* expr, const Value& obj, const FramePtr& env);

  EvalLimits limits_;
  int depth_ = 0;
  uint64_t steps_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::optional<std::chrono::system_clock::time_point> timestamp_;
  std::optional<std::mt19937_64> rng_;
  std::vector<NodePtr> retained_;
};

// Helpers shared with the function library.
FramePtr CreateFrameFromTuple(const FramePtr& env, const Value& tuple);
Value CreateSequence();
Value CreateSequence(Value v);
bool IsArrayOfStrings(const Value& v);
bool IsArrayOfNumbers(const Value& v);
// JSONata's $boolean; undefined for undefined input.
std::optional<bool> ToBoolean(const Value& v);
// $string's conversion (T-less; D3001 for non-finite numbers).
absl::StatusOr<std::string> ToJsonataString(const Value& v, bool pretty = false);
Value AppendValues(const Value& a, const Value& b);
Value LookupKey(const Value& input, const std::string& key);
std::vector<NativeDef>& NativeFunctions();
// $eval, bound only in the reference dialect.
NativeDef& EvalFunction();
// Validates `args` against `sig` and rewrites them as the function sees
// them: the context for '-' params, undefined for absent optional ones,
// single values wrapped where arrays are expected.
absl::Status ValidateSignature(const Signature& sig, std::vector<Value>& args,
                               const Value& context);

}  // namespace stepwise::jsonata::internal

#endif  // SW_ENGINE_JSONATA_EVALUATOR_H_
