// A port of the reference parser (jsonata-js 2.0.6 parser.js): a tokenizer,
// a Pratt parser and the processAST pass that turns binary '.' chains into
// path steps, predicates into stages, and resolves the parent operator.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "jsonata/ast.h"

namespace stepwise::jsonata::internal {
namespace {

enum class TokType { kName, kVariable, kOperator, kString, kNumber, kValue, kRegex, kEnd };

struct Token {
  TokType type = TokType::kEnd;
  std::string value;
  Value literal;
  std::shared_ptr<RegexLiteral> regex;
  int position = 0;
};

int OperatorPrecedence(std::string_view op) {
  static const std::map<std::string_view, int> kOps = {
      {".", 75},  {"[", 80},  {"]", 0},   {"{", 70},  {"}", 0},   {"(", 80},  {")", 0},
      {",", 0},   {"@", 80},  {"#", 80},  {";", 80},  {":", 80},  {"?", 20},  {"+", 50},
      {"-", 50},  {"*", 60},  {"/", 60},  {"%", 60},  {"|", 20},  {"=", 40},  {"<", 40},
      {">", 40},  {"^", 40},  {"**", 60}, {"..", 20}, {":=", 10}, {"!=", 40}, {"<=", 40},
      {">=", 40}, {"~>", 40}, {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50}, {"!", 0},
      {"~", 0}};
  auto it = kOps.find(op);
  return it == kOps.end() ? -1 : it->second;
}

bool IsOperatorChar(char c) {
  return std::string_view(".[]{}(),@#;:?+-*/%|=<>^&!~").find(c) != std::string_view::npos;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  // Returns the next token; `prefix` true means we are after an operand
  // (so '/' is division, not a regex).
  absl::StatusOr<Token> Next(bool prefix) {
    size_t n = src_.size();
    while (pos_ < n && std::string_view(" \t\n\r\v").find(src_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    if (pos_ + 1 < n && src_[pos_] == '/' && src_[pos_ + 1] == '*') {
      size_t start = pos_;
      size_t end = src_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        return JsonataError("S0106", static_cast<int>(start));
      }
      pos_ = end + 2;
      return Next(prefix);
    }
    Token t;
    t.position = static_cast<int>(pos_);
    if (pos_ >= n) {
      t.type = TokType::kEnd;
      return t;
    }
    char c = src_[pos_];
    if (!prefix && c == '/') {
      ++pos_;
      return ScanRegex();
    }
    if (pos_ + 1 < n) {
      std::string_view two = src_.substr(pos_, 2);
      if (two == ".." || two == ":=" || two == "!=" || two == ">=" || two == "<=" ||
          two == "**" || two == "~>") {
        pos_ += 2;
        t.type = TokType::kOperator;
        t.value = std::string(two);
        return t;
      }
    }
    if (IsOperatorChar(c)) {
      ++pos_;
      t.type = TokType::kOperator;
      t.value = std::string(1, c);
      return t;
    }
    if (c == '"' || c == '\'') {
      char quote = c;
      ++pos_;
      std::string out;
      while (pos_ < n) {
        char ch = src_[pos_];
        if (ch == '\\') {
          ++pos_;
          if (pos_ >= n) break;
          ch = src_[pos_];
          switch (ch) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
              auto hex = [&](size_t at) -> long {
                if (at + 4 > n) return -1;
                for (size_t k = at; k < at + 4; ++k) {
                  if (!std::isxdigit(static_cast<unsigned char>(src_[k]))) return -1;
                }
                return std::strtol(std::string(src_.substr(at, 4)).c_str(), nullptr, 16);
              };
              long cp = hex(pos_ + 1);
              if (cp < 0) return JsonataError("S0104", static_cast<int>(pos_));
              pos_ += 4;
              if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 2 < n && src_[pos_ + 1] == '\\' &&
                  src_[pos_ + 2] == 'u') {
                long lo = hex(pos_ + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                  cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                  pos_ += 6;
                }
              }
              out += FromCodePoints(std::u32string(1, static_cast<char32_t>(cp)));
              break;
            }
            default:
              return JsonataError("S0103", static_cast<int>(pos_), std::string(1, ch));
          }
        } else if (ch == quote) {
          ++pos_;
          t.type = TokType::kString;
          t.value = out;
          t.literal = Value::String(out);
          return t;
        } else {
          out += ch;
        }
        ++pos_;
      }
      return JsonataError("S0101", static_cast<int>(pos_));
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t i = pos_;
      if (src_[i] == '0') {
        ++i;
      } else {
        while (i < n && std::isdigit(static_cast<unsigned char>(src_[i]))) ++i;
      }
      if (i + 1 < n && src_[i] == '.' && std::isdigit(static_cast<unsigned char>(src_[i + 1]))) {
        ++i;
        while (i < n && std::isdigit(static_cast<unsigned char>(src_[i]))) ++i;
      }
      if (i < n && (src_[i] == 'e' || src_[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (src_[j] == '+' || src_[j] == '-')) ++j;
        if (j < n && std::isdigit(static_cast<unsigned char>(src_[j]))) {
          while (j < n && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
          i = j;
        }
      }
      std::string text(src_.substr(pos_, i - pos_));
      double d = std::strtod(text.c_str(), nullptr);
      if (!std::isfinite(d)) return JsonataError("S0102", t.position, text);
      pos_ = i;
      t.type = TokType::kNumber;
      t.value = text;
      t.literal = Value::Number(d);
      return t;
    }
    if (c == '`') {
      size_t end = src_.find('`', pos_ + 1);
      if (end == std::string_view::npos) return JsonataError("S0105", static_cast<int>(pos_));
      t.type = TokType::kName;
      t.value = std::string(src_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      return t;
    }
    size_t i = pos_;
    while (i < n && std::string_view(" \t\n\r\v").find(src_[i]) == std::string_view::npos &&
           !IsOperatorChar(src_[i])) {
      ++i;
    }
    if (src_[pos_] == '$') {
      t.type = TokType::kVariable;
      t.value = std::string(src_.substr(pos_ + 1, i - pos_ - 1));
      pos_ = i;
      return t;
    }
    std::string name(src_.substr(pos_, i - pos_));
    pos_ = i;
    if (name == "or" || name == "in" || name == "and") {
      t.type = TokType::kOperator;
      t.value = name;
    } else if (name == "true" || name == "false") {
      t.type = TokType::kValue;
      t.value = name;
      t.literal = Value::Bool(name == "true");
    } else if (name == "null") {
      t.type = TokType::kValue;
      t.value = name;
      t.literal = Value::Null();
    } else {
      t.type = TokType::kName;
      t.value = name;
    }
    return t;
  }

 private:
  absl::StatusOr<Token> ScanRegex() {
    size_t start = pos_;
    int depth = 0;
    size_t n = src_.size();
    auto is_closing_slash = [&](size_t p) {
      if (src_[p] == '/' && depth == 0) {
        int backslashes = 0;
        while (p - backslashes > 0 && src_[p - (backslashes + 1)] == '\\') ++backslashes;
        return backslashes % 2 == 0;
      }
      return false;
    };
    while (pos_ < n) {
      char c = src_[pos_];
      if (is_closing_slash(pos_)) {
        std::string pattern(src_.substr(start, pos_ - start));
        if (pattern.empty()) return JsonataError("S0301", static_cast<int>(pos_));
        ++pos_;
        size_t fstart = pos_;
        while (pos_ < n && std::string_view("gimsuy").find(src_[pos_]) != std::string_view::npos) {
          ++pos_;
        }
        Token t;
        t.type = TokType::kRegex;
        t.position = static_cast<int>(start);
        t.regex = std::make_shared<RegexLiteral>();
        t.regex->pattern = pattern;
        t.regex->flags = std::string(src_.substr(fstart, pos_ - fstart));
        t.value = pattern;
        auto compiled = CompileJsRegex(pattern, t.regex->flags);
        if (!compiled.ok()) return compiled.status();
        t.regex->compiled = *compiled;
        return t;
      }
      if ((c == '(' || c == '[' || c == '{') && src_[pos_ - 1] != '\\') ++depth;
      if ((c == ')' || c == ']' || c == '}') && src_[pos_ - 1] != '\\') --depth;
      ++pos_;
    }
    return JsonataError("S0302", static_cast<int>(pos_));
  }

  std::string_view src_;
  size_t pos_ = 0;
};

// The current token as a parser symbol.
struct Sym {
  std::string id;  // operator text, "(name)", "(literal)", "(regex)", "(end)"
  Token tok;
  int lbp = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src), lexer_(src) {}

  absl::StatusOr<NodePtr> Run() {
    Advance("", false);
    NodePtr expr = Expression(0);
    if (!ok()) return status_;
    if (node_.id != "(end)") {
      return JsonataError("S0201", node_.tok.position, node_.tok.value);
    }
    NodePtr processed = Process(expr);
    if (!ok()) return status_;
    if (processed->type == NodeType::kParent || processed->seeking_parent) {
      return JsonataError("S0217", processed->position, "parent");
    }
    processed->binds_in_frame = MarkScopes(processed.get());
    return processed;
  }

 private:
  bool ok() const { return status_.ok(); }
  NodePtr Fail(absl::Status s) {
    if (status_.ok()) status_ = std::move(s);
    return nullptr;
  }

  void Advance(std::string_view id, bool infix) {
    if (!ok()) return;
    if (!id.empty() && node_.id != id) {
      Fail(JsonataError(node_.id == "(end)" ? "S0203" : "S0202", node_.tok.position,
                        node_.tok.value, id));
      return;
    }
    auto next = lexer_.Next(infix);
    if (!next.ok()) {
      Fail(next.status());
      return;
    }
    Sym s;
    s.tok = std::move(*next);
    switch (s.tok.type) {
      case TokType::kEnd:
        s.id = "(end)";
        s.tok.position = static_cast<int>(src_.size());
        break;
      case TokType::kName:
      case TokType::kVariable:
        s.id = "(name)";
        break;
      case TokType::kOperator: {
        s.id = s.tok.value;
        int bp = OperatorPrecedence(s.id);
        if (bp < 0 || s.id == "!" || s.id == "~") {
          Fail(JsonataError("S0204", s.tok.position, s.tok.value));
          return;
        }
        // Only infix symbols bind to the left (the reference's symbol table).
        static const std::vector<std::string> kInfixIds = {
            ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and",
            "or", "in", "~>", "(", "[", "^", "{", ":=", "@", "#", "?"};
        s.lbp = std::find(kInfixIds.begin(), kInfixIds.end(), s.id) != kInfixIds.end() ? bp : 0;
        break;
      }
      case TokType::kString:
      case TokType::kNumber:
      case TokType::kValue:
        s.id = "(literal)";
        break;
      case TokType::kRegex:
        s.id = "(regex)";
        break;
    }
    node_ = std::move(s);
  }

  NodePtr MakeNode(NodeType type, const Sym& s) {
    auto n = std::make_shared<Node>();
    n->type = type;
    n->value = s.tok.value;
    n->position = s.tok.position;
    n->literal = s.tok.literal;
    return n;
  }

  NodePtr Expression(int rbp) {
    if (!ok()) return nullptr;
    if (++depth_ > 500) return Fail(JsonataError("S0201", node_.tok.position, "depth"));
    Sym t = node_;
    Advance("", true);
    NodePtr left = Nud(t);
    while (ok() && left && rbp < node_.lbp) {
      t = node_;
      Advance("", false);
      left = Led(t, left);
    }
    --depth_;
    return ok() ? left : nullptr;
  }

  NodePtr Nud(const Sym& s) {
    if (!ok()) return nullptr;
    const std::string& id = s.id;
    if (id == "(end)") return MakeNode(NodeType::kEnd, s);
    if (id == "(name)") {
      return MakeNode(s.tok.type == TokType::kVariable ? NodeType::kVariable : NodeType::kName, s);
    }
    if (id == "(literal)") {
      NodeType t = s.tok.type == TokType::kString   ? NodeType::kString
                   : s.tok.type == TokType::kNumber ? NodeType::kNumber
                                                    : NodeType::kValue;
      return MakeNode(t, s);
    }
    if (id == "(regex)") {
      NodePtr n = MakeNode(NodeType::kRegex, s);
      n->regex = s.tok.regex;
      return n;
    }
    if (id == "and" || id == "or" || id == "in") {
      NodePtr n = MakeNode(NodeType::kName, s);
      return n;
    }
    if (id == "-") {
      NodePtr n = MakeNode(NodeType::kUnary, s);
      n->expression = Expression(70);
      return n;
    }
    if (id == "*") return MakeNode(NodeType::kWildcard, s);
    if (id == "**") return MakeNode(NodeType::kDescendant, s);
    if (id == "%") return MakeNode(NodeType::kParent, s);
    if (id == "(") {
      NodePtr n = MakeNode(NodeType::kBlock, s);
      while (ok() && node_.id != ")") {
        n->expressions.push_back(Expression(0));
        if (node_.id != ";") break;
        Advance(";", false);
      }
      Advance(")", true);
      return n;
    }
    if (id == "[") {
      NodePtr n = MakeNode(NodeType::kUnary, s);
      if (node_.id != "]") {
        for (;;) {
          NodePtr item = Expression(0);
          if (!ok()) return nullptr;
          if (node_.id == "..") {
            auto range = std::make_shared<Node>();
            range->type = NodeType::kBinary;
            range->value = "..";
            range->position = node_.tok.position;
            range->lhs = item;
            Advance("..", false);
            range->rhs = Expression(0);
            item = range;
          }
          n->expressions.push_back(item);
          if (node_.id != ",") break;
          Advance(",", false);
        }
      }
      Advance("]", true);
      return n;
    }
    if (id == "{") {
      NodePtr n = MakeNode(NodeType::kUnary, s);
      ParseObject(n);
      return n;
    }
    if (id == "|") {
      NodePtr n = MakeNode(NodeType::kTransform, s);
      n->pattern = Expression(0);
      Advance("|", false);
      n->update = Expression(0);
      if (node_.id == ",") {
        Advance(",", false);
        n->deletion = Expression(0);
      }
      Advance("|", false);
      return n;
    }
    return Fail(JsonataError("S0211", s.tok.position, s.tok.value));
  }

  void ParseObject(const NodePtr& n) {
    if (node_.id != "}") {
      for (;;) {
        NodePtr k = Expression(0);
        Advance(":", false);
        NodePtr v = Expression(0);
        if (!ok()) return;
        n->pairs.emplace_back(k, v);
        if (node_.id != ",") break;
        Advance(",", false);
      }
    }
    Advance("}", true);
  }

  NodePtr Led(const Sym& s, const NodePtr& left) {
    if (!ok()) return nullptr;
    const std::string& id = s.id;
    if (id == "(") {
      NodePtr n = MakeNode(NodeType::kFunction, s);
      n->procedure = left;
      if (node_.id != ")") {
        for (;;) {
          if (node_.tok.type == TokType::kOperator && node_.id == "?") {
            n->type = NodeType::kPartial;
            auto ph = MakeNode(NodeType::kOperator, node_);
            n->arguments.push_back(ph);
            Advance("?", false);
          } else {
            n->arguments.push_back(Expression(0));
          }
          if (!ok()) return nullptr;
          if (node_.id != ",") break;
          Advance(",", false);
        }
      }
      Advance(")", true);
      if (!ok()) return nullptr;
      if (left->type == NodeType::kName && (left->value == "function" || left->value == "\u03BB")) {
        for (size_t i = 0; i < n->arguments.size(); ++i) {
          if (n->arguments[i]->type != NodeType::kVariable) {
            return Fail(JsonataError("S0208", n->arguments[i]->position, n->arguments[i]->value));
          }
        }
        n->type = NodeType::kLambda;
        if (node_.id == "<") {
          int sig_pos = node_.tok.position;
          int depth = 1;
          std::string sig = "<";
          while (ok() && depth > 0 && node_.id != "{" && node_.id != "(end)") {
            Advance("", false);
            if (!ok()) return nullptr;
            if (node_.id == ">") {
              --depth;
            } else if (node_.id == "<") {
              ++depth;
            }
            sig += node_.tok.value;
          }
          Advance(">", false);
          auto parsed = ParseSignature(sig);
          if (!parsed.ok()) {
            (void)sig_pos;
            return Fail(parsed.status());
          }
          n->signature = *parsed;
        }
        Advance("{", false);
        n->body = Expression(0);
        Advance("}", false);
      }
      return n;
    }
    if (id == "[") {
      if (node_.id == "]") {
        Node* step = left.get();
        while (step && step->type == NodeType::kBinary && step->value == "[") step = step->lhs.get();
        step->keep_array = true;
        Advance("]", true);
        return left;
      }
      NodePtr n = MakeNode(NodeType::kBinary, s);
      n->lhs = left;
      n->rhs = Expression(0);
      Advance("]", true);
      return n;
    }
    if (id == "^") {
      Advance("(", false);
      NodePtr n = MakeNode(NodeType::kBinary, s);
      n->lhs = left;
      for (;;) {
        SortTerm term;
        if (node_.id == "<") {
          Advance("<", false);
        } else if (node_.id == ">") {
          term.descending = true;
          Advance(">", false);
        }
        term.expression = Expression(0);
        if (!ok()) return nullptr;
        n->terms.push_back(term);
        if (node_.id != ",") break;
        Advance(",", false);
      }
      Advance(")", false);
      return n;
    }
    if (id == "{") {
      NodePtr n = MakeNode(NodeType::kBinary, s);
      n->lhs = left;
      ParseObject(n);
      return n;
    }
    if (id == ":=") {
      if (left->type != NodeType::kVariable) {
        return Fail(JsonataError("S0212", left->position, left->value));
      }
      NodePtr n = MakeNode(NodeType::kBinary, s);
      n->lhs = left;
      n->rhs = Expression(OperatorPrecedence(":=") - 1);
      return n;
    }
    if (id == "@" || id == "#") {
      NodePtr n = MakeNode(NodeType::kBinary, s);
      n->lhs = left;
      n->rhs = Expression(OperatorPrecedence(id));
      if (!ok()) return nullptr;
      if (n->rhs->type != NodeType::kVariable) {
        return Fail(JsonataError("S0214", n->rhs->position, id));
      }
      return n;
    }
    if (id == "?") {
      NodePtr n = MakeNode(NodeType::kCondition, s);
      n->condition = left;
      n->then = Expression(0);
      if (node_.id == ":") {
        Advance(":", false);
        n->otherwise = Expression(0);
      }
      return n;
    }
    static const std::vector<std::string> kInfix = {".", "+",  "-",  "*",  "/",   "%",  "=",
                                                    "<", ">",  "!=", "<=", ">=",  "&",  "and",
                                                    "or", "in", "~>"};
    for (const auto& op : kInfix) {
      if (id == op) {
        NodePtr n = MakeNode(NodeType::kBinary, s);
        n->lhs = left;
        n->rhs = Expression(OperatorPrecedence(id));
        return n;
      }
    }
    return Fail(JsonataError("S0201", s.tok.position, s.tok.value));
  }

  // ---- processAST ----

  void SeekParent(Node* node, std::shared_ptr<Slot>& slot) {
    if (!ok()) return;
    switch (node->type) {
      case NodeType::kName:
      case NodeType::kWildcard:
        slot->level--;
        if (slot->level == 0) {
          if (!node->ancestor) {
            node->ancestor = slot;
          } else {
            ancestry_[static_cast<size_t>(slot->index)]->label = node->ancestor->label;
            node->ancestor = slot;
          }
          node->tuple = true;
        }
        break;
      case NodeType::kParent:
        slot->level++;
        break;
      case NodeType::kBlock:
        if (!node->expressions.empty()) {
          node->tuple = true;
          SeekParent(node->expressions.back().get(), slot);
        }
        break;
      case NodeType::kPath: {
        node->tuple = true;
        int index = static_cast<int>(node->steps.size()) - 1;
        SeekParent(node->steps[static_cast<size_t>(index--)].get(), slot);
        while (ok() && slot->level > 0 && index >= 0) {
          SeekParent(node->steps[static_cast<size_t>(index--)].get(), slot);
        }
        break;
      }
      default:
        Fail(JsonataError("S0217", node->position, "node"));
    }
  }

  static void PushAncestry(Node* result, Node* value) {
    if (value == nullptr) return;
    if (value->seeking_parent || value->type == NodeType::kParent) {
      std::vector<std::shared_ptr<Slot>> slots =
          value->seeking_parent ? *value->seeking_parent : std::vector<std::shared_ptr<Slot>>{};
      if (value->type == NodeType::kParent) slots.push_back(value->slot);
      if (!result->seeking_parent) {
        result->seeking_parent = slots;
      } else {
        for (auto& s : slots) result->seeking_parent->push_back(s);
      }
    }
  }

  void ResolveAncestry(Node* path) {
    int index = static_cast<int>(path->steps.size()) - 1;
    Node* laststep = path->steps[static_cast<size_t>(index)].get();
    std::vector<std::shared_ptr<Slot>> slots =
        laststep->seeking_parent ? *laststep->seeking_parent : std::vector<std::shared_ptr<Slot>>{};
    if (laststep->type == NodeType::kParent) slots.push_back(laststep->slot);
    for (auto slot : slots) {
      index = static_cast<int>(path->steps.size()) - 2;
      while (ok() && slot->level > 0) {
        if (index < 0) {
          if (!path->seeking_parent) path->seeking_parent.emplace();
          path->seeking_parent->push_back(slot);
          break;
        }
        Node* step = path->steps[static_cast<size_t>(index--)].get();
        while (index >= 0 && step->focus && path->steps[static_cast<size_t>(index)]->focus) {
          step = path->steps[static_cast<size_t>(index--)].get();
        }
        SeekParent(step, slot);
      }
    }
  }

  NodePtr Process(const NodePtr& expr) {
    if (!ok() || !expr) return nullptr;
    NodePtr result;
    switch (expr->type) {
      case NodeType::kBinary: {
        const std::string& op = expr->value;
        if (op == ".") {
          NodePtr lstep = Process(expr->lhs);
          if (!ok()) return nullptr;
          if (lstep->type == NodeType::kPath) {
            result = lstep;
          } else {
            result = std::make_shared<Node>();
            result->type = NodeType::kPath;
            result->position = expr->position;
            result->steps.push_back(lstep);
          }
          if (lstep->type == NodeType::kParent) {
            result->seeking_parent = std::vector<std::shared_ptr<Slot>>{lstep->slot};
          }
          NodePtr rest = Process(expr->rhs);
          if (!ok()) return nullptr;
          if (rest->type == NodeType::kPath) {
            for (auto& st : rest->steps) result->steps.push_back(st);
          } else {
            if (!rest->predicate.empty()) {
              rest->stages = std::move(rest->predicate);
              rest->predicate.clear();
              rest->has_stages = true;
            }
            result->steps.push_back(rest);
          }
          for (auto& st : result->steps) {
            if (st->type == NodeType::kNumber || st->type == NodeType::kValue) {
              return Fail(JsonataError("S0213", st->position, st->value));
            }
            if (st->type == NodeType::kString) st->type = NodeType::kName;
          }
          for (auto& st : result->steps) {
            if (st->keep_array) result->keep_singleton_array = true;
          }
          Node* first = result->steps.front().get();
          if (first->type == NodeType::kUnary && first->value == "[") first->consarray = true;
          Node* last = result->steps.back().get();
          if (last->type == NodeType::kUnary && last->value == "[") last->consarray = true;
          ResolveAncestry(result.get());
        } else if (op == "[") {
          result = Process(expr->lhs);
          if (!ok()) return nullptr;
          Node* step = result.get();
          bool stages = false;
          if (result->type == NodeType::kPath) {
            step = result->steps.back().get();
            stages = true;
          }
          if (step->group) return Fail(JsonataError("S0209", expr->position));
          NodePtr predicate = Process(expr->rhs);
          if (!ok()) return nullptr;
          if (predicate->seeking_parent) {
            for (auto& slot : *predicate->seeking_parent) {
              if (slot->level == 1) {
                auto s = slot;
                SeekParent(step, s);
              } else {
                slot->level--;
              }
            }
            PushAncestry(step, predicate.get());
          }
          Stage st;
          st.expr = predicate;
          st.position = expr->position;
          if (stages) {
            step->stages.push_back(st);
            step->has_stages = true;
          } else {
            step->predicate.push_back(st);
          }
        } else if (op == "{") {
          result = Process(expr->lhs);
          if (!ok()) return nullptr;
          if (result->group) return Fail(JsonataError("S0210", expr->position));
          GroupSpec g;
          g.position = expr->position;
          for (auto& p : expr->pairs) {
            NodePtr k = Process(p.first);
            NodePtr v = Process(p.second);
            if (!ok()) return nullptr;
            g.pairs.emplace_back(k, v);
          }
          result->group = std::move(g);
        } else if (op == "^") {
          result = Process(expr->lhs);
          if (!ok()) return nullptr;
          if (result->type != NodeType::kPath) {
            auto p = std::make_shared<Node>();
            p->type = NodeType::kPath;
            p->position = result->position;
            p->steps.push_back(result);
            result = p;
          }
          auto sort = std::make_shared<Node>();
          sort->type = NodeType::kSort;
          sort->position = expr->position;
          for (auto& t : expr->terms) {
            SortTerm term;
            term.descending = t.descending;
            term.expression = Process(t.expression);
            if (!ok()) return nullptr;
            PushAncestry(sort.get(), term.expression.get());
            sort->terms.push_back(term);
          }
          result->steps.push_back(sort);
          ResolveAncestry(result.get());
        } else if (op == ":=") {
          result = std::make_shared<Node>();
          result->type = NodeType::kBind;
          result->value = op;
          result->position = expr->position;
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          if (!ok()) return nullptr;
          PushAncestry(result.get(), result->rhs.get());
        } else if (op == "@") {
          result = Process(expr->lhs);
          if (!ok()) return nullptr;
          Node* step = result.get();
          if (result->type == NodeType::kPath) step = result->steps.back().get();
          if (step->has_stages || !step->predicate.empty()) {
            return Fail(JsonataError("S0215", expr->position));
          }
          if (step->type == NodeType::kSort) return Fail(JsonataError("S0216", expr->position));
          if (expr->keep_array) step->keep_array = true;
          step->focus = expr->rhs->value;
          step->tuple = true;
        } else if (op == "#") {
          result = Process(expr->lhs);
          if (!ok()) return nullptr;
          Node* step = result.get();
          if (result->type == NodeType::kPath) {
            step = result->steps.back().get();
          } else {
            auto p = std::make_shared<Node>();
            p->type = NodeType::kPath;
            p->position = result->position;
            p->steps.push_back(result);
            result = p;
            if (!step->predicate.empty()) {
              step->stages = std::move(step->predicate);
              step->predicate.clear();
              step->has_stages = true;
            }
          }
          if (!step->has_stages) {
            step->index = expr->rhs->value;
          } else {
            Stage st;
            st.is_index = true;
            st.value = expr->rhs->value;
            st.position = expr->position;
            step->stages.push_back(st);
          }
          step->tuple = true;
        } else if (op == "~>") {
          result = std::make_shared<Node>();
          result->type = NodeType::kApply;
          result->value = op;
          result->position = expr->position;
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          if (!ok()) return nullptr;
          result->keep_array = result->lhs->keep_array || result->rhs->keep_array;
        } else {
          result = std::make_shared<Node>();
          result->type = NodeType::kBinary;
          result->value = op;
          result->position = expr->position;
          result->lhs = Process(expr->lhs);
          result->rhs = Process(expr->rhs);
          if (!ok()) return nullptr;
          PushAncestry(result.get(), result->lhs.get());
          PushAncestry(result.get(), result->rhs.get());
        }
        break;
      }
      case NodeType::kUnary: {
        result = std::make_shared<Node>();
        result->type = NodeType::kUnary;
        result->value = expr->value;
        result->position = expr->position;
        if (expr->value == "[") {
          for (auto& item : expr->expressions) {
            NodePtr v = Process(item);
            if (!ok()) return nullptr;
            PushAncestry(result.get(), v.get());
            result->expressions.push_back(v);
          }
        } else if (expr->value == "{") {
          for (auto& p : expr->pairs) {
            NodePtr k = Process(p.first);
            if (!ok()) return nullptr;
            PushAncestry(result.get(), k.get());
            NodePtr v = Process(p.second);
            if (!ok()) return nullptr;
            PushAncestry(result.get(), v.get());
            result->pairs.emplace_back(k, v);
          }
        } else {
          result->expression = Process(expr->expression);
          if (!ok()) return nullptr;
          if (expr->value == "-" && result->expression->type == NodeType::kNumber) {
            result = result->expression;
            result->literal = Value::Number(-result->literal.AsNumber());
          } else {
            PushAncestry(result.get(), result->expression.get());
          }
        }
        break;
      }
      case NodeType::kFunction:
      case NodeType::kPartial: {
        result = std::make_shared<Node>();
        result->type = expr->type;
        result->value = expr->value;
        result->position = expr->position;
        for (auto& a : expr->arguments) {
          NodePtr arg = Process(a);
          if (!ok()) return nullptr;
          PushAncestry(result.get(), arg.get());
          result->arguments.push_back(arg);
        }
        result->procedure = Process(expr->procedure);
        if (!ok()) return nullptr;
        break;
      }
      case NodeType::kLambda: {
        result = std::make_shared<Node>();
        result->type = NodeType::kLambda;
        result->arguments = expr->arguments;
        result->signature = expr->signature;
        result->position = expr->position;
        NodePtr body = Process(expr->body);
        if (!ok()) return nullptr;
        result->body = TailCallOptimize(body);
        break;
      }
      case NodeType::kCondition: {
        result = std::make_shared<Node>();
        result->type = NodeType::kCondition;
        result->position = expr->position;
        result->condition = Process(expr->condition);
        if (!ok()) return nullptr;
        PushAncestry(result.get(), result->condition.get());
        result->then = Process(expr->then);
        if (!ok()) return nullptr;
        PushAncestry(result.get(), result->then.get());
        if (expr->otherwise) {
          result->otherwise = Process(expr->otherwise);
          if (!ok()) return nullptr;
          PushAncestry(result.get(), result->otherwise.get());
        }
        break;
      }
      case NodeType::kTransform: {
        result = std::make_shared<Node>();
        result->type = NodeType::kTransform;
        result->position = expr->position;
        result->pattern = Process(expr->pattern);
        result->update = Process(expr->update);
        if (expr->deletion) result->deletion = Process(expr->deletion);
        if (!ok()) return nullptr;
        break;
      }
      case NodeType::kBlock: {
        result = std::make_shared<Node>();
        result->type = NodeType::kBlock;
        result->position = expr->position;
        for (auto& item : expr->expressions) {
          NodePtr part = Process(item);
          if (!ok()) return nullptr;
          PushAncestry(result.get(), part.get());
          if (part->consarray || (part->type == NodeType::kPath && part->steps[0]->consarray)) {
            result->consarray = true;
          }
          result->expressions.push_back(part);
        }
        break;
      }
      case NodeType::kName: {
        result = std::make_shared<Node>();
        result->type = NodeType::kPath;
        result->position = expr->position;
        result->steps.push_back(expr);
        if (expr->keep_array) result->keep_singleton_array = true;
        break;
      }
      case NodeType::kParent: {
        result = std::make_shared<Node>();
        result->type = NodeType::kParent;
        result->position = expr->position;
        result->slot = std::make_shared<Slot>();
        result->slot->label = "!" + std::to_string(ancestor_label_++);
        result->slot->level = 1;
        result->slot->index = ancestor_index_++;
        ancestry_.push_back(result->slot);
        break;
      }
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kValue:
      case NodeType::kWildcard:
      case NodeType::kDescendant:
      case NodeType::kVariable:
      case NodeType::kRegex:
        result = expr;
        break;
      case NodeType::kOperator:
        if (expr->value == "?") {
          result = expr;
        } else {
          return Fail(JsonataError("S0201", expr->position, expr->value));
        }
        break;
      case NodeType::kEnd:
        return Fail(JsonataError("S0207", expr->position));
      default:
        return Fail(JsonataError("S0206", expr->position, expr->value));
    }
    if (expr->keep_array) result->keep_array = true;
    return result;
  }

  static NodePtr TailCallOptimize(const NodePtr& expr) {
    if (expr->type == NodeType::kFunction && expr->predicate.empty()) {
      auto thunk = std::make_shared<Node>();
      thunk->type = NodeType::kLambda;
      thunk->thunk = true;
      thunk->body = expr;
      thunk->position = expr->position;
      return thunk;
    }
    if (expr->type == NodeType::kCondition) {
      expr->then = TailCallOptimize(expr->then);
      if (expr->otherwise) expr->otherwise = TailCallOptimize(expr->otherwise);
      return expr;
    }
    if (expr->type == NodeType::kBlock && !expr->expressions.empty()) {
      expr->expressions.back() = TailCallOptimize(expr->expressions.back());
      return expr;
    }
    return expr;
  }

  std::string_view src_;
  Lexer lexer_;
  Sym node_;
  absl::Status status_;
  int depth_ = 0;
  int ancestor_label_ = 0;
  int ancestor_index_ = 0;
  std::vector<std::shared_ptr<Slot>> ancestry_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<Signature>> ParseSignature(std::string_view text) {
  auto sig = std::make_shared<Signature>();
  sig->definition = std::string(text);
  size_t pos = 1;  // skip '<'
  Signature::Param param;
  Signature::Param* prev = nullptr;
  auto next = [&]() {
    sig->params.push_back(param);
    param = Signature::Param();
  };
  auto find_closing = [&](size_t start, char open, char close) -> size_t {
    int depth = 1;
    size_t p = start;
    while (p < text.size()) {
      ++p;
      if (p >= text.size()) break;
      if (text[p] == close) {
        if (--depth == 0) return p;
      } else if (text[p] == open) {
        ++depth;
      }
    }
    return std::string_view::npos;
  };
  while (pos < text.size()) {
    char symbol = text[pos];
    if (symbol == ':') break;
    switch (symbol) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        param.regex = std::string("[") + symbol + "m]";
        param.type = symbol;
        next();
        break;
      case 'a':
        param.regex = "[asnblfom]";
        param.type = symbol;
        next();
        break;
      case 'f':
        param.regex = "f";
        param.type = symbol;
        next();
        break;
      case 'j':
        param.regex = "[asnblom]";
        param.type = symbol;
        next();
        break;
      case 'x':
        param.regex = "[asnblfom]";
        param.type = symbol;
        next();
        break;
      case '-':
        prev = &sig->params.back();
        prev->context = true;
        prev->context_regex = prev->regex;
        prev->regex += "?";
        break;
      case '?':
      case '+':
        sig->params.back().regex += symbol;
        break;
      case '(': {
        size_t end = find_closing(pos, '(', ')');
        if (end == std::string_view::npos) return JsonataError("S0401", static_cast<int>(pos));
        std::string choice(text.substr(pos + 1, end - pos - 1));
        if (choice.find('<') != std::string::npos) {
          return JsonataError("S0402", static_cast<int>(pos));
        }
        param.regex = "[" + choice + "m]";
        param.type = '(';
        pos = end;
        next();
        break;
      }
      case '<': {
        if (sig->params.empty()) return JsonataError("S0401", static_cast<int>(pos));
        auto& last = sig->params.back();
        if (last.type == 'a' || last.type == 'f') {
          size_t end = find_closing(pos, '<', '>');
          if (end == std::string_view::npos) return JsonataError("S0401", static_cast<int>(pos));
          last.subtype = std::string(text.substr(pos + 1, end - pos - 1));
          pos = end;
        } else {
          return JsonataError("S0401", static_cast<int>(pos));
        }
        break;
      }
      default:
        break;
    }
    ++pos;
  }
  sig->regex = "^";
  for (auto& p : sig->params) sig->regex += "(" + p.regex + ")";
  sig->regex += "$";
  try {
    sig->compiled = std::make_shared<const boost::regex>(sig->regex);
    for (auto& p : sig->params) {
      sig->context_compiled.push_back(
          p.context ? std::make_shared<const boost::regex>(p.context_regex) : nullptr);
    }
  } catch (const std::exception&) {
    return JsonataError("S0401", 0, sig->definition);
  }
  return sig;
}

absl::StatusOr<std::shared_ptr<const boost::regex>> CompileJsRegex(std::string_view pattern,
                                                                    std::string_view flags) {
  std::string p;
  // JavaScript's \uXXXX escapes become Boost's \x{XXXX}.
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      if (pattern[i + 1] == 'u' && i + 5 < pattern.size() + 0 && i + 6 <= pattern.size()) {
        p += "\\x{" + std::string(pattern.substr(i + 2, 4)) + "}";
        i += 5;
        continue;
      }
      p += pattern[i];
      p += pattern[i + 1];
      ++i;
      continue;
    }
    p += pattern[i];
  }
  if (flags.find('s') == std::string_view::npos) p = "(?-s)" + p;
  boost::regex::flag_type opts = boost::regex::perl;
  if (flags.find('i') != std::string_view::npos) opts |= boost::regex::icase;
  if (flags.find('m') == std::string_view::npos) opts |= boost::regex::no_mod_m;
  try {
    return std::make_shared<const boost::regex>(p, opts);
  } catch (const std::exception&) {
    return JsonataError("S0303", 0, pattern);
  }
}

namespace {

// Calls `visit` on each child of `n` (a node shared by two parents is
// visited from both).
template <typename F>
void ForEachChild(Node* n, F&& visit) {
  visit(n->lhs);
  visit(n->rhs);
  visit(n->expression);
  for (const auto& c : n->steps) visit(c);
  for (const auto& c : n->expressions) visit(c);
  for (const auto& c : n->arguments) visit(c);
  for (const auto& [k, v] : n->pairs) {
    visit(k);
    visit(v);
  }
  for (const auto& t : n->terms) visit(t.expression);
  visit(n->procedure);
  visit(n->body);
  visit(n->condition);
  visit(n->then);
  visit(n->otherwise);
  visit(n->pattern);
  visit(n->update);
  visit(n->deletion);
  for (const auto& st : n->predicate) visit(st.expr);
  for (const auto& st : n->stages) visit(st.expr);
  if (n->group) {
    for (const auto& [k, v] : n->group->pairs) {
      visit(k);
      visit(v);
    }
  }
}

}  // namespace

void ShareLiterals(Node* n) {
  if (n == nullptr) return;
  if (n->literal.IsString() && !n->literal.IsShared()) {
    // A copy of its own: the node frees it (~Node), and no other node or
    // token may hold the same string.
    n->literal = Value::String(n->literal.AsString());
    n->literal.Share();
  }
  ForEachChild(n, [](const NodePtr& c) { ShareLiterals(c.get()); });
}

bool MarkScopes(Node* n) {
  if (n == nullptr) return false;
  bool binds = n->type == NodeType::kBind;
  ForEachChild(n, [&](const NodePtr& c) {
    if (c && MarkScopes(c.get())) binds = true;
  });
  n->plain_step = (n->type == NodeType::kName || n->type == NodeType::kVariable) &&
                  n->predicate.empty() && n->stages.empty() && !n->has_stages && !n->group &&
                  !n->focus && !n->index && !n->tuple && !n->keep_array && !n->consarray &&
                  !n->slot && !n->ancestor && !n->seeking_parent;
  n->leaf = ((n->type == NodeType::kString || n->type == NodeType::kNumber ||
              n->type == NodeType::kValue) &&
             n->predicate.empty() && !n->group) ||
            (n->type == NodeType::kName && n->plain_step) ||
            (n->type == NodeType::kVariable && n->plain_step && !n->value.empty());
  if (n->type == NodeType::kBlock) {
    n->needs_frame = binds;
    return false;
  }
  // A lambda's body binds in the frame of each call.
  return n->type == NodeType::kLambda ? false : binds;
}

absl::StatusOr<NodePtr> Parse(std::string_view text) {
  Parser p(text);
  return p.Run();
}

}  // namespace stepwise::jsonata::internal
