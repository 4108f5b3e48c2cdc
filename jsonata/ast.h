// The JSONata abstract syntax tree produced by the parser (after the
// reference's processAST pass), function signatures, and the error helper
// shared by the parser and evaluator. Internal to jsonata; immutable
// once parsed, so a compiled tree may be evaluated from many threads.
#ifndef SW_ENGINE_JSONATA_AST_H_
#define SW_ENGINE_JSONATA_AST_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/regex.hpp"
#include "jsonata/value.h"

namespace stepwise::jsonata::internal {

// Builds the error status for reference code `code` ("T2001") at `position`
// (-1 when unknown), naming `token` when given.
absl::Status JsonataError(std::string_view code, int position = -1,
                          std::string_view token = "", std::string_view detail = "");

// A parsed function signature such as "<s-nn?:s>".
struct Signature {
  struct Param {
    std::string regex;  // e.g. "[sm]", "[nm]?"
    char type = 0;      // 's', 'n', 'a', 'f', 'x', '(' ...
    bool context = false;
    std::string context_regex;
    std::string subtype;
  };
  std::vector<Param> params;
  std::string regex;  // "^(...)(...)$"
  std::string definition;
  std::shared_ptr<const boost::regex> compiled;
  std::vector<std::shared_ptr<const boost::regex>> context_compiled;  // per param
};

// Parses `text`; kInvalidArgument with S0401/S0402 on malformed signatures.
absl::StatusOr<std::shared_ptr<Signature>> ParseSignature(std::string_view text);

enum class NodeType {
  kPath,
  kBinary,
  kUnary,
  kName,
  kString,
  kNumber,
  kValue,
  kWildcard,
  kDescendant,
  kParent,
  kCondition,
  kBlock,
  kBind,
  kRegex,
  kFunction,
  kPartial,
  kVariable,
  kLambda,
  kApply,
  kTransform,
  kSort,
  kOperator,  // only '?' placeholders survive processing
  kEnd,
};

struct Node;
using NodePtr = std::shared_ptr<Node>;

// Ancestor slot for the parent operator (%).
struct Slot {
  std::string label;
  int level = 1;
  int index = 0;
};

struct Stage {
  bool is_index = false;  // else a filter
  NodePtr expr;
  std::string value;  // index variable name
  int position = 0;
};

struct SortTerm {
  bool descending = false;
  NodePtr expression;
};

struct GroupSpec {
  std::vector<std::pair<NodePtr, NodePtr>> pairs;
  int position = 0;
};

struct RegexLiteral {
  std::string pattern;
  std::string flags;
  std::shared_ptr<const boost::regex> compiled;
};

// Compiles a JavaScript regular expression for Boost.Regex (perl syntax,
// JavaScript's ^/$ and '.' defaults unless the m/s flags are given).
absl::StatusOr<std::shared_ptr<const boost::regex>> CompileJsRegex(std::string_view pattern,
                                                                    std::string_view flags);

struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node() { literal.FreeShared(); }

  // What evaluation reads first, together (a node spans several cache
  // lines; the type, flags, name and operands share the first ones).
  NodeType type = NodeType::kEnd;
  int position = 0;
  bool has_stages = false;
  bool keep_array = false;
  bool keep_singleton_array = false;
  bool consarray = false;
  bool tuple = false;
  bool thunk = false;
  // kBlock: whether evaluating it may bind a variable in its own frame (set
  // by MarkScopes); a block that cannot evaluates in the enclosing frame.
  bool needs_frame = true;
  // The root: whether evaluating it may bind a variable in the frame it is
  // evaluated in (MarkScopes' answer).
  bool binds_in_frame = true;
  // kName / kVariable: no predicate, binding, parent slot or grouping, so
  // that as a path step over one object it is one lookup (set by MarkScopes).
  bool plain_step = false;
  // A literal without predicate or grouping, or a plain name or variable:
  // what Evaluator::TryLeaf may evaluate directly (set by MarkScopes).
  bool leaf = false;
  Value literal;       // number/string/value literals
  std::string value;   // operator, name, variable name, string literal

  NodePtr lhs;
  NodePtr rhs;
  std::vector<NodePtr> steps;        // path
  std::vector<Stage> predicate;
  std::vector<Stage> stages;
  std::vector<NodePtr> expressions;  // array constructor / block
  std::vector<NodePtr> arguments;    // function call / lambda parameters
  NodePtr procedure;
  std::optional<GroupSpec> group;
  std::optional<std::string> focus;
  std::optional<std::string> index;

  NodePtr expression;  // unary operand
  std::vector<std::pair<NodePtr, NodePtr>> pairs;  // object constructor / group rhs (parse)
  std::vector<SortTerm> terms;                     // sort
  NodePtr body;
  NodePtr condition;
  NodePtr then;
  NodePtr otherwise;
  NodePtr pattern;
  NodePtr update;
  NodePtr deletion;
  std::shared_ptr<RegexLiteral> regex;
  std::shared_ptr<Signature> signature;

  std::shared_ptr<Slot> slot;
  std::shared_ptr<Slot> ancestor;
  std::optional<std::vector<std::shared_ptr<Slot>>> seeking_parent;
};

// Sets needs_frame on the blocks under `n`. Returns whether evaluating `n`
// may bind a variable in the frame it is evaluated in.
bool MarkScopes(Node* n);

// Marks the string literals under `n` shared (Value::Share), so that
// evaluations on several threads copy them without counting: for trees
// compiled once and evaluated from many threads (Expression::Compile).
void ShareLiterals(Node* n);

// Parses and processes `text` into an evaluable tree. Errors carry S0xxx codes.
absl::StatusOr<NodePtr> Parse(std::string_view text);

}  // namespace stepwise::jsonata::internal

#endif  // SW_ENGINE_JSONATA_AST_H_
