// Tags of state machines and activities through the engine (Engine::
// TagResource, UntagResource, ListTagsForResource and `tags` at creation):
// AWS's errors, idempotent creation, deletion, and a restart on RocksDB.
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "engine/tags.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kPass[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/r";
constexpr char kPrefix[] = "arn:aws:states:us-east-1:123456789012:";

using TagsEngineTest = EngineTest;
using TagsRestartTest = RocksEngineTest;

std::vector<Tag> ListOk(Engine& e, const std::string& arn) {
  auto l = e.ListTagsForResource(arn);
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? *l : std::vector<Tag>{};
}

TEST_F(TagsEngineTest, TagsAtCreationThenTagUntagAndList) {
  auto m = engine_->CreateStateMachine("m", kPass, kRole, "STANDARD", {{"team", "a"}, {"env", ""}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(ListOk(*engine_, m->arn), (std::vector<Tag>{{"team", "a"}, {"env", ""}}));
  ASSERT_TRUE(engine_->TagResource(m->arn, {{"team", "b"}, {"cost", "1"}}).ok());
  EXPECT_EQ(ListOk(*engine_, m->arn),
            (std::vector<Tag>{{"team", "b"}, {"env", ""}, {"cost", "1"}}));
  ASSERT_TRUE(engine_->UntagResource(m->arn, {"env", "absent"}).ok());
  EXPECT_EQ(ListOk(*engine_, m->arn), (std::vector<Tag>{{"team", "b"}, {"cost", "1"}}));

  auto a = engine_->CreateActivity("jobs", {{"k", "v"}});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(engine_->TagResource(a->arn, {{"k2", "v2"}}).ok());
  EXPECT_EQ(ListOk(*engine_, a->arn), (std::vector<Tag>{{"k", "v"}, {"k2", "v2"}}));
  ASSERT_TRUE(engine_->UntagResource(a->arn, {"k"}).ok());
  EXPECT_EQ(ListOk(*engine_, a->arn), (std::vector<Tag>{{"k2", "v2"}}));
}

TEST_F(TagsEngineTest, IdempotentCreationKeepsTheTagsItHas) {
  auto first = engine_->CreateStateMachine("m", kPass, kRole, "STANDARD", {{"a", "1"}});
  ASSERT_TRUE(first.ok());
  // AWS: a repeat differing only in tags is idempotent, tags not updated.
  auto again = engine_->CreateStateMachine("m", kPass, kRole, "STANDARD", {{"b", "2"}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->arn, first->arn);
  EXPECT_EQ(ListOk(*engine_, first->arn), (std::vector<Tag>{{"a", "1"}}));
  auto act = engine_->CreateActivity("jobs", {{"a", "1"}});
  ASSERT_TRUE(act.ok());
  ASSERT_TRUE(engine_->CreateActivity("jobs", {{"b", "2"}}).ok());
  EXPECT_EQ(ListOk(*engine_, act->arn), (std::vector<Tag>{{"a", "1"}}));
}

TEST_F(TagsEngineTest, FiftyOneTagsAreTooManyAndNothingIsWritten) {
  std::string arn = Machine("m", kPass);
  std::vector<Tag> fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({"k" + std::to_string(i), "v"});
  ASSERT_TRUE(engine_->TagResource(arn, fifty).ok());
  // Replacing a value does not add a tag.
  ASSERT_TRUE(engine_->TagResource(arn, {{"k0", "new"}}).ok());
  absl::Status s = engine_->TagResource(arn, {{"k1", "x"}, {"one-more", "v"}});
  EXPECT_EQ(ServiceErrorName(s), "TooManyTags");
  EXPECT_EQ(TaggedResourceName(s), arn);
  std::vector<Tag> now = ListOk(*engine_, arn);
  ASSERT_EQ(now.size(), 50u);
  EXPECT_EQ(now[0].value, "new");
  EXPECT_EQ(now[1].value, "v");  // the refused request changed nothing

  fifty.push_back({"k50", "v"});
  EXPECT_EQ(ServiceErrorName(engine_->CreateStateMachine("m2", kPass, kRole, "STANDARD", fifty)
                                 .status()),
            "TooManyTags");
  EXPECT_EQ(ServiceErrorName(engine_->CreateActivity("a2", fifty).status()), "TooManyTags");
}

TEST_F(TagsEngineTest, BadTagsAreRefusedAtCreationAndByTagResource) {
  EXPECT_EQ(ServiceErrorName(
                engine_->CreateStateMachine("m", kPass, kRole, "STANDARD", {{"aws:x", "v"}})
                    .status()),
            "ValidationException");
  EXPECT_EQ(ServiceErrorName(engine_->CreateActivity("a", {{"bad!", "v"}}).status()),
            "ValidationException");
  std::string arn = Machine("m", kPass);
  EXPECT_EQ(ServiceErrorName(engine_->TagResource(arn, {{"", "v"}})), "ValidationException");
  EXPECT_EQ(ServiceErrorName(engine_->UntagResource(arn, {""})), "ValidationException");
}

TEST_F(TagsEngineTest, UnknownResourcesAndWrongKindsOfArn) {
  std::string arn = Machine("m", kPass);
  std::string prefix = kPrefix;
  for (const std::string& missing :
       {prefix + "stateMachine:nope", prefix + "activity:nope", arn + ":1", arn + ":prod"}) {
    auto l = engine_->ListTagsForResource(missing);
    EXPECT_EQ(ServiceErrorName(l.status()), "ResourceNotFound") << missing;
    EXPECT_EQ(std::string(l.status().message()), "Resource not found: '" + missing + "'");
    EXPECT_EQ(ServiceErrorName(engine_->TagResource(missing, {{"k", "v"}})), "ResourceNotFound");
    EXPECT_EQ(ServiceErrorName(engine_->UntagResource(missing, {"k"})), "ResourceNotFound");
  }
  auto exec = engine_->StartExecution(arn, "e1", "{}");
  ASSERT_TRUE(exec.ok());
  auto on_exec = engine_->ListTagsForResource(exec->execution_arn);
  EXPECT_EQ(ServiceErrorName(on_exec.status()), "InvalidArn");
  EXPECT_EQ(std::string(on_exec.status().message()),
            "Invalid Arn: 'Resource type not valid in this context: execution'");
  for (const std::string& bad :
       {std::string("not-an-arn"),
        std::string("arn:aws:states:eu-west-1:123456789012:stateMachine:m"),
        prefix + "stateMachine:", prefix + "stateMachine"}) {
    EXPECT_EQ(ServiceErrorName(engine_->ListTagsForResource(bad).status()), "InvalidArn") << bad;
  }
}

TEST_F(TagsEngineTest, DeletingAResourceDeletesItsTags) {
  std::string arn = Machine("m", kPass);
  ASSERT_TRUE(engine_->TagResource(arn, {{"k", "v"}}).ok());
  ASSERT_TRUE(engine_->DeleteStateMachine(arn).ok());
  EXPECT_EQ(ServiceErrorName(engine_->ListTagsForResource(arn).status()), "ResourceNotFound");
  auto a = engine_->CreateActivity("jobs", {{"k", "v"}});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(engine_->DeleteActivity(a->arn).ok());
  EXPECT_EQ(ServiceErrorName(engine_->ListTagsForResource(a->arn).status()), "ResourceNotFound");
  auto again = engine_->CreateActivity("jobs");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(ListOk(*engine_, again->arn).empty());
}

TEST_F(TagsRestartTest, TagsSurviveARestart) {
  auto m = engine_->CreateStateMachine("m", kPass, kRole, "STANDARD", {{"a", "1"}});
  auto act = engine_->CreateActivity("jobs", {{"x", "y"}});
  ASSERT_TRUE(m.ok() && act.ok());
  ASSERT_TRUE(engine_->TagResource(m->arn, {{"b", "2"}}).ok());
  Reopen();
  EXPECT_EQ(ListOk(*engine_, m->arn), (std::vector<Tag>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ListOk(*engine_, act->arn), (std::vector<Tag>{{"x", "y"}}));
}

}  // namespace
}  // namespace stepwise::engine
