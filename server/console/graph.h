// Console graphs: a state machine definition (ASL JSON) turned into a
// Graphviz DOT graph and laid out by Graphviz's `dot` (libgvc) as SVG, for
// the web console (console.h). Each state is one node whose SVG group
// carries `id` (from StateGraph::states) and `class="sw-state sw-<type>"`
// so the browser can paint it; Choice edges are labelled with their rules,
// Catch edges are dashed and labelled with the errors they catch, Retry is
// a dotted self-loop labelled with its errors and attempts; Parallel
// branches and Map iterators are nested clusters (a header node, the
// branch states, a join node that carries the state's outgoing edges).
//
// DefinitionToDot is pure and thread-safe. RenderSvg serialises its calls
// to Graphviz (which keeps global state) with one mutex.
#ifndef SW_SERVER_CONSOLE_GRAPH_H_
#define SW_SERVER_CONSOLE_GRAPH_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace stepwise::server::console {

struct StateGraph {
  std::string dot;
  // State name → the SVG ids of its nodes (one unless nested branches
  // reuse a name).
  std::map<std::string, std::vector<std::string>> states;
  // State name → its ASL Type.
  std::map<std::string, std::string> types;
};

// Builds the DOT graph of `definition`. kInvalidArgument naming the field
// when the definition is not JSON or a state is not an object; dangling
// `Next` names are drawn as missing nodes rather than refused (the engine
// validated the definition when it was created).
absl::StatusOr<StateGraph> DefinitionToDot(absl::string_view definition);

// Summarises one Choice rule as an edge label (`$.x == "a"`, `NOT (...)`,
// `(... AND ...)`, a JSONata Condition as written), at most ~60 characters.
std::string ChoiceRuleLabel(absl::string_view rule_json);

// Lays `dot` out with Graphviz's dot engine and renders SVG. kInvalidArgument
// when Graphviz cannot read the graph, kInternal when layout or rendering fail.
absl::StatusOr<std::string> RenderSvg(const std::string& dot);

}  // namespace stepwise::server::console

#endif  // SW_SERVER_CONSOLE_GRAPH_H_
