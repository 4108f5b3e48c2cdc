// Versions and aliases of state machines through the engine (Engine::
// PublishStateMachineVersion ... ListStateMachineAliases, publish on
// Create/Update, StartExecution/DescribeStateMachine/ListExecutions on
// qualified ARNs): AWS's errors, idempotency, weighted routing, quotas and a
// restart on RocksDB.
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kV1[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"End":true}}})";
constexpr char kV2[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":2,"End":true}}})";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/r";

using VersionsEngineTest = EngineTest;
using VersionsRestartTest = RocksEngineTest;

std::string Name(const absl::Status& s) { return ServiceErrorName(s); }

TEST_F(VersionsEngineTest, PublishOnCreateAndUpdateNumbersVersionsNeverReused) {
  auto m = engine_->CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true, "first");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version_arn, m->arn + ":1");
  auto u = engine_->UpdateStateMachine(m->arn, std::string(kV2), std::nullopt, std::nullopt, true, "second");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->version_arn, m->arn + ":2");
  auto v1 = engine_->DescribeStateMachine(m->arn + ":1");
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->arn, m->arn + ":1");
  EXPECT_EQ(v1->definition, kV1);
  EXPECT_EQ(v1->description, "first");
  EXPECT_EQ(v1->revision_id, m->revision_id);
  auto v2 = engine_->DescribeStateMachine(m->arn + ":2");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->definition, kV2);
  auto list = engine_->ListStateMachineVersions(m->arn);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].arn, m->arn + ":2");  // newest first
  // Deleting version 2 and publishing again does not reuse 2.
  ASSERT_TRUE(engine_->DeleteStateMachineVersion(m->arn + ":2").ok());
  EXPECT_EQ(Name(engine_->DescribeStateMachine(m->arn + ":2").status()),
            "StateMachineDoesNotExist");
  ASSERT_TRUE(engine_->UpdateStateMachine(m->arn, std::string(kV1), std::nullopt).ok());
  auto p = engine_->PublishStateMachineVersion(m->arn, std::nullopt, "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->arn, m->arn + ":3");
  // Deleting what is not there succeeds, as AWS's does.
  EXPECT_TRUE(engine_->DeleteStateMachineVersion(m->arn + ":2").ok());
  EXPECT_EQ(Name(engine_->DeleteStateMachineVersion(m->arn)), "ValidationException");
}

TEST_F(VersionsEngineTest, PublishIsIdempotentAndChecksTheRevisionId) {
  std::string arn = Machine("m", kV1);
  auto d = engine_->DescribeStateMachine(arn);
  ASSERT_TRUE(d.ok());
  auto a = engine_->PublishStateMachineVersion(arn, d->revision_id, "x");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = engine_->PublishStateMachineVersion(arn, std::nullopt, "x");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->arn, b->arn);
  EXPECT_EQ(a->creation_date, b->creation_date);
  EXPECT_EQ(engine_->ListStateMachineVersions(arn)->size(), 1u);
  ASSERT_TRUE(engine_->UpdateStateMachine(arn, std::string(kV2), std::nullopt).ok());
  EXPECT_EQ(Name(engine_->PublishStateMachineVersion(arn, d->revision_id, "").status()),
            "ConflictException");
  EXPECT_EQ(Name(engine_->PublishStateMachineVersion(arn + "x", std::nullopt, "").status()),
            "StateMachineDoesNotExist");
  EXPECT_EQ(Name(engine_->PublishStateMachineVersion("bad", std::nullopt, "").status()),
            "InvalidArn");
}

TEST_F(VersionsEngineTest, AliasRoutesByWeightAndExecutionsNameVersionAndAlias) {
  auto m = engine_->CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true);
  ASSERT_TRUE(m.ok());
  auto u = engine_->UpdateStateMachine(m->arn, std::string(kV2), std::nullopt, std::nullopt, true);
  ASSERT_TRUE(u.ok());
  std::string v1 = m->arn + ":1", v2 = m->arn + ":2";
  auto a = engine_->CreateStateMachineAlias("prod", "live", {{v1, 90}, {v2, 10}});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->arn, m->arn + ":prod");
  // Idempotent with the same members; a conflict with others.
  auto again = engine_->CreateStateMachineAlias("prod", "live", {{v1, 90}, {v2, 10}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->creation_date, a->creation_date);
  EXPECT_EQ(Name(engine_->CreateStateMachineAlias("prod", "live", {{v1, 100}}).status()),
            "ConflictException");

  std::map<std::string, int> by_version;
  for (int i = 0; i < 400; ++i) {
    auto s = engine_->StartExecution(a->arn, "e" + std::to_string(i), "{}");
    ASSERT_TRUE(s.ok()) << s.status();
    auto d = engine_->DescribeExecution(s->execution_arn);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->alias_arn, a->arn);
    EXPECT_EQ(d->state_machine_arn, m->arn);
    by_version[d->version_arn]++;
  }
  EXPECT_EQ(by_version.size(), 2u);
  EXPECT_GT(by_version[v1], 320);
  EXPECT_LT(by_version[v1], 390);

  auto direct = engine_->StartExecution(v2, "direct", "{}");
  ASSERT_TRUE(direct.ok());
  ExecutionDescription dd = AwaitEnd(direct->execution_arn);
  EXPECT_EQ(dd.version_arn, v2);
  EXPECT_EQ(dd.alias_arn, "");
  EXPECT_EQ(dd.output.value_or(""), "2");
  auto plain = engine_->StartExecution(m->arn, "plain", "{}");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(AwaitEnd(plain->execution_arn).version_arn, "");

  auto by_v2 = engine_->ListExecutions(v2, "", 1000, "");
  ASSERT_TRUE(by_v2.ok()) << by_v2.status();
  EXPECT_EQ(static_cast<int>(by_v2->executions.size()), by_version[v2] + 1);
  for (const auto& e : by_v2->executions) EXPECT_EQ(e.version_arn, v2);
  auto by_alias = engine_->ListExecutions(a->arn, "", 1000, "");
  ASSERT_TRUE(by_alias.ok());
  EXPECT_EQ(by_alias->executions.size(), 400u);
  auto all = engine_->ListExecutions(m->arn, "", 1000, "");
  EXPECT_EQ(all->executions.size(), 402u);

  // A version an alias routes to cannot be deleted.
  absl::Status del = engine_->DeleteStateMachineVersion(v1);
  EXPECT_EQ(Name(del), "ConflictException");
  auto upd = engine_->UpdateStateMachineAlias(a->arn, std::nullopt,
                                              std::vector<AliasRoute>{{v2, 100}});
  ASSERT_TRUE(upd.ok()) << upd.status();
  EXPECT_TRUE(engine_->DeleteStateMachineVersion(v1).ok());
  EXPECT_EQ(Name(engine_->StartExecution(v1, "gone", "{}").status()),
            "StateMachineDoesNotExist");
  auto desc = engine_->DescribeStateMachineAlias(a->arn);
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->routing, (std::vector<AliasRoute>{{v2, 100}}));
  EXPECT_EQ(desc->description, "live");
  ASSERT_TRUE(engine_->DeleteStateMachineAlias(a->arn).ok());
  EXPECT_EQ(Name(engine_->DescribeStateMachineAlias(a->arn).status()), "ResourceNotFound");
  EXPECT_EQ(Name(engine_->DeleteStateMachineAlias(a->arn)), "ResourceNotFound");
}

TEST_F(VersionsEngineTest, BadRoutingAndNamesAreRefused) {
  auto m = engine_->CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(engine_->UpdateStateMachine(m->arn, std::string(kV2), std::nullopt, std::nullopt, true).ok());
  auto o = engine_->CreateStateMachine("o", kV1, kRole, "STANDARD", {}, {}, true);
  ASSERT_TRUE(o.ok());
  std::string v1 = m->arn + ":1", v2 = m->arn + ":2";
  auto refused = [&](const std::string& name, std::vector<AliasRoute> r) {
    return Name(engine_->CreateStateMachineAlias(name, "", r).status());
  };
  EXPECT_EQ(refused("a", {{v1, 50}, {v2, 40}}), "ValidationException");  // sum 90
  EXPECT_EQ(refused("a", {{v1, 50}, {v2, 50}, {v1, 0}}), "ValidationException");
  EXPECT_EQ(refused("a", {}), "ValidationException");
  EXPECT_EQ(refused("a", {{v1, 101}}), "ValidationException");
  EXPECT_EQ(refused("a", {{v1, 50}, {v1, 50}}), "ValidationException");
  EXPECT_EQ(refused("a", {{v1, 50}, {o->version_arn, 50}}), "ValidationException");
  EXPECT_EQ(refused("a", {{m->arn, 100}}), "ValidationException");
  EXPECT_EQ(refused("a", {{m->arn + ":9", 100}}), "ResourceNotFound");
  EXPECT_EQ(refused("123", {{v1, 100}}), "ValidationException");
  EXPECT_EQ(refused("bad name", {{v1, 100}}), "ValidationException");
  EXPECT_EQ(refused(std::string(81, 'a'), {{v1, 100}}), "ValidationException");
  EXPECT_TRUE(engine_->CreateStateMachineAlias("a-1.b_c", "", {{v1, 0}, {v2, 100}}).ok());
  EXPECT_EQ(Name(engine_->UpdateStateMachineAlias(m->arn + ":a-1.b_c", std::nullopt,
                                                  std::nullopt)
                     .status()),
            "ValidationException");
  EXPECT_TRUE(engine_->ListStateMachineAliases(m->arn)->size() == 1);
}

// The words AWS answered with, as recorded against AWS (alias and version
// refusals of the Step Functions API).
TEST_F(VersionsEngineTest, RefusalsUseTheWordsAwsRecorded) {
  auto m = engine_->CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(
      engine_->UpdateStateMachine(m->arn, std::string(kV2), std::nullopt, std::nullopt, true).ok());
  const std::string v1 = m->arn + ":1", v2 = m->arn + ":2";
  auto message = [&](const std::string& name, std::vector<AliasRoute> r) {
    return std::string(engine_->CreateStateMachineAlias(name, "", r).status().message());
  };
  EXPECT_EQ(message("a", {{m->arn, 100}}),
            "Routing configuration must contain state machine version ARNs. Received: [" +
                m->arn + "]");
  EXPECT_EQ(message("a", {{m->arn, 70}, {v2, 30}}),
            "Routing configuration must contain state machine version ARNs. Received: [" +
                m->arn + ", " + v2 + "]");
  EXPECT_EQ(message("a", {{v1, 50}, {v1, 50}}),
            "Routing configuration must contain distinct state machine version ARNs. "
            "Received: [" + v1 + ", " + v1 + "]");
  EXPECT_EQ(message("a", {{v1, 70}, {v2, 29}}),
            "Sum of routing configuration weights must equal 100. Received: [70, 29]");
  EXPECT_EQ(message("a", {{v1, 101}}),
            "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' "
            "failed to satisfy constraint: Member must have value less than or equal to 100");
  EXPECT_EQ(message("a", {{v1, 50}, {v2, 30}, {m->arn + ":3", 20}}),
            "1 validation error detected: Value '[RoutingConfigurationListItem("
            "stateMachineVersionArn=" + v1 + ", weight=50), RoutingConfigurationListItem("
            "stateMachineVersionArn=" + v2 + ", weight=30), RoutingConfigurationListItem("
            "stateMachineVersionArn=" + m->arn + ":3, weight=20)]' at 'routingConfiguration' "
            "failed to satisfy constraint: Member must have length less than or equal to 2");
  EXPECT_EQ(message(std::string(81, 'A'), {{v1, 100}}),
            "1 validation error detected: Value '" + std::string(81, 'A') +
                "' at 'name' failed to satisfy constraint: Member must have length less than or "
                "equal to 80");
  ASSERT_TRUE(engine_->CreateStateMachineAlias("live", "", {{v1, 100}}).ok());
  EXPECT_EQ(message("live", {{v2, 100}}),
            "Failed to create alias because an alias with the same name and a different routing "
            "configuration already exists.");
  absl::Status missing =
      engine_->UpdateStateMachineAlias(m->arn + ":nope", "d", std::nullopt).status();
  EXPECT_EQ(Name(missing), "ResourceNotFound");
  EXPECT_EQ(std::string(missing.message()), "Request references a resource that does not exist.");
  absl::Status in_use = engine_->DeleteStateMachineVersion(v1);
  EXPECT_EQ(std::string(in_use.message()),
            "Version to be deleted must not be referenced by an alias. Current list of aliases "
            "referencing this version: [live]");
  absl::Status bad_arn = engine_->PublishStateMachineVersion("invalid_arn", std::nullopt, "")
                             .status();
  EXPECT_EQ(Name(bad_arn), "InvalidArn");
  EXPECT_EQ(std::string(bad_arn.message()), "Invalid Arn: 'Invalid ARN prefix: invalid_arn'");
  absl::Status no_publish =
      engine_->CreateStateMachine("n", kV1, kRole, "STANDARD", {}, {}, false, "HelloWorld!")
          .status();
  EXPECT_EQ(Name(no_publish), "ValidationException");
  EXPECT_EQ(std::string(no_publish.message()), "Version description can only be set when publish is true");
  absl::Status nothing =
      engine_->UpdateStateMachine(m->arn, std::nullopt, std::nullopt, std::nullopt).status();
  EXPECT_EQ(Name(nothing), "MissingRequiredParameter");
  EXPECT_EQ(std::string(nothing.message()),
            "Either the definition, the role ARN, the LoggingConfiguration, or the "
            "TracingConfiguration must be specified");
}

TEST_F(VersionsEngineTest, DeletingTheMachineDeletesVersionsAndAliases) {
  auto m = engine_->CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(engine_->CreateStateMachineAlias("live", "", {{m->version_arn, 100}}).ok());
  EXPECT_EQ(Name(engine_->DeleteStateMachine(m->version_arn)), "ValidationException");
  EXPECT_EQ(Name(engine_->DeleteStateMachine(m->arn + ":live")), "ValidationException");
  ASSERT_TRUE(engine_->DescribeStateMachine(m->version_arn).ok());
  ASSERT_TRUE(engine_->DeleteStateMachine(m->arn).ok());
  EXPECT_EQ(Name(engine_->DescribeStateMachine(m->version_arn).status()),
            "StateMachineDoesNotExist");
  EXPECT_EQ(Name(engine_->DescribeStateMachineAlias(m->arn + ":live").status()),
            "ResourceNotFound");
  EXPECT_EQ(Name(engine_->StartExecution(m->arn + ":live", "x", "{}").status()),
            "StateMachineDoesNotExist");
}

TEST(VersionsQuotaTest, ConfiguredQuotasAreEnforced) {
  ManualClock clock(1700000000000);
  storage::MemoryStore store;
  EngineOptions o;
  o.clock = &clock;
  o.max_versions_per_machine = 2;
  o.max_aliases_per_machine = 1;
  auto e = Engine::Open(&store, o);
  ASSERT_TRUE(e.ok());
  Engine& engine = **e;
  auto m = engine.CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(engine.UpdateStateMachine(m->arn, std::string(kV2), std::nullopt, std::nullopt, true).ok());
  ASSERT_TRUE(engine.UpdateStateMachine(m->arn, std::string(kV1), std::nullopt).ok());
  EXPECT_EQ(Name(engine.PublishStateMachineVersion(m->arn, std::nullopt, "").status()),
            "ServiceQuotaExceededException");
  EXPECT_EQ(engine.ListStateMachineVersions(m->arn)->size(), 2u);
  ASSERT_TRUE(engine.CreateStateMachineAlias("a", "", {{m->version_arn, 100}}).ok());
  EXPECT_EQ(Name(engine.CreateStateMachineAlias("b", "", {{m->version_arn, 100}}).status()),
            "ServiceQuotaExceededException");
}

TEST_F(VersionsRestartTest, VersionsAliasesAndExecutionArnsSurviveARestart) {
  auto m = engine_->CreateStateMachine("m", kV1, kRole, "STANDARD", {}, {}, true, "d1");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(engine_->CreateStateMachineAlias("live", "x", {{m->version_arn, 100}}).ok());
  auto s = engine_->StartExecution(m->arn + ":live", "e", "{}");
  ASSERT_TRUE(s.ok());
  AwaitEnd(s->execution_arn);
  Reopen();
  auto v = engine_->DescribeStateMachine(m->version_arn);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->description, "d1");
  auto a = engine_->DescribeStateMachineAlias(m->arn + ":live");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->description, "x");
  auto d = engine_->DescribeExecution(s->execution_arn);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->version_arn, m->version_arn);
  EXPECT_EQ(d->alias_arn, m->arn + ":live");
  auto l = engine_->ListExecutions(m->arn + ":live", "", 0, "");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->executions.size(), 1u);
  EXPECT_EQ(l->executions[0].version_arn, m->version_arn);
  // Numbers are not reused after a restart either.
  ASSERT_TRUE(engine_->UpdateStateMachine(m->arn, std::string(kV2), std::nullopt, std::nullopt, true).ok());
  EXPECT_EQ(engine_->ListStateMachineVersions(m->arn)->front().arn, m->arn + ":2");
}

}  // namespace
}  // namespace stepwise::engine
