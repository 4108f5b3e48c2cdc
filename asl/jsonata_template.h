// JSONata-mode field values of ASL: a JSON value in which every string of
// the form "{% expression %}" is a JSONata expression, compiled once when
// the definition is parsed and evaluated recursively through objects and
// arrays each time the state runs. Immutable after Compile (thread-safe).
#ifndef SW_ENGINE_ASL_JSONATA_TEMPLATE_H_
#define SW_ENGINE_ASL_JSONATA_TEMPLATE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "jsonata/jsonata.h"

namespace stepwise::asl {

// Variables bound for one evaluation: "states" plus the frame's variables.
using JsonataBindings = std::map<std::string, json::value>;

// True when `v` is a string "{% ... %}".
bool IsJsonataString(const json::value& v);

class JsonataTemplate {
 public:
  // Compiles `v`. Returns kInvalidArgument naming the expression on a
  // syntax error.
  static absl::StatusOr<JsonataTemplate> Compile(const json::value& v);

  // Evaluates the template. `field` is the field's name ("Output"), used in
  // error locations ("Output/result"). Failures are runtime errors
  // States.QueryEvaluationError whose message is AWS's cause (without the
  // "An error occurred while executing the state" prefix); the location
  // rides along (see QueryErrorLocation).
  absl::StatusOr<json::value> Evaluate(const JsonataBindings& bindings,
                                       std::string_view field) const;

  // The expression's text when the whole template is one "{% %}"
  // expression (without the delimiters), else "".
  std::string expression_text() const {
    return root_->kind == Node::Kind::kExpr ? root_->expr->text() : std::string();
  }

  // True when the template holds no expression.
  bool constant() const { return root_->kind == Node::Kind::kLiteral; }

 private:
  struct Field;
  struct Node {
    enum class Kind { kLiteral, kExpr, kObject, kArray };
    Kind kind = Kind::kLiteral;
    json::value literal;
    std::optional<jsonata::Expression> expr;
    std::vector<Field> fields;  // a struct, not a pair: Node is incomplete here (clang)
    std::vector<Node> items;
  };
  struct Field {
    std::string name;
    Node child;
  };
  static absl::StatusOr<Node> CompileNode(const json::value& v);
  // Where a node sits ("Arguments/items[2]"), spelled out only for errors.
  struct Location {
    const Location* parent;
    std::string_view key;  // the field, or the member's name
    size_t index;
    bool is_index;
    std::string ToString() const;
  };
  static absl::StatusOr<json::value> EvalNode(const Node& n, const jsonata::PreparedBindings& b,
                                              const Location& loc);
  std::shared_ptr<const Node> root_;
};

// Returns a States.QueryEvaluationError runtime error with `cause` and the
// field `location` ("Arguments/FunctionName").
absl::Status QueryError(std::string_view location, std::string_view cause);

// The QueryError AWS gives when the JSONata field `field` evaluates to a
// value of the wrong type: "The JSONata expression '<text>' specified for
// the field '<field>' returned an unexpected result type. Expected
// '<expected>', but was '<type of v>' for value: <v as JSON>" (recorded for
// Map Items; used for every field that wants one JSON type).
absl::Status QueryResultTypeError(const JsonataTemplate& t, std::string_view field,
                                  std::string_view expected, const json::value& v);

// Returns the location carried by a QueryError status, or "".
std::string QueryErrorLocation(const absl::Status& s);

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_JSONATA_TEMPLATE_H_
