// The JSONPath parser (Jayway dialect, as Step Functions reads paths): text
// to segments and filter expressions (path_internal.h). JsonPath::Parse
// (path.cc) calls it once per path when a definition is loaded. Pure and
// thread-safe.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "asl/path_internal.h"
#include "common/status_macros.h"

namespace stepwise::asl::path_internal {

namespace {

using FilterPtr = std::shared_ptr<const FilterExpr>;

// Our abseil's string_view is not std::string_view.
absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Parser {
 public:
  static constexpr int kMaxFilterDepth = 100;

  explicit Parser(std::string_view s) : s_(s) {}

  void set_pos(size_t p) { pos_ = p; }

  // Parses segments until the end or, inside a filter, until a character
  // that cannot continue a path.
  absl::StatusOr<std::vector<Segment>> ParseSegments(bool in_filter) {
    std::vector<Segment> out;
    while (!AtEnd()) {
      char c = Peek();
      if (c == '.') {
        ++pos_;
        bool scan = false;
        if (Peek() == '.') {
          ++pos_;
          scan = true;
          if (Peek() == '[') {
            SW_ASSIGN_OR_RETURN(Segment seg, ParseBracket());
            seg.scan = true;
            out.push_back(std::move(seg));
            continue;
          }
        }
        Segment seg;
        seg.scan = scan;
        if (Peek() == '*') {
          ++pos_;
          seg.kind = Segment::Kind::kWildcard;
        } else {
          size_t start = pos_;
          while (!AtEnd() && !IsNameEnd(Peek(), in_filter)) ++pos_;
          std::string_view name = s_.substr(start, pos_ - start);
          if (name.empty()) return Error("empty property name");
          if (Peek() == '(') return Error("path functions are not supported");
          if (!in_filter && !AtEnd() && Peek() != '.' && Peek() != '[') {
            return Error(
                "use bracket notation ['my prop'] for property names with "
                "blanks or special characters");
          }
          seg.kind = Segment::Kind::kProperty;
          seg.names.emplace_back(name);
        }
        out.push_back(std::move(seg));
      } else if (c == '[') {
        SW_ASSIGN_OR_RETURN(Segment seg, ParseBracket());
        out.push_back(std::move(seg));
      } else {
        if (in_filter) return out;
        return Error(absl::StrCat("unexpected character '", std::string(1, c), "'"));
      }
    }
    return out;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(s_[pos_])) ++pos_;
  }
  bool Consume(std::string_view tok) {
    if (s_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSONPath '", AV(s_), "': ", AV(what), " at position ", pos_));
  }

  static bool IsNameEnd(char c, bool in_filter) {
    if (c == '.' || c == '[' || c == '(' || c == ')' || c == ']') return true;
    if (!in_filter) return IsBlank(c);
    return IsBlank(c) || c == ')' || c == '(' || c == '=' || c == '!' ||
           c == '<' || c == '>' || c == '&' || c == '|' || c == ',' || c == ']';
  }

  absl::StatusOr<std::string> ParseQuoted() {
    std::string out;
    char q = Peek();
    ++pos_;
    while (!AtEnd()) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        // Jayway keeps escapes verbatim; only an escaped delimiter is
        // unescaped so that it does not end the name.
        if (s_[pos_ + 1] == q) {
          out.push_back(q);
        } else {
          out.push_back('\\');
          out.push_back(s_[pos_ + 1]);
        }
        pos_ += 2;
        continue;
      }
      if (c == q) {
        ++pos_;
        return out;
      }
      out.push_back(c);
      ++pos_;
    }
    return Error("unterminated quoted property name");
  }

  // Reads an integer; on failure, consumes nothing.
  std::optional<int64_t> ParseInt() {
    size_t start = pos_;
    bool neg = false;
    if (Peek() == '-') {
      neg = true;
      ++pos_;
    }
    if (AtEnd() || Peek() < '0' || Peek() > '9') {
      pos_ = start;
      return std::nullopt;
    }
    int64_t x = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      if (x > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        pos_ = start;
        return std::nullopt;
      }
      x = x * 10 + (Peek() - '0');
      ++pos_;
    }
    return neg ? -x : x;
  }

  absl::StatusOr<Segment> ParseBracket() {
    Segment seg;
    ++pos_;  // '['
    SkipBlanks();
    char c = Peek();
    if (c == '*') {
      ++pos_;
      seg.kind = Segment::Kind::kWildcard;
    } else if (c == '?') {
      ++pos_;
      SkipBlanks();
      if (!Consume("(")) return Error("expected '(' after '?'");
      SW_ASSIGN_OR_RETURN(FilterPtr f, ParseFilter());
      SkipBlanks();
      if (!Consume(")")) return Error("expected ')' closing the filter");
      seg.kind = Segment::Kind::kFilter;
      seg.filter = std::move(f);
    } else if (c == '\'' || c == '"') {
      seg.kind = Segment::Kind::kProperty;
      while (true) {
        SkipBlanks();
        if (Peek() != '\'' && Peek() != '"') return Error("expected a quoted property name");
        SW_ASSIGN_OR_RETURN(std::string name, ParseQuoted());
        seg.names.push_back(std::move(name));
        SkipBlanks();
        if (!Consume(",")) break;
      }
    } else {
      std::optional<int64_t> a = ParseInt();
      SkipBlanks();
      if (Peek() == ':') {
        ++pos_;
        SkipBlanks();
        seg.kind = Segment::Kind::kSlice;
        seg.from = a;
        seg.to = ParseInt();
        if (!seg.from && !seg.to) return Error("empty array slice");
      } else {
        if (!a) return Error("expected an array index, slice, '*', filter or quoted name");
        seg.kind = Segment::Kind::kIndex;
        seg.indices.push_back(*a);
        while (true) {
          SkipBlanks();
          if (!Consume(",")) break;
          SkipBlanks();
          std::optional<int64_t> b = ParseInt();
          if (!b) return Error("expected an array index");
          seg.indices.push_back(*b);
        }
      }
    }
    SkipBlanks();
    if (!Consume("]")) return Error("expected ']'");
    return seg;
  }

  // A filter expression: unary filters joined by "&&" into chains, and
  // those chains joined by "||" ("&&" binds tighter). A chain of one comes
  // back as its only operand; a longer one becomes a kAnd / kOr node holding
  // its operands. Both levels are parsed in this one loop rather than one
  // function per operator, which keeps the stack shallow for nested
  // parentheses.
  absl::StatusOr<FilterPtr> ParseFilter() {
    std::vector<FilterPtr> alternatives;  // joined by "||"
    std::vector<FilterPtr> conjuncts;     // joined by "&&"
    while (true) {
      SW_ASSIGN_OR_RETURN(FilterPtr operand, ParseFilterUnary());
      conjuncts.push_back(std::move(operand));
      SkipBlanks();
      if (Consume("&&")) continue;
      alternatives.push_back(Join(FilterExpr::Kind::kAnd, std::move(conjuncts)));
      conjuncts.clear();
      if (!Consume("||")) break;
    }
    return Join(FilterExpr::Kind::kOr, std::move(alternatives));
  }

  // `operands` itself when there is one, else a `kind` node holding them.
  static FilterPtr Join(FilterExpr::Kind kind, std::vector<FilterPtr> operands) {
    if (operands.size() == 1) return std::move(operands[0]);
    auto node = std::make_shared<FilterExpr>();
    node->kind = kind;
    node->children = std::move(operands);
    return node;
  }

  absl::StatusOr<FilterPtr> ParseFilterUnary() {
    // Every level of nesting ('!', '(' and filters inside a filter's paths)
    // passes here; the cap keeps a hostile definition from overflowing the
    // stack of the parser, of FilterMatches and of the tree's destructor.
    if (++filter_depth_ > kMaxFilterDepth) {
      return Error(absl::StrCat("filter nested more than ", kMaxFilterDepth, " levels deep"));
    }
    absl::Cleanup leave = [this] { --filter_depth_; };
    SkipBlanks();
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      SW_ASSIGN_OR_RETURN(FilterPtr inner, ParseFilterUnary());
      auto node = std::make_shared<FilterExpr>();
      node->kind = FilterExpr::Kind::kNot;
      node->children.push_back(std::move(inner));
      return node;
    }
    if (Peek() == '(') {
      ++pos_;
      SW_ASSIGN_OR_RETURN(FilterPtr inner, ParseFilter());
      SkipBlanks();
      if (!Consume(")")) return Error("expected ')'");
      return inner;
    }
    return ParseComparison();
  }

  // "operand op operand", or a lone "@..." / "$..." (exists).
  // (Not inlined into ParseFilterUnary: its locals would then sit in every
  // frame of the parentheses recursion.)
  [[gnu::noinline]] absl::StatusOr<FilterPtr> ParseComparison() {
    auto node = std::make_shared<FilterExpr>();
    SW_ASSIGN_OR_RETURN(node->lhs, ParseOperand());
    SkipBlanks();
    static constexpr std::string_view kOps[] = {
        "==", "!=", "<=", ">=", "=~", "<", ">", "nin", "in", "subsetof",
        "anyof", "noneof", "size", "empty", "contains"};
    for (std::string_view op : kOps) {
      if (s_.substr(pos_, op.size()) == op) {
        bool word = op[0] >= 'a' && op[0] <= 'z';
        if (word) {
          char after = pos_ + op.size() < s_.size() ? s_[pos_ + op.size()] : '\0';
          if (!IsBlank(after)) continue;
        }
        pos_ += op.size();
        node->op = std::string(op);
        break;
      }
    }
    if (node->op.empty()) {
      if (node->lhs.kind != Operand::Kind::kCurrent &&
          node->lhs.kind != Operand::Kind::kRoot) {
        return Error("expected a comparison operator");
      }
      node->kind = FilterExpr::Kind::kExists;
      return node;
    }
    node->kind = FilterExpr::Kind::kCompare;
    SkipBlanks();
    SW_ASSIGN_OR_RETURN(node->rhs, ParseOperand());
    return node;
  }

  absl::StatusOr<json::value> ParseLiteral() {
    SkipBlanks();
    char c = Peek();
    if (c == '\'' || c == '"') {
      SW_ASSIGN_OR_RETURN(std::string str, ParseQuoted());
      return json::value(json::string(str));
    }
    if (c == '[') {
      ++pos_;
      json::array arr;
      SkipBlanks();
      if (Consume("]")) return json::value(std::move(arr));
      while (true) {
        SW_ASSIGN_OR_RETURN(json::value e, ParseLiteral());
        arr.push_back(std::move(e));
        SkipBlanks();
        if (Consume(",")) continue;
        if (Consume("]")) break;
        return Error("expected ',' or ']' in array literal");
      }
      return json::value(std::move(arr));
    }
    if (Consume("true")) return json::value(true);
    if (Consume("false")) return json::value(false);
    if (Consume("null")) return json::value(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      if (Peek() == '-') ++pos_;
      while (!AtEnd() && ((Peek() >= '0' && Peek() <= '9') || Peek() == '.' ||
                          Peek() == 'e' || Peek() == 'E' ||
                          ((Peek() == '+' || Peek() == '-') &&
                           (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')))) {
        ++pos_;
      }
      boost::system::error_code ec;
      json::value num = json::parse(s_.substr(start, pos_ - start), ec);
      if (ec || !num.is_number()) return Error("bad number literal");
      return num;
    }
    return Error("expected a literal");
  }

  absl::StatusOr<Operand> ParseOperand() {
    Operand o;
    SkipBlanks();
    char c = Peek();
    if (c == '@' || c == '$') {
      ++pos_;
      o.kind = c == '@' ? Operand::Kind::kCurrent : Operand::Kind::kRoot;
      SW_ASSIGN_OR_RETURN(o.segments, ParseSegments(/*in_filter=*/true));
      for (const Segment& s : o.segments) {
        if (!s.IsDefinite()) o.definite = false;
      }
      return o;
    }
    if (c == '/') {
      ++pos_;
      std::string pattern;
      while (!AtEnd() && Peek() != '/') {
        if (Peek() == '\\' && pos_ + 1 < s_.size()) {
          pattern.push_back('\\');
          ++pos_;
        }
        pattern.push_back(Peek());
        ++pos_;
      }
      if (!Consume("/")) return Error("unterminated regular expression");
      auto flags = std::regex::ECMAScript;
      while (!AtEnd() && Peek() >= 'a' && Peek() <= 'z') {
        if (Peek() == 'i') flags |= std::regex::icase;
        ++pos_;
      }
      // libstdc++'s regex compiler overflows (undefined behaviour) on long
      // numbers in back-references and {m,n}: refuse runs of 6+ digits.
      for (size_t i = 0, run = 0; i < pattern.size(); ++i) {
        run = (pattern[i] >= '0' && pattern[i] <= '9') ? run + 1 : 0;
        if (run > 5) return Error("bad regular expression");
      }
      try {
        o.regex = std::make_shared<const std::regex>(pattern, flags);
      } catch (const std::regex_error&) {
        return Error("bad regular expression");
      }
      o.kind = Operand::Kind::kRegex;
      return o;
    }
    o.kind = Operand::Kind::kLiteral;
    SW_ASSIGN_OR_RETURN(o.literal, ParseLiteral());
    return o;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int filter_depth_ = 0;  // ParseFilterUnary calls now open
};

}  // namespace

absl::StatusOr<ParsedPath> ParsePath(std::string_view text) {
  if (text.empty() || text[0] != '$') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSONPath '", AV(text), "': a path must start with '$'"));
  }
  ParsedPath out;
  Parser p(text);
  if (text.size() >= 2 && text[1] == '$') {
    out.root = Root::kContext;
    p.set_pos(2);
  } else if (text.size() >= 2 && text[1] != '.' && text[1] != '[') {
    size_t end = 1;
    while (end < text.size() && text[end] != '.' && text[end] != '[') ++end;
    std::string_view name = text.substr(1, end - 1);
    for (char c : name) {
      if (IsBlank(c) || c == '(' || c == ')' || c == ',' || c == '\'' || c == '"' ||
          c == '$' || c == '@' || c == '*') {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid JSONPath '", AV(text), "': bad variable name '", AV(name), "'"));
      }
    }
    out.root = Root::kVariable;
    out.variable = std::string(name);
    p.set_pos(end);
  } else {
    p.set_pos(1);
  }
  SW_ASSIGN_OR_RETURN(out.segments, p.ParseSegments(/*in_filter=*/false));
  return out;
}

}  // namespace stepwise::asl::path_internal
