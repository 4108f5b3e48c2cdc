// JSONata 2.0 (as the reference jsonata-js v2.0.6 defines it, plus AWS Step
// Functions' additions $partition, $range, $hash, $random, $uuid, $parse) for
// Stepwise. Definitions compile each expression once with
// Expression::Compile and evaluate it per state with Evaluate. A compiled
// Expression is immutable: Evaluate may be called from many threads at once.
#ifndef SW_ENGINE_JSONATA_JSONATA_H_
#define SW_ENGINE_JSONATA_JSONATA_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::jsonata {

namespace internal {
struct Node;
}

// Bindings ($name -> value) prepared once so that several expressions can
// be evaluated over them (a template's expressions share $states). Values
// are converted into the evaluator's as expressions navigate them, so
// `bindings` must outlive the PreparedBindings. Evaluations sharing one
// PreparedBindings must run on one thread.
class PreparedBindings {
 public:
  explicit PreparedBindings(const std::map<std::string, json::value>& bindings);
  ~PreparedBindings();
  PreparedBindings(PreparedBindings&&) noexcept;
  PreparedBindings& operator=(PreparedBindings&&) noexcept;

 private:
  friend class Expression;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Bounds one evaluation so a hostile expression cannot hang or crash the
// process. Exceeding any of them fails with code U1001.
struct EvalLimits {
  // Deepest nesting of evaluation (recursion through lambdas counts).
  int max_depth = 400;
  // Wall-clock budget for one evaluation (times kSanitizerSlowdown in
  // sanitizer builds, common/sanitizers.h), counted from its 1024th step:
  // shorter evaluations never read the clock (the steps bound them).
  std::chrono::milliseconds timeout{1000};
  // Upper bound on evaluation steps (0 = unbounded).
  uint64_t max_steps = 50'000'000;
  // Largest string one evaluation may build (UTF-8 bytes), and most items of
  // one array, a range included (the reference allows ranges of 1e7 items,
  // ~1 GiB here). The serialised result (and $string's) is bounded by both.
  size_t max_string_bytes = 16u << 20;
  size_t max_items = 1'000'000;
};

// The function library an expression sees. kAws is AWS Step Functions'
// dialect (no $eval), used by state machines and `stepwise jsonata`.
// kReference adds $eval as jsonata-js 2.0.6 defines it; only the reference
// suite runner and the differential driver use it.
enum class Dialect { kAws, kReference };

class Expression {
 public:
  // Parses `text` once. Returns kInvalidArgument whose message starts with
  // the reference's error code ("S0201: ...") and names the position.
  static absl::StatusOr<Expression> Compile(std::string_view text,
                                            Dialect dialect = Dialect::kAws);

  // Evaluates against `input` (nullptr = no input, i.e. undefined) with
  // `bindings` ($name -> value). Returns std::nullopt for undefined (distinct
  // from null). Errors are kInvalidArgument carrying the reference code
  // (T2001, D3030, U1001 for exceeded limits, ...); see ErrorCode.
  // `input` and `bindings` need only live for the call.
  absl::StatusOr<std::optional<json::value>> Evaluate(
      const json::value* input, const std::map<std::string, json::value>& bindings,
      const EvalLimits& limits = {}) const;
  // The same with bindings converted beforehand (see PreparedBindings).
  // `is_function`, when given, is set to whether the result is a function
  // (which converts to "" in JSON; AWS rejects such a result).
  absl::StatusOr<std::optional<json::value>> Evaluate(const json::value* input,
                                                      const PreparedBindings& bindings,
                                                      const EvalLimits& limits = {},
                                                      bool* is_function = nullptr) const;

  const std::string& text() const { return text_; }

 private:
  Expression(std::string text, std::shared_ptr<const internal::Node> root, Dialect dialect)
      : text_(std::move(text)), root_(std::move(root)), dialect_(dialect) {}
  std::string text_;
  std::shared_ptr<const internal::Node> root_;
  Dialect dialect_ = Dialect::kAws;
};

// Returns the reference error code ("T2001") carried by a status from
// Compile or Evaluate, or "" when there is none.
std::string ErrorCode(const absl::Status& status);

// The token ("+", a function name) and the detail (a value, a message)
// an error status from Compile or Evaluate names, or "" when it names none.
std::string ErrorToken(const absl::Status& status);
std::string ErrorDetail(const absl::Status& status);

// Convenience for callers without a compiled expression: compiles and
// evaluates `text` once.
absl::StatusOr<std::optional<json::value>> EvaluateOnce(
    std::string_view text, const json::value* input,
    const std::map<std::string, json::value>& bindings = {}, const EvalLimits& limits = {});

// Serialises `v` as JavaScript's JSON.stringify would (JSONata's number
// formatting: 1e+21, 0.30000000000000004), compact or indented by 2.
std::string ToJsString(const json::value& v, bool pretty = false);

}  // namespace stepwise::jsonata

#endif  // SW_ENGINE_JSONATA_JSONATA_H_
