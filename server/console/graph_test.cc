#include "server/console/graph.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::server::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A Choice, a Task with Retry and Catch, a Parallel whose second branch
// holds a Map, and a Fail.
constexpr char kMachine[] = R"({
  "StartAt": "Route",
  "States": {
    "Route": {"Type": "Choice",
      "Choices": [
        {"Variable": "$.kind", "StringEquals": "fast", "Next": "Work"},
        {"And": [{"Variable": "$.n", "NumericGreaterThan": 10},
                 {"Not": {"Variable": "$.skip", "IsPresent": true}}], "Next": "Fan"}
      ],
      "Default": "Broken"},
    "Work": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:w",
      "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
      "End": true},
    "Fan": {"Type": "Parallel", "Next": "Done",
      "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}},
        {"StartAt": "Each", "States": {
          "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
            "ItemProcessor": {"StartAt": "Inner", "States": {
              "Inner": {"Type": "Pass", "Next": "Say \"hi\""},
              "Say \"hi\"": {"Type": "Succeed"}}}}}}
      ]},
    "Done": {"Type": "Succeed"},
    "Broken": {"Type": "Fail", "Error": "Oops", "Cause": "bad"}
  }
})";

TEST(GraphTest, EveryStateIsANodeWithItsTypeClass) {
  auto g = DefinitionToDot(kMachine);
  ASSERT_TRUE(g.ok()) << g.status();
  for (const char* name : {"Route", "Work", "Fan", "Left", "Each", "Inner", "Say \"hi\"", "Done",
                           "Broken"}) {
    ASSERT_EQ(g->states.count(name), 1u) << name;
    EXPECT_EQ(g->states.at(name).size(), 1u) << name;
  }
  EXPECT_EQ(g->types.at("Fan"), "Parallel");
  EXPECT_EQ(g->types.at("Each"), "Map");
  EXPECT_THAT(g->dot, HasSubstr("class=\"sw-state sw-choice\""));
  EXPECT_THAT(g->dot, HasSubstr("class=\"sw-state sw-task\""));
  // A quote in a state name is escaped, not ending the DOT string.
  EXPECT_THAT(g->dot, HasSubstr("label=\"Say \\\"hi\\\"\\nSucceed\""));
}

TEST(GraphTest, ChoiceEdgesCarryTheirRulesAndDefault) {
  auto g = DefinitionToDot(kMachine);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(g->dot, HasSubstr("label=\"$.kind == \\\"fast\\\"\""));
  EXPECT_THAT(g->dot, HasSubstr("label=\"($.n > 10 AND NOT $.skip is present)\""));
  EXPECT_THAT(g->dot, HasSubstr("sw-default-edge\", label=\"Default\""));
}

TEST(GraphTest, RuleLabelsCoverPathsTypeTestsAndJsonata) {
  EXPECT_EQ(ChoiceRuleLabel(R"({"Variable":"$.a","NumericLessThanEqualsPath":"$.b","Next":"X"})"),
            "$.a <= $.b");
  EXPECT_EQ(ChoiceRuleLabel(R"({"Variable":"$.a","IsNull":false,"Next":"X"})"),
            "$.a is not null");
  EXPECT_EQ(ChoiceRuleLabel(R"({"Or":[{"Variable":"$.a","BooleanEquals":true},
                                      {"Variable":"$.s","StringMatches":"a*"}],"Next":"X"})"),
            "($.a == true OR $.s matches \"a*\")");
  EXPECT_EQ(ChoiceRuleLabel(R"({"Condition":"{% $states.input.n > 3 %}","Next":"X"})"),
            "{% $states.input.n > 3 %}");
  std::string long_label = ChoiceRuleLabel(
      R"({"Variable":"$.a","StringEquals":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})");
  EXPECT_LE(long_label.size(), 60u);
  EXPECT_THAT(long_label, testing::EndsWith("..."));
}

TEST(GraphTest, CatchAndRetryEdgesAreMarked) {
  auto g = DefinitionToDot(kMachine);
  ASSERT_TRUE(g.ok()) << g.status();
  std::string work = g->states.at("Work")[0];
  std::string broken = g->states.at("Broken")[0];
  EXPECT_THAT(g->dot, HasSubstr(work + " -> " + broken + " [class=\"sw-edge sw-catch-edge\""));
  EXPECT_THAT(g->dot, HasSubstr("label=\"Catch States.ALL\""));
  EXPECT_THAT(g->dot, HasSubstr(work + " -> " + work + " [class=\"sw-edge sw-retry-edge\""));
  EXPECT_THAT(g->dot, HasSubstr("label=\"Retry States.Timeout \xC3\x97" "2\""));
}

TEST(GraphTest, ParallelBranchesAndMapIteratorsAreNestedClusters) {
  auto g = DefinitionToDot(kMachine);
  ASSERT_TRUE(g.ok()) << g.status();
  std::string fan = g->states.at("Fan")[0];
  std::string each = g->states.at("Each")[0];
  std::string inner = g->states.at("Inner")[0];
  size_t fan_cluster = g->dot.find("subgraph cluster_" + fan + " {");
  size_t branch2 = g->dot.find("subgraph cluster_" + fan + "_b1 {");
  size_t map_cluster = g->dot.find("subgraph cluster_" + each + " {");
  size_t iterator = g->dot.find("subgraph cluster_" + each + "_it {");
  size_t inner_node = g->dot.find(inner + " [id=");
  ASSERT_NE(fan_cluster, std::string::npos);
  ASSERT_NE(branch2, std::string::npos);
  ASSERT_NE(map_cluster, std::string::npos);
  ASSERT_NE(iterator, std::string::npos);
  ASSERT_NE(inner_node, std::string::npos);
  EXPECT_LT(fan_cluster, branch2);
  EXPECT_LT(branch2, map_cluster);
  EXPECT_LT(map_cluster, iterator);
  EXPECT_LT(iterator, inner_node);
  // The header enters each branch; branch ends meet at the join, which
  // carries the Parallel's Next.
  std::string left = g->states.at("Left")[0];
  EXPECT_THAT(g->dot, HasSubstr(fan + " -> " + left));
  EXPECT_THAT(g->dot, HasSubstr(left + " -> " + fan + "_join"));
  EXPECT_THAT(g->dot, HasSubstr(fan + "_join -> " + g->states.at("Done")[0]));
  EXPECT_THAT(g->dot, Not(HasSubstr(fan + " -> " + g->states.at("Done")[0])));
}

TEST(GraphTest, BadDefinitionsNameTheField) {
  auto not_json = DefinitionToDot("{");
  EXPECT_EQ(not_json.status().code(), absl::StatusCode::kInvalidArgument);
  auto no_states = DefinitionToDot(R"({"StartAt":"A"})");
  EXPECT_THAT(std::string(no_states.status().message()), HasSubstr("definition.States"));
  auto bad_branch = DefinitionToDot(
      R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":[]}],"End":true}}})");
  EXPECT_THAT(std::string(bad_branch.status().message()),
              HasSubstr("definition.States.P.Branches[0].States must be an object"));
}

TEST(GraphTest, GraphvizLaysItOutAsSvgWithIdsAndClasses) {
  auto g = DefinitionToDot(kMachine);
  ASSERT_TRUE(g.ok()) << g.status();
  auto svg = RenderSvg(g->dot);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(svg->rfind("<svg", 0), 0u);
  // Graphviz writes '-' in attributes as "&#45;"; the browser decodes it.
  std::string work = g->states.at("Work")[0];
  EXPECT_THAT(*svg, HasSubstr("<g id=\"" + work + "\" class=\"node sw&#45;state sw&#45;task\""));
  EXPECT_THAT(*svg, HasSubstr("class=\"cluster sw&#45;group sw&#45;group&#45;parallel\""));
  EXPECT_THAT(*svg, HasSubstr("class=\"cluster sw&#45;iterator\""));
  EXPECT_THAT(*svg, HasSubstr("class=\"edge sw&#45;edge sw&#45;catch&#45;edge\""));
  EXPECT_THAT(*svg, HasSubstr("Say &quot;hi&quot;"));
  // Layout gave the nodes positions: every state's group holds a shape.
  EXPECT_THAT(*svg, HasSubstr("<polygon"));
}

TEST(GraphTest, RenderSvgRefusesAGraphGraphvizCannotRead) {
  EXPECT_EQ(RenderSvg("digraph {").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stepwise::server::console
