#include "server/console/graph.h"

#include <graphviz/gvc.h>

#include <cctype>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace stepwise::server::console {
namespace {

constexpr size_t kMaxLabel = 60;

// A DOT quoted string: `"` and `\` escaped (a `\\` shows one backslash in
// a label), newlines as Graphviz's centred line break.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      continue;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Truncate(std::string s) {
  if (s.size() <= kMaxLabel) return s;
  size_t cut = kMaxLabel - 3;
  // Do not cut a UTF-8 sequence in half.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

std::string RuleText(const json::object& rule) {
  if (const json::value* c = rule.if_contains("Condition")) {
    return c->is_string() ? std::string(c->as_string()) : SerializeJson(*c);
  }
  auto list = [&](const char* key, const char* op) -> std::string {
    const json::value* v = rule.if_contains(key);
    std::vector<std::string> parts;
    if (v != nullptr && v->is_array()) {
      for (const json::value& r : v->as_array()) {
        parts.push_back(r.is_object() ? RuleText(r.as_object()) : "?");
      }
    }
    return absl::StrCat("(", absl::StrJoin(parts, op), ")");
  };
  if (rule.contains("And")) return list("And", " AND ");
  if (rule.contains("Or")) return list("Or", " OR ");
  if (const json::value* n = rule.if_contains("Not")) {
    return absl::StrCat("NOT ", n->is_object() ? RuleText(n->as_object()) : "?");
  }
  std::string var;
  if (const json::value* v = rule.if_contains("Variable"); v != nullptr && v->is_string()) {
    var = std::string(v->as_string());
  }
  static const std::pair<std::string_view, std::string_view> kOps[] = {
      {"GreaterThanEquals", ">="}, {"LessThanEquals", "<="}, {"GreaterThan", ">"},
      {"LessThan", "<"},           {"Equals", "=="},          {"Matches", "matches"},
  };
  for (const auto& [key, value] : rule) {
    std::string_view k(key.data(), key.size());
    if (k == "Variable" || k == "Next" || k == "Comment" || k == "Assign" || k == "Output") {
      continue;
    }
    if (k.substr(0, 2) == "Is") {
      // IsPresent, IsNull, IsString...: `$.x is present` / `is not null`.
      std::string what(k.substr(2));
      for (char& c : what) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool yes = value.is_bool() && value.as_bool();
      return absl::StrCat(var, yes ? " is " : " is not ", what);
    }
    bool path = k.size() > 4 && k.substr(k.size() - 4) == "Path";
    std::string_view base = path ? k.substr(0, k.size() - 4) : k;
    std::string op(base);
    for (const auto& [suffix, sym] : kOps) {
      if (base.size() >= suffix.size() && base.substr(base.size() - suffix.size()) == suffix) {
        op = std::string(sym);
        break;
      }
    }
    std::string rhs = path && value.is_string() ? std::string(value.as_string())
                                                : SerializeJson(value);
    return absl::StrCat(var, " ", op, " ", rhs);
  }
  return var.empty() ? "?" : var;
}

class DotBuilder {
 public:
  absl::Status Build(const json::object& root) {
    out_ =
        "digraph statemachine {\n"
        "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=10, nodesep=0.4, "
        "ranksep=0.45, bgcolor=\"transparent\", id=\"sw-graph\"];\n"
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", "
        "color=\"#7a8699\", fontname=\"Helvetica\", fontsize=11, margin=\"0.18,0.06\"];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#6b7280\", "
        "fontcolor=\"#374151\", arrowsize=0.7];\n"
        "  sw_start [id=\"sw-start\", class=\"sw-terminal\", shape=oval, label=\"Start\", "
        "fillcolor=\"#e5e7eb\"];\n"
        "  sw_end [id=\"sw-end\", class=\"sw-terminal\", shape=oval, label=\"End\", "
        "fillcolor=\"#e5e7eb\"];\n";
    SW_RETURN_IF_ERROR(Scope(root, "sw_start", "sw_end", "definition", 1));
    out_ += edges_;
    out_ += "}\n";
    return absl::OkStatus();
  }

  StateGraph Take() {
    StateGraph g;
    g.dot = std::move(out_);
    g.states = std::move(ids_);
    g.types = std::move(types_);
    return g;
  }

 private:
  std::string NewId() { return absl::StrCat("sw_", next_id_++); }

  void Indent(int depth) { out_.append(static_cast<size_t>(depth) * 2, ' '); }

  // Edges are written at the top level after every node: an edge statement
  // inside a cluster would make both its ends members of that cluster.
  void Edge(int, const std::string& from, const std::string& to, const std::string& attrs) {
    absl::StrAppend(&edges_, "  ", from, " -> ", to, attrs.empty() ? "" : " [" + attrs + "]",
                    ";\n");
  }

  // Emits the states of one scope (the machine, a branch, an iterator):
  // `entry` gets an edge to StartAt, terminal states an edge to `exit`.
  absl::Status Scope(const json::object& scope, const std::string& entry,
                     const std::string& exit, const std::string& where, int depth) {
    const json::value* states_v = scope.if_contains("States");
    if (states_v == nullptr || !states_v->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".States must be an object"));
    }
    const json::object& states = states_v->as_object();
    // Name → node id for edges into a state, and → node id edges leave from.
    std::map<std::string, std::string> in_id, out_id;
    for (const auto& [key, value] : states) {
      std::string name(key.data(), key.size());
      if (!value.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".States.", name, " must be an object"));
      }
      std::string id = NewId();
      in_id[name] = id;
      out_id[name] = id;
    }
    std::vector<std::pair<std::string, std::string>> later_edges;  // ids; attrs below
    std::string pending;
    for (const auto& [key, value] : states) {
      std::string name(key.data(), key.size());
      const json::object& st = value.as_object();
      std::string type;
      if (const json::value* t = st.if_contains("Type"); t != nullptr && t->is_string()) {
        type = std::string(t->as_string());
      }
      const std::string& id = in_id[name];
      ids_[name].push_back(id);
      types_[name] = type;
      std::string lower = type;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string label = absl::StrCat(Truncate(name), "\n", type);
      std::string node_attrs =
          absl::StrCat("id=", Quote(id), ", class=", Quote("sw-state sw-" + lower),
                       ", label=", Quote(label));
      if (type == "Choice") absl::StrAppend(&node_attrs, ", shape=box, style=\"filled,diagonals\"");
      if (type == "Succeed" || type == "Fail") absl::StrAppend(&node_attrs, ", shape=oval");
      std::string state_where = absl::StrCat(where, ".States.", name);
      if (type == "Parallel" || type == "Map") {
        std::string join = id + "_join";
        out_id[name] = join;
        // The header (the state itself) and the join sit outside the
        // dashed group so dot keeps them out of the branch boxes.
        Indent(depth);
        absl::StrAppend(&out_, id, " [", node_attrs, "];\n");
        Indent(depth);
        absl::StrAppend(&out_, join, " [id=", Quote(join), ", class=\"sw-join\", shape=point, "
                        "width=0.08, label=\"\"];\n");
        Indent(depth);
        absl::StrAppend(&out_, "subgraph cluster_", id, " {\n");
        Indent(depth + 1);
        absl::StrAppend(&out_, "id=", Quote(id + "_group"), "; class=",
                        Quote("sw-group sw-group-" + lower), "; label=",
                        Quote(type == "Map" ? "Map iterations" : "Parallel branches"),
                        "; style=\"rounded,dashed\"; color=\"#9ca3af\"; fontcolor=\"#6b7280\";\n");
        if (type == "Parallel") {
          const json::value* b = st.if_contains("Branches");
          if (b == nullptr || !b->is_array()) {
            return absl::InvalidArgumentError(absl::StrCat(state_where, ".Branches must be an array"));
          }
          int i = 0;
          for (const json::value& branch : b->as_array()) {
            std::string bw = absl::StrCat(state_where, ".Branches[", i, "]");
            if (!branch.is_object()) {
              return absl::InvalidArgumentError(absl::StrCat(bw, " must be an object"));
            }
            Indent(depth + 1);
            absl::StrAppend(&out_, "subgraph cluster_", id, "_b", i, " {\n");
            Indent(depth + 2);
            absl::StrAppend(&out_, "id=", Quote(absl::StrCat(id, "_b", i)),
                            "; class=\"sw-branch\"; label=", Quote(absl::StrCat("Branch ", i + 1)),
                            "; style=\"rounded\"; color=\"#d1d5db\";\n");
            SW_RETURN_IF_ERROR(Scope(branch.as_object(), id, join, bw, depth + 2));
            Indent(depth + 1);
            out_ += "}\n";
            ++i;
          }
        } else {
          const json::value* p = st.if_contains("ItemProcessor");
          std::string field = "ItemProcessor";
          if (p == nullptr) {
            p = st.if_contains("Iterator");
            field = "Iterator";
          }
          if (p == nullptr || !p->is_object()) {
            return absl::InvalidArgumentError(
                absl::StrCat(state_where, ".ItemProcessor must be an object"));
          }
          Indent(depth + 1);
          absl::StrAppend(&out_, "subgraph cluster_", id, "_it {\n");
          Indent(depth + 2);
          absl::StrAppend(&out_, "id=", Quote(id + "_it"),
                          "; class=\"sw-iterator\"; label=\"Iterator (each item)\"; "
                          "style=\"rounded\"; color=\"#d1d5db\";\n");
          SW_RETURN_IF_ERROR(
              Scope(p->as_object(), id, join, absl::StrCat(state_where, ".", field), depth + 2));
          Indent(depth + 1);
          out_ += "}\n";
        }
        Indent(depth);
        out_ += "}\n";
      } else {
        Indent(depth);
        absl::StrAppend(&out_, id, " [", node_attrs, "];\n");
      }
    }

    // Edges, once every node of this scope exists.
    auto target = [&](const json::value* next) -> std::string {
      if (next == nullptr || !next->is_string()) return "";
      std::string n(next->as_string());
      auto it = in_id.find(n);
      if (it != in_id.end()) return it->second;
      // A dangling name: draw it so the problem is visible.
      std::string missing = NewId();
      Indent(depth);
      absl::StrAppend(&out_, missing, " [id=", Quote(missing), ", class=\"sw-missing\", label=",
                      Quote(absl::StrCat(Truncate(n), "\n(missing)")),
                      ", color=\"#dc2626\", style=\"rounded,dashed\"];\n");
      in_id[n] = missing;
      return missing;
    };
    const json::value* start = scope.if_contains("StartAt");
    std::string start_id = target(start);
    if (!start_id.empty()) Edge(depth, entry, start_id, "class=\"sw-edge sw-start-edge\"");
    for (const auto& [key, value] : states) {
      std::string name(key.data(), key.size());
      const json::object& st = value.as_object();
      const std::string& from = out_id[name];
      const std::string& self = in_id[name];
      std::string type;
      if (const json::value* t = st.if_contains("Type"); t != nullptr && t->is_string()) {
        type = std::string(t->as_string());
      }
      if (type == "Choice") {
        if (const json::value* c = st.if_contains("Choices"); c != nullptr && c->is_array()) {
          int i = 0;
          for (const json::value& rule : c->as_array()) {
            if (!rule.is_object()) continue;
            std::string to = target(rule.as_object().if_contains("Next"));
            if (to.empty()) continue;
            std::string label = Truncate(RuleText(rule.as_object()));
            Edge(depth, from, to,
                 absl::StrCat("class=\"sw-edge sw-choice-edge\", id=",
                              Quote(absl::StrCat(self, "_rule", i)), ", label=", Quote(label),
                              ", tooltip=", Quote(RuleText(rule.as_object()))));
            ++i;
          }
        }
        std::string def = target(st.if_contains("Default"));
        if (!def.empty()) {
          Edge(depth, from, def,
               "class=\"sw-edge sw-default-edge\", label=\"Default\", style=dashed");
        }
      } else if (type == "Succeed" || type == "Fail") {
        Edge(depth, from, exit,
             type == "Fail" ? "class=\"sw-edge sw-fail-edge\", color=\"#dc2626\""
                            : "class=\"sw-edge\"");
      } else {
        std::string next = target(st.if_contains("Next"));
        if (!next.empty()) {
          Edge(depth, from, next, "class=\"sw-edge\"");
        } else if (const json::value* e = st.if_contains("End");
                   e != nullptr && e->is_bool() && e->as_bool()) {
          Edge(depth, from, exit, "class=\"sw-edge\"");
        }
      }
      if (const json::value* r = st.if_contains("Retry"); r != nullptr && r->is_array()) {
        int i = 0;
        for (const json::value& retrier : r->as_array()) {
          if (!retrier.is_object()) continue;
          const json::object& ro = retrier.as_object();
          std::vector<std::string> errors;
          if (const json::value* ee = ro.if_contains("ErrorEquals"); ee && ee->is_array()) {
            for (const json::value& e : ee->as_array()) {
              if (e.is_string()) errors.emplace_back(e.as_string());
            }
          }
          int64_t attempts = 3;
          if (const json::value* m = ro.if_contains("MaxAttempts"); m && m->is_int64()) {
            attempts = m->as_int64();
          }
          std::string label = Truncate(
              absl::StrCat("Retry ", absl::StrJoin(errors, ", "), " \xC3\x97", attempts));
          // A self-loop on the state itself (for Parallel/Map: on its header).
          Edge(depth, self, self,
               absl::StrCat("class=\"sw-edge sw-retry-edge\", id=",
                            Quote(absl::StrCat(self, "_retry", i)), ", label=", Quote(label),
                            ", style=dotted, color=\"#d97706\", fontcolor=\"#b45309\""));
          ++i;
        }
      }
      if (const json::value* c = st.if_contains("Catch"); c != nullptr && c->is_array()) {
        int i = 0;
        for (const json::value& catcher : c->as_array()) {
          if (!catcher.is_object()) continue;
          const json::object& co = catcher.as_object();
          std::vector<std::string> errors;
          if (const json::value* ee = co.if_contains("ErrorEquals"); ee && ee->is_array()) {
            for (const json::value& e : ee->as_array()) {
              if (e.is_string()) errors.emplace_back(e.as_string());
            }
          }
          std::string to = target(co.if_contains("Next"));
          if (to.empty()) continue;
          Edge(depth, from, to,
               absl::StrCat("class=\"sw-edge sw-catch-edge\", id=",
                            Quote(absl::StrCat(self, "_catch", i)), ", label=",
                            Quote(Truncate("Catch " + absl::StrJoin(errors, ", "))),
                            ", style=dashed, color=\"#dc2626\", fontcolor=\"#b91c1c\""));
          ++i;
        }
      }
    }
    return absl::OkStatus();
  }

  std::string out_;
  std::string edges_;
  int next_id_ = 0;
  std::map<std::string, std::vector<std::string>> ids_;
  std::map<std::string, std::string> types_;
};

std::mutex& GraphvizMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

// One Graphviz context for the process, used under GraphvizMutex and never
// freed: Graphviz's text-layout plugin caches font data across contexts, so
// freeing a context and making another reads freed memory (AddressSanitizer
// caught it); one context also loads the plugins once.
GVC_t* GraphvizContext() {
  static GVC_t* gvc = gvContext();
  return gvc;
}

}  // namespace

std::string ChoiceRuleLabel(absl::string_view rule_json) {
  absl::StatusOr<json::value> v = ParseJson(rule_json);
  if (!v.ok() || !v->is_object()) return "?";
  return Truncate(RuleText(v->as_object()));
}

absl::StatusOr<StateGraph> DefinitionToDot(absl::string_view definition) {
  absl::StatusOr<json::value> v = ParseJson(definition);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("definition is not valid JSON: ", v.status().message()));
  }
  if (!v->is_object()) return absl::InvalidArgumentError("definition must be a JSON object");
  DotBuilder b;
  absl::Status s = b.Build(v->as_object());
  if (!s.ok()) return s;
  return b.Take();
}

absl::StatusOr<std::string> RenderSvg(const std::string& dot) {
  std::lock_guard<std::mutex> lock(GraphvizMutex());
  GVC_t* gvc = GraphvizContext();
  if (gvc == nullptr) return absl::InternalError("graphviz: cannot create a context");
  // Keep Graphviz's own messages off stderr; report them in the status.
  agseterr(AGMAX);
  Agraph_t* g = agmemread(dot.c_str());
  if (g == nullptr) {
    const char* why = aglasterr();
    std::string message = why != nullptr ? why : "";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return absl::InvalidArgumentError(
        absl::StrCat("graphviz cannot read the generated graph: ", message));
  }
  std::string svg;
  absl::Status status;
  if (gvLayout(gvc, g, "dot") != 0) {
    status = absl::InternalError("graphviz: dot layout failed");
  } else {
    char* data = nullptr;
    unsigned int length = 0;
    if (gvRenderData(gvc, g, "svg", &data, &length) != 0 || data == nullptr) {
      status = absl::InternalError("graphviz: SVG rendering failed");
    } else {
      svg.assign(data, length);
    }
    if (data != nullptr) gvFreeRenderData(data);
    gvFreeLayout(gvc, g);
  }
  agclose(g);
  if (!status.ok()) return status;
  // Drop the XML prolog and DOCTYPE: the SVG is inlined into the page.
  size_t at = svg.find("<svg");
  if (at != std::string::npos) svg.erase(0, at);
  return svg;
}

}  // namespace stepwise::server::console
