// The parsed form of a JSONPath (path.h), shared by its two files and
// included by no one else: path_parser.cc turns text into segments and
// filter expressions, path.cc evaluates them and assigns through them.
// Parsed values are immutable once built and may be read from any thread.
#ifndef SW_ASL_PATH_INTERNAL_H_
#define SW_ASL_PATH_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::asl::path_internal {

// What a path reads: the state input ("$"), the context object ("$$") or
// a variable ("$name").
enum class Root { kInput, kContext, kVariable };

struct FilterExpr;

struct Segment {
  enum class Kind { kProperty, kWildcard, kIndex, kSlice, kFilter };
  Kind kind = Kind::kProperty;
  // ".." before this segment: apply it to the node and all descendants.
  bool scan = false;
  std::vector<std::string> names;   // kProperty
  std::vector<int64_t> indices;     // kIndex
  std::optional<int64_t> from, to;  // kSlice
  std::shared_ptr<const FilterExpr> filter;

  bool IsDefinite() const {
    if (scan) return false;
    switch (kind) {
      case Kind::kProperty: return names.size() == 1;
      case Kind::kIndex: return indices.size() == 1;
      default: return false;
    }
  }
};

// A value inside a filter: a literal, "@..." (the current item) or "$..."
// (the root document).
struct Operand {
  enum class Kind { kNone, kLiteral, kCurrent, kRoot, kRegex };
  Kind kind = Kind::kNone;
  json::value literal;
  std::vector<Segment> segments;
  bool definite = true;
  std::shared_ptr<const std::regex> regex;
};

struct FilterExpr {
  enum class Kind { kOr, kAnd, kNot, kCompare, kExists };
  Kind kind = Kind::kExists;
  std::vector<std::shared_ptr<const FilterExpr>> children;
  Operand lhs, rhs;
  std::string op;
};

struct ParsedPath {
  Root root = Root::kInput;
  std::string variable;  // for Root::kVariable
  std::vector<Segment> segments;
};

// Parses a path as JsonPath::Parse documents it. Returns kInvalidArgument
// naming the problem and its position.
absl::StatusOr<ParsedPath> ParsePath(std::string_view text);

}  // namespace stepwise::asl::path_internal

#endif  // SW_ASL_PATH_INTERNAL_H_
