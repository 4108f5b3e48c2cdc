// The search query language: tokenizer, recursive-descent parser and the
// matcher over a visibility row (see query.h). Pure functions; any thread.
#include "engine/search/query.h"

#include <cctype>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "engine/search/indexed_fields.h"
#include "engine/service_error.h"

namespace stepwise::engine::search {

namespace {

struct Token {
  enum class Kind { kEnd, kWord, kString, kOp, kOpen, kClose };
  Kind kind = Kind::kEnd;
  std::string text;  // the word, the decoded string, the operator
  int column = 0;
};

absl::Status QueryError(absl::string_view what, int column) {
  return ServiceError("ValidationException", absl::StrCat("query: ", what, " at column ", column));
}

bool IsWordChar(char c) {
  return !std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')' && c != '"' &&
         c != '=' && c != '!' && c != '<' && c != '>';
}

absl::StatusOr<std::vector<Token>> Tokenize(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    int column = static_cast<int>(i) + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.column = column;
    if (c == '(' || c == ')') {
      t.kind = c == '(' ? Token::Kind::kOpen : Token::Kind::kClose;
      t.text = std::string(1, c);
      ++i;
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      if (j >= s.size()) return QueryError("unterminated string", column);
      auto parsed = ParseJson(absl::string_view(s).substr(i, j - i + 1));
      if (!parsed.ok() || !parsed->is_string()) return QueryError("invalid string", column);
      t.kind = Token::Kind::kString;
      t.text = std::string(parsed->get_string());
      i = j + 1;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      t.kind = Token::Kind::kOp;
      if (i + 1 < s.size() && s[i + 1] == '=') {
        t.text = s.substr(i, 2);
        i += 2;
      } else if (c == '!') {
        return QueryError("expected '!=' after '!'", column);
      } else {
        t.text = std::string(1, c);
        ++i;
      }
      if (t.text == "==") t.text = "=";
    } else {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      t.kind = Token::Kind::kWord;
      t.text = s.substr(i, j - i);
      i = j;
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.column = static_cast<int>(s.size()) + 1;
  out.push_back(end);
  return out;
}

bool Keyword(const Token& t, absl::string_view kw) {
  return t.kind == Token::Kind::kWord && absl::EqualsIgnoreCase(t.text, kw);
}

std::string Shown(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "the end";
    case Token::Kind::kString:
      return "\"" + t.text + "\"";
    default:
      return "'" + t.text + "'";
  }
}

bool ValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Field FieldNamed(std::string_view n) {
  if (n == "status") return Field::kStatus;
  if (n == "name") return Field::kName;
  if (n == "startDate") return Field::kStartDate;
  if (n == "stopDate") return Field::kStopDate;
  if (n == "stateMachine") return Field::kStateMachine;
  if (n == "version") return Field::kVersion;
  if (n == "alias") return Field::kAlias;
  return Field::kIndexed;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  absl::StatusOr<QueryNode> Parse() {
    if (Peek().kind == Token::Kind::kEnd) return QueryNode();
    auto q = Or();
    if (!q.ok()) return q.status();
    if (Peek().kind != Token::Kind::kEnd) {
      return QueryError(absl::StrCat("expected 'and', 'or' or the end, found ", Shown(Peek())),
                        Peek().column);
    }
    return q;
  }

 private:
  const Token& Peek() const { return t_[pos_]; }
  const Token& Next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }

  absl::StatusOr<QueryNode> Or() {
    QueryNode first;
    {
      auto r = And();
      if (!r.ok()) return r.status();
      first = std::move(*r);
    }
    if (!Keyword(Peek(), "or")) return first;
    QueryNode n;
    n.kind = QueryNode::Kind::kOr;
    n.children.push_back(std::move(first));
    while (Keyword(Peek(), "or")) {
      Next();
      auto r = And();
      if (!r.ok()) return r.status();
      n.children.push_back(std::move(*r));
    }
    return n;
  }

  absl::StatusOr<QueryNode> And() {
    QueryNode first;
    {
      auto r = Term();
      if (!r.ok()) return r.status();
      first = std::move(*r);
    }
    if (!Keyword(Peek(), "and")) return first;
    QueryNode n;
    n.kind = QueryNode::Kind::kAnd;
    n.children.push_back(std::move(first));
    while (Keyword(Peek(), "and")) {
      Next();
      auto r = Term();
      if (!r.ok()) return r.status();
      n.children.push_back(std::move(*r));
    }
    return n;
  }

  absl::StatusOr<QueryNode> Term() {
    if (Peek().kind == Token::Kind::kOpen) {
      Next();
      if (++depth_ > 32) return QueryError("too deeply nested", Peek().column);
      auto r = Or();
      if (!r.ok()) return r.status();
      if (Peek().kind != Token::Kind::kClose) {
        return QueryError(absl::StrCat("expected ')', found ", Shown(Peek())), Peek().column);
      }
      Next();
      --depth_;
      return r;
    }
    return Compare();
  }

  absl::StatusOr<QueryNode> Compare() {
    const Token& f = Next();
    if (f.kind != Token::Kind::kWord || Keyword(f, "and") || Keyword(f, "or") ||
        !ValidFieldName(f.text)) {
      return QueryError(absl::StrCat("expected a field name, found ", Shown(f)), f.column);
    }
    QueryNode n;
    n.kind = QueryNode::Kind::kCompare;
    Comparison& c = n.cmp;
    c.name = f.text;
    c.field = FieldNamed(f.text);
    c.column = f.column;
    const Token& op = Next();
    std::string op_text = op.text;
    if (Keyword(op, "starts")) {
      const Token& with = Next();
      if (!Keyword(with, "with")) {
        return QueryError(absl::StrCat("expected 'with' after 'starts', found ", Shown(with)),
                          with.column);
      }
      c.op = Op::kStartsWith;
      op_text = "starts with";
    } else if (op.kind != Token::Kind::kOp) {
      return QueryError(absl::StrCat("expected an operator (=, !=, <, <=, >, >=, starts with) "
                                     "after '", f.text, "', found ", Shown(op)),
                        op.column);
    } else if (op.text == "=") {
      c.op = Op::kEq;
    } else if (op.text == "!=") {
      c.op = Op::kNe;
    } else if (op.text == "<") {
      c.op = Op::kLt;
    } else if (op.text == "<=") {
      c.op = Op::kLe;
    } else if (op.text == ">") {
      c.op = Op::kGt;
    } else {
      c.op = Op::kGe;
    }
    const Token& v = Next();
    if (v.kind != Token::Kind::kString && v.kind != Token::Kind::kWord) {
      return QueryError(absl::StrCat("expected a value after '", op_text, "'"), v.column);
    }
    if (v.kind == Token::Kind::kWord && (Keyword(v, "and") || Keyword(v, "or"))) {
      return QueryError(absl::StrCat("expected a value after '", op_text, "'"), v.column);
    }
    absl::Status s = Check(c, v, op_text);
    if (!s.ok()) return s;
    return n;
  }

  // Checks the operator and value `v` against the field and sets the value.
  static absl::Status Check(Comparison& c, const Token& v, const std::string& op_text) {
    bool eq_only = c.field == Field::kStatus || c.field == Field::kStateMachine ||
                   c.field == Field::kVersion || c.field == Field::kAlias;
    if (eq_only && c.op != Op::kEq && c.op != Op::kNe) {
      return QueryError(absl::StrCat("'", c.name, "' takes only = and !=, not '", op_text, "'"),
                        c.column);
    }
    switch (c.field) {
      case Field::kStatus: {
        static constexpr std::string_view kStatuses[] = {
            "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"};
        for (std::string_view st : kStatuses) {
          if (v.text == st) {
            c.value = v.text;
            return absl::OkStatus();
          }
        }
        return QueryError(absl::StrCat("unknown status ", Shown(v),
                                       " (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, "
                                       "PENDING_REDRIVE)"),
                          v.column);
      }
      case Field::kName:
        if (c.op != Op::kEq && c.op != Op::kNe && c.op != Op::kStartsWith) {
          return QueryError(absl::StrCat("'name' takes =, != and starts with, not '", op_text,
                                         "'"),
                            c.column);
        }
        if (v.kind != Token::Kind::kString) {
          return QueryError(absl::StrCat("expected a quoted string after '", op_text, "'"),
                            v.column);
        }
        c.value = v.text;
        return absl::OkStatus();
      case Field::kStartDate:
      case Field::kStopDate: {
        if (c.op == Op::kStartsWith) {
          return QueryError(absl::StrCat("'", c.name, "' cannot take starts with"), c.column);
        }
        absl::Time t;
        std::string err;
        if (v.kind != Token::Kind::kString ||
            !absl::ParseTime(absl::RFC3339_full, v.text, &t, &err)) {
          return QueryError(absl::StrCat("expected a time such as \"2026-12-01T00:00:00Z\" "
                                         "after '", op_text, "'"),
                            v.column);
        }
        c.ms = absl::ToUnixMillis(t);
        return absl::OkStatus();
      }
      case Field::kStateMachine:
      case Field::kVersion:
      case Field::kAlias:
        if (v.text.empty()) return QueryError("expected a value", v.column);
        c.value = v.text;
        return absl::OkStatus();
      case Field::kIndexed: {
        if (v.kind == Token::Kind::kString) {
          c.value = SerializeJson(json::value(json::string(v.text)));
        } else if (v.text == "true" || v.text == "false" || v.text == "null") {
          c.value = v.text;
        } else {
          auto num = ParseJson(v.text);
          if (!num.ok() || !num->is_number()) {
            return QueryError(absl::StrCat("expected a value (a quoted string, a number, true, "
                                           "false or null) after '", op_text, "', found ",
                                           Shown(v)),
                              v.column);
          }
          c.value = *IndexedValueText(*num);
        }
        if (c.op == Op::kStartsWith && v.kind != Token::Kind::kString) {
          return QueryError("expected a quoted string after 'starts with'", v.column);
        }
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  int depth_ = 0;
};

template <typename T>
bool Ordered(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
    case Op::kStartsWith:
      return false;
  }
  return false;
}

bool MatchIndexed(const Comparison& c, const ExecutionDescription& d) {
  auto it = d.indexed_fields.find(c.name);
  if (it == d.indexed_fields.end()) return false;
  const std::string& have = it->second;
  if (c.op == Op::kEq) return have == c.value;
  if (c.op == Op::kNe) return have != c.value;
  auto a = ParseJson(have);
  auto b = ParseJson(c.value);
  if (!a.ok() || !b.ok()) return false;
  if (a->is_string() && b->is_string()) {
    std::string_view x(a->get_string()), y(b->get_string());
    if (c.op == Op::kStartsWith) return x.substr(0, y.size()) == y;
    return Ordered(c.op, x, y);
  }
  if (c.op != Op::kStartsWith && a->is_number() && b->is_number()) {
    return Ordered(c.op, a->to_number<double>(), b->to_number<double>());
  }
  return false;
}

bool MatchOne(const Comparison& c, const ExecutionDescription& d) {
  switch (c.field) {
    case Field::kStatus:
      return Ordered(c.op, d.status, c.value);
    case Field::kName:
      if (c.op == Op::kStartsWith) return d.name.compare(0, c.value.size(), c.value) == 0;
      return Ordered(c.op, d.name, c.value);
    case Field::kStartDate:
      return Ordered(c.op, d.start_date, c.ms);
    case Field::kStopDate:
      return d.stop_date != 0 && Ordered(c.op, d.stop_date, c.ms);
    case Field::kStateMachine:
      return Ordered(c.op, d.state_machine_arn, c.value);
    case Field::kVersion:
      return Ordered(c.op, d.version_arn, c.value);
    case Field::kAlias:
      return Ordered(c.op, d.alias_arn, c.value);
    case Field::kIndexed:
      return MatchIndexed(c, d);
  }
  return false;
}

}  // namespace

absl::StatusOr<QueryNode> ParseQuery(const std::string& text) {
  if (text.size() > 4096) return QueryError("longer than 4096 characters", 4097);
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(std::move(*tokens)).Parse();
}

bool Matches(const QueryNode& q, const ExecutionDescription& d) {
  switch (q.kind) {
    case QueryNode::Kind::kAll:
      return true;
    case QueryNode::Kind::kAnd:
      for (const QueryNode& c : q.children) {
        if (!Matches(c, d)) return false;
      }
      return true;
    case QueryNode::Kind::kOr:
      for (const QueryNode& c : q.children) {
        if (Matches(c, d)) return true;
      }
      return false;
    case QueryNode::Kind::kCompare:
      return MatchOne(q.cmp, d);
  }
  return false;
}

std::vector<const Comparison*> Conjuncts(const QueryNode& q) {
  std::vector<const Comparison*> out;
  if (q.kind == QueryNode::Kind::kCompare) out.push_back(&q.cmp);
  if (q.kind == QueryNode::Kind::kAnd) {
    for (const QueryNode& c : q.children) {
      if (c.kind == QueryNode::Kind::kCompare) out.push_back(&c.cmp);
      if (c.kind == QueryNode::Kind::kAnd) {
        for (const Comparison* x : Conjuncts(c)) out.push_back(x);
      }
    }
  }
  return out;
}

}  // namespace stepwise::engine::search
