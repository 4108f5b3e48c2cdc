// Internals of the ASL validator (validator.h), shared by its files and
// included by no one else:
//   validator.cc          entry points, the walk of the machine and its States
//                         blocks, variable scopes, diagnostics
//   validator_fields.cc   which fields each state type takes, the Choice
//                         operators, and the checks of common field values
//                         (paths, payload templates, Assign, integers,
//                         JSONata expressions)
//   validator_states.cc   the rules of each state type: Task, Retry/Catch,
//                         Choice rules, Wait, Fail, Parallel, Map (ItemReader,
//                         ItemBatcher, ResultWriter)
//   validator_lexical.cc  UTF-8, RFC 3339 timestamps, names, JSON pointers
//   validator_http_task.cc the HTTP Task's arguments (ApiEndpoint, Method,
//                         Authentication, Transform)
// Task resources are judged against task_integrations.h.
// The free functions are pure and thread-safe. A Validator judges one
// definition on the calling thread and is then thrown away.
#ifndef SW_ASL_VALIDATOR_INTERNAL_H_
#define SW_ASL_VALIDATOR_INTERNAL_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "asl/task_integrations.h"
#include "asl/validator.h"
#include "common/json.h"

namespace stepwise::asl::validator_internal {

// Diagnostic codes, as AWS names them.
inline constexpr std::string_view kSchema = "SCHEMA_VALIDATION_FAILED";
inline constexpr std::string_view kMissingTarget = "MISSING_TRANSITION_TARGET";
inline constexpr std::string_view kDuplicateName = "DUPLICATE_STATE_NAME";
inline constexpr std::string_view kMissingEnd = "MISSING_END_STATE";
inline constexpr std::string_view kInvalidJson = "INVALID_JSON_DESCRIPTION";
inline constexpr std::string_view kMissingDescription = "MISSING_DESCRIPTION";
inline constexpr std::string_view kInvalidResource = "INVALID_RESOURCE";
inline constexpr std::string_view kInvalidStateName = "INVALID_STATE_NAME";
inline constexpr std::string_view kInvalidJsonata = "INVALID_JSONATA_EXPRESSION";
// Stepwise's own warning (AWS has no such case): a Task this server has no
// dispatcher for (ValidationOptions::why_not_runnable).
inline constexpr std::string_view kNotRunnable = "INTEGRATION_NOT_RUNNABLE";

inline constexpr int64_t kMaxSeconds = 99999999;
inline constexpr int64_t kMaxDelaySeconds = 31622400;
inline constexpr size_t kMaxStateNameChars = 80;
inline constexpr size_t kMaxLabelChars = 40;
inline constexpr size_t kMaxVariableNameChars = 80;

inline std::string_view Sv(const json::string& s) { return {s.data(), s.size()}; }
// Object keys come back as json::string_view; without this overload they
// would convert to a temporary json::string and the view would dangle.
inline std::string_view Sv(json::string_view s) { return {s.data(), s.size()}; }

inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
template <typename T>
  requires std::is_integral_v<T>
void AppendPiece(std::string& out, T n) {
  out.append(std::to_string(n));
}

// Concatenates strings and integers (absl::StrCat does not take
// std::string_view with our abseil).
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

// ---- validator_lexical.cc ---------------------------------------------------

// Appends `token` to the JSON Pointer `base`, escaped ("~" -> "~0", "/" -> "~1").
std::string Join(std::string_view base, std::string_view token);

// Decodes UTF-8 into code points; invalid sequences yield U+FFFD.
std::vector<uint32_t> DecodeUtf8(std::string_view s);

// RFC 3339 date-time as AWS accepts it: uppercase 'T', and 'Z' or a numeric
// offset; fractional seconds optional.
bool IsRfc3339(std::string_view s);

// A JSONata expression string: "{% ... %}".
bool IsJsonataExpression(const json::value& v);

// Reads an integral JSON number into `out` (1 and 1.0 both count).
bool AsInteger(const json::value& v, int64_t& out);

// Characters AWS forbids in names and Map labels.
bool IsForbiddenNameChar(uint32_t cp);

// Variable names: Unicode identifier (approximated: ASCII letters, '_' or
// any non-ASCII code point first; then also digits), at most 80 characters,
// and not "states".
bool IsValidVariableName(std::string_view name);

// ---- validator_fields.cc ----------------------------------------------------

enum class Lang { kJsonPath, kJsonata };

// Which query language a field belongs to.
enum class FieldKind { kBoth, kJsonPathOnly, kJsonataOnly };

using FieldTable = std::map<std::string_view, FieldKind>;

// The fields a state of `type` may have, or nullptr for an unknown type.
const FieldTable* FieldsFor(std::string_view type);

std::string_view LangName(Lang l);

// Returns true when a field of `kind` is allowed for `lang`.
bool FieldMatchesLang(FieldKind kind, Lang lang);

// The Choice-rule comparison operators and the kind of value each takes.
enum class OpKind {
  kString,
  kNumber,
  kBoolean,
  kTimestamp,
  kPath,
  kTypeTest
};

const std::map<std::string_view, OpKind>& ChoiceOperators();

// ---- the walk -------------------------------------------------------------

// Transitions out of one state, with the location each was written at.
struct Transition {
  std::string target;
  std::string loc;
  std::string_view field;  // "Next", "Default"
};

class Validator {
 public:
  Validator(std::string_view type, const ValidationOptions& options)
      : express_(type == "EXPRESS"), options_(options) {}

  // Judges `definition`; call once.
  ValidationResult Run(const json::value& definition);

 private:
  // validator.cc: diagnostics, the machine and its States blocks.
  void Error(std::string_view code, std::string message, std::string loc);
  void Warning(std::string_view code, std::string message, std::string loc);

  static int Depth(const json::value& v, int depth);

  void ValidateMachine(const json::object& top);

  // Adds to `out` the variable names one Assign object assigns (a JSONPath
  // key "x.$" assigns x), with where each is assigned.
  static void AssignedNames(const json::value* assign, const std::string& at,
                            std::vector<std::pair<std::string, std::string>>& out);

  // Each States block (the machine, a Parallel branch, a Map processor) is a
  // scope. An inner scope reads the variables of the scopes around it but
  // may not assign one of their names (AWS's rule); `outer` holds the names
  // assigned in the enclosing scopes.
  void CheckVariableScopes(const json::object& block, const std::string& loc,
                           const std::set<std::string>& outer);

  std::optional<Lang> ParseLang(const json::value& v, const std::string& loc);

  void UnknownField(std::string_view key, const std::string& loc);

  void WrongLanguageField(std::string_view key, Lang lang,
                          const std::string& loc);

  void CheckComment(const json::object& o, const std::string& loc);

  // Validates {StartAt, States} at `loc`: each state, transitions within the
  // block, reachability and the presence of a terminal state.
  void ValidateStatesBlock(const json::object& block, const std::string& loc);

  void ValidateState(const json::object& st, const std::string& loc,
                     std::vector<Transition>& out, bool& terminal);

  // validator_fields.cc: common field values.
  // Checks the syntax of every "{% ... %}" string inside `v`, skipping
  // Comment fields.
  void CheckJsonataStrings(const json::value& v, const std::string& at);

  static bool IsValidPath(std::string_view text);

  static bool IsValidPathOrIntrinsic(std::string_view text);

  // A JSONPath-mode "...Path" field: a string holding a valid path.
  void CheckPathField(const json::object& st, std::string_view key,
                      const std::string& loc, Lang lang, bool nullable);

  void CheckResultPath(const json::object& st, const std::string& loc,
                       Lang lang);

  void CheckReferencePath(const json::value& v, const std::string& at);

  // Walks a JSONPath payload template: every "x.$" key holds a path or an
  // intrinsic call, and no two keys collide once ".$" is stripped.
  void CheckTemplate(const json::value& v, const std::string& at);

  void CheckAssign(const json::value& v, const std::string& at, Lang lang);

  // A number field: an integer in [lo, hi], or (JSONata) an expression.
  void CheckInteger(const json::object& st, std::string_view key,
                    const std::string& loc, Lang lang, int64_t lo, int64_t hi);

  void Exclusive(const json::object& st, std::string_view a,
                 std::string_view b, const std::string& loc);

  // validator_states.cc: the rules of each state type.
  void ValidateTask(const json::object& st, const std::string& loc,
                    Lang lang);

  void CheckResultSelector(const json::value& v, const std::string& at);

  // "arn:" and at least five more colon-separated fields.
  static bool IsArnShaped(std::string_view r);

  // A Task's Resource: an ARN Step Functions recognizes
  // (task_integrations.h), and in an EXPRESS machine no activity, .sync or
  // .waitForTaskToken; a WARNING when this server cannot run it
  // (ValidationOptions). Returns what it is, or nullopt when refused.
  std::optional<TaskResourceShape> CheckTaskResource(std::string_view r, const std::string& at);

  // The WARNING for a recognized resource the server has no dispatcher for.
  void CheckRunnable(std::string_view r, const TaskResourceShape& shape, const std::string& at);

  // validator_http_task.cc: an HTTP Task's Parameters (JSONPath) or
  // Arguments (JSONata), as AWS checks them at create time.
  void CheckHttpTask(const json::object& st, const std::string& loc, Lang lang);

  // An ItemReader / ResultWriter Resource: ARN-shaped; EXPRESS refuses
  // activities, .sync and .waitForTaskToken.
  void CheckResource(std::string_view r, const std::string& at);

  void CheckCredentials(const json::value& v, const std::string& at, Lang lang);

  // Checks ErrorEquals; returns true when it holds States.ALL.
  bool CheckErrorEquals(const json::object& o, const std::string& at);

  void ValidateRetryCatch(const json::object& st, const std::string& loc,
                          Lang lang, std::vector<Transition>& out);

  void ValidateChoice(const json::object& st, const std::string& loc,
                      Lang lang, std::vector<Transition>& out);

  void ValidateRule(const json::object& rule, const std::string& at, Lang lang,
                    bool top);

  void ValidateWait(const json::object& st, const std::string& loc,
                    Lang lang);

  void ValidateFail(const json::object& st, const std::string& loc,
                    Lang lang);

  void ValidateSubMachine(const json::value& v, const std::string& at,
                          bool processor);

  void ValidateProcessorConfig(const json::value& v, const std::string& at);

  void ValidateParallel(const json::object& st, const std::string& loc,
                        Lang lang);

  void ValidateMap(const json::object& st, const std::string& loc, Lang lang);

  void CheckLabel(const json::value& v, const std::string& at);

  // Resource + Parameters/Arguments shared by ItemReader and ResultWriter;
  // the Resource must end with one of `actions` (":states:::s3:getObject").
  void CheckIoResource(const json::object& o, const std::string& at,
                       Lang lang, std::initializer_list<std::string_view> actions);

  // o[key], when present, is one of `allowed` (a JSONata expression passes
  // in JSONata).
  void CheckOneOf(const json::object& o, std::string_view key,
                  std::initializer_list<std::string_view> allowed,
                  const std::string& at, Lang lang);

  void ValidateItemReader(const json::value& v, const std::string& at,
                          Lang lang);

  void ValidateItemBatcher(const json::value& v, const std::string& at,
                           Lang lang);

  void ValidateResultWriter(const json::value& v, const std::string& at,
                            Lang lang);

  bool express_;
  const ValidationOptions& options_;
  Lang top_lang_ = Lang::kJsonPath;
  std::set<std::string> all_names_;
  size_t state_count_ = 0;
  std::vector<Diagnostic> diags_;
};

}  // namespace stepwise::asl::validator_internal

#endif  // SW_ASL_VALIDATOR_INTERNAL_H_
