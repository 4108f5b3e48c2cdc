// JSONPath as Step Functions evaluates it (the Jayway dialect): plain Paths
// with wildcards, slices, unions, recursive descent and filters; Reference
// Paths (single-valued, no operators) where AWS requires them; context
// paths ($$...) and variable paths ($name...). A JsonPath is parsed once,
// when the definition is loaded, and is immutable and thread-safe after.
#ifndef SW_ENGINE_ASL_PATH_H_
#define SW_ENGINE_ASL_PATH_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "asl/eval_context.h"

namespace stepwise::asl {

class JsonPath {
 public:
  // Parses `text` ("$", "$.a.b[0]", "$$.Execution.Id", "$var.x", ...).
  // Returns kInvalidArgument with a message naming the problem when `text`
  // is not a valid path.
  static absl::StatusOr<JsonPath> Parse(std::string_view text);

  JsonPath(const JsonPath&) = default;
  JsonPath& operator=(const JsonPath&) = default;
  JsonPath(JsonPath&&) = default;
  JsonPath& operator=(JsonPath&&) = default;
  ~JsonPath();

  // The text as written in the definition.
  const std::string& text() const;
  // True for "$$..." paths (read the context object).
  bool IsContextPath() const;
  // True for "$name..." paths (read a variable).
  bool IsVariablePath() const;
  // True when the path can match at most one value (no wildcard, slice,
  // union, filter or recursive descent).
  bool IsDefinite() const;
  // True when the path is a Reference Path in AWS's sense: definite, rooted
  // at "$" (not "$$"), no operators. ResultPath needs one.
  bool IsReferencePath() const;

  // Evaluates against `env`. A definite path returns a copy of the value,
  // or nullopt when it does not exist. An indefinite path returns an array
  // of all matches (possibly empty), like Jayway.
  std::optional<json::value> Evaluate(const EvalContext& env) const;

  // Returns a pointer into the document for a definite path, or null when
  // nothing matches. Cheaper than Evaluate (no copy). The pointer lives as
  // long as the document it points into.
  const json::value* Find(const EvalContext& env) const;

  // Like Evaluate, but a definite path that matches nothing comes back as
  // RuntimeError(States.Runtime, cause) with AWS's cause text, e.g.
  // "Invalid path '$.x' : No results for path: $['x']" or
  // "Invalid path '$.a.b' : Missing property in path $['a']". The caller
  // prefixes "An error occurred while executing the state ...". Used for
  // InputPath, OutputPath, ItemsPath and the *Path fields.
  absl::StatusOr<json::value> Select(const EvalContext& env) const;

  // Jayway's normalised form used in AWS error causes, e.g. "$['a']['b'][0]".
  std::string NormalizedText() const;

  // Sets `value` at this Reference Path in `doc`, creating intermediate
  // objects as needed ("$" replaces the whole document). Returns
  // kFailedPrecondition when the path cannot be applied (an intermediate
  // value exists and is not an object, or an index is out of range).
  absl::Status Assign(json::value& doc, json::value value) const;

  struct Impl;

 private:
  explicit JsonPath(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_PATH_H_
