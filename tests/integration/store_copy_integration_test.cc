// Integration test of `stepwise admin copy-store`: a RocksDB data directory
// filled by the real stepwised (state machines, an activity, a published
// version and an alias, tags; executions SUCCEEDED, FAILED, Map/Parallel,
// and RUNNING on a Wait timer and on an activity task) is copied by the real
// CLI into PostgreSQL (the test's own server, storage/testing/
// postgres_fixture.h) and verified; stepwised on the PostgreSQL copy serves
// the same histories and runs the RUNNING executions to the end (the timer
// fires, a worker completes the task); the result is copied back into a
// fresh data directory, verified, and served again with the same
// histories. Also the refusals: a source locked by a running stepwised, a
// non-empty destination, an unreachable PostgreSQL named without its
// password, and --verify-only naming a corrupted destination row.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/testing/postgres_fixture.h"
#include "tests/integration/postgres_database_test.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using testproc::Daemon;
using testproc::MakeTempDir;

constexpr char kRole[] = "arn:aws:iam::123456789012:role/r";
constexpr char kActivityArn[] = "arn:aws:states:us-east-1:123456789012:activity:copyjobs";

constexpr char kPassDef[] =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"Next":"Q"},)"
    R"("Q":{"Type":"Pass","End":true}}})";
constexpr char kFailDef[] =
    R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Broken","Cause":"on purpose"}}})";
constexpr char kMapParallelDef[] =
    R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,"Branches":[)"
    R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,)"
    R"("ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}},)"
    R"({"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}]}}})";
// Due well after the copy, so stepwised on PostgreSQL is the one firing it.
constexpr char kWaitDef[] =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":8,"Next":"D"},)"
    R"("D":{"Type":"Pass","Result":"woke","End":true}}})";
constexpr char kActivityDef[] =
    R"({"StartAt":"Work","States":{"Work":{"Type":"Task",)"
    R"("Resource":"arn:aws:states:us-east-1:123456789012:activity:copyjobs","End":true}}})";

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::milliseconds timeout = 30s) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

std::string ShellQuote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the real `stepwise` with `args`.
CliRun RunCli(const std::vector<std::string>& args) {
  std::string cmd = ShellQuote(STEPWISE_CLI_PATH);
  for (const std::string& a : args) absl::StrAppend(&cmd, " ", ShellQuote(a));
  absl::StrAppend(&cmd, " 2>&1");
  CliRun run;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) run.output.append(buf, n);
  int st = pclose(p);
  run.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return run;
}

std::string CreateMachine(v1::States::Stub* stub, const std::string& name,
                          const std::string& def) {
  v1::CreateStateMachineRequest req;
  req.set_name(name);
  req.set_definition(def);
  req.set_role_arn(kRole);
  v1::CreateStateMachineResponse resp;
  grpc::Status s = stub->CreateStateMachine(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.state_machine_arn();
}

std::string Start(v1::States::Stub* stub, const std::string& arn, const std::string& name,
                  const std::string& input = "{}") {
  v1::StartExecutionRequest req;
  req.set_state_machine_arn(arn);
  req.set_name(name);
  req.set_input(input);
  v1::StartExecutionResponse resp;
  grpc::Status s = stub->StartExecution(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.execution_arn();
}

std::string Describe(v1::States::Stub* stub, const std::string& arn) {
  v1::DescribeExecutionRequest req;
  req.set_execution_arn(arn);
  v1::DescribeExecutionResponse resp;
  grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
  if (!s.ok()) return "error: " + s.error_message();
  return resp.status();
}

// Waits (up to `timeout`) until the execution is no longer RUNNING.
std::string FinalStatus(v1::States::Stub* stub, const std::string& arn,
                        std::chrono::seconds timeout = 30s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = Describe(stub, arn);
    if (status != "RUNNING") break;
    std::this_thread::sleep_for(20ms);
  }
  return status;
}

// The whole history, every field of every event, as text.
std::string History(v1::States::Stub* stub, const std::string& arn) {
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  req.set_max_results(1000);
  v1::GetExecutionHistoryResponse resp;
  grpc::Status s = stub->GetExecutionHistory(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.next_token().empty());
  std::string out;
  for (const v1::HistoryEvent& e : resp.events()) absl::StrAppend(&out, e.DebugString(), "\n");
  return out;
}

std::map<std::string, std::string> Tags(v1::States::Stub* stub, const std::string& arn) {
  v1::ListTagsForResourceRequest req;
  req.set_resource_arn(arn);
  v1::ListTagsForResourceResponse resp;
  grpc::Status s = stub->ListTagsForResource(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::map<std::string, std::string> tags;
  for (const v1::Tag& t : resp.tags()) tags[t.key()] = t.value();
  return tags;
}

class StoreCopyIntegrationTest : public pgtest::PostgresDatabaseTest {};

TEST_F(StoreCopyIntegrationTest, RocksToPostgresRunsOnAndBack) {
  const std::string rocks_dir = MakeTempDir("copy_src") + "/data";
  std::map<std::string, std::string> finished;  // execution ARN -> history
  std::string waiting, via_alias, working, machine_arn, alias_arn;
  {
    Daemon d(rocks_dir);
    ASSERT_TRUE(d.Start()) << d.log();
    v1::States::Stub* stub = d.stub();
    v1::CreateActivityRequest areq;
    areq.set_name("copyjobs");
    v1::CreateActivityResponse aresp;
    ASSERT_TRUE(stub->CreateActivity(Ctx().get(), areq, &aresp).ok());

    const std::string pass = CreateMachine(stub, "pass", kPassDef);
    const std::string fail = CreateMachine(stub, "fail", kFailDef);
    const std::string mp = CreateMachine(stub, "mapparallel", kMapParallelDef);
    machine_arn = CreateMachine(stub, "wait", kWaitDef);
    const std::string work = CreateMachine(stub, "work", kActivityDef);

    v1::PublishStateMachineVersionRequest preq;
    preq.set_state_machine_arn(machine_arn);
    preq.set_description("first");
    v1::PublishStateMachineVersionResponse presp;
    grpc::Status s = stub->PublishStateMachineVersion(Ctx().get(), preq, &presp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::CreateStateMachineAliasRequest alreq;
    alreq.set_name("live");
    v1::RoutingConfigurationListItem* route = alreq.add_routing_configuration();
    route->set_state_machine_version_arn(presp.state_machine_version_arn());
    route->set_weight(100);
    v1::CreateStateMachineAliasResponse alresp;
    s = stub->CreateStateMachineAlias(Ctx().get(), alreq, &alresp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    alias_arn = alresp.state_machine_alias_arn();

    v1::TagResourceRequest treq;
    treq.set_resource_arn(pass);
    v1::Tag* tag = treq.add_tags();
    tag->set_key("team");
    tag->set_value("blue");
    v1::TagResourceResponse tresp;
    ASSERT_TRUE(stub->TagResource(Ctx().get(), treq, &tresp).ok());

    std::vector<std::string> done = {
        Start(stub, pass, "ok"), Start(stub, fail, "broken"),
        Start(stub, mp, "fanout", R"({"items":[1,2,3]})")};
    EXPECT_EQ(FinalStatus(stub, done[0]), "SUCCEEDED");
    EXPECT_EQ(FinalStatus(stub, done[1]), "FAILED");
    EXPECT_EQ(FinalStatus(stub, done[2]), "SUCCEEDED");
    for (const std::string& arn : done) finished[arn] = History(stub, arn);
    waiting = Start(stub, machine_arn, "sleeper");
    via_alias = Start(stub, alias_arn, "aliased");
    working = Start(stub, work, "worker", R"({"n":1})");
    std::this_thread::sleep_for(300ms);  // the activity task is scheduled
    for (const std::string& arn : {waiting, via_alias, working}) {
      EXPECT_EQ(Describe(stub, arn), "RUNNING");
    }

    // A data directory served by a running stepwised is refused.
    CliRun locked = RunCli({"admin", "copy-store", "--from", rocks_dir, "--to", uri_});
    EXPECT_EQ(locked.exit_code, 1) << locked.output;
    EXPECT_NE(locked.output.find("locked by a running stepwised"), std::string::npos)
        << locked.output;
    ASSERT_EQ(d.Stop(), 0) << d.log();
  }

  // RocksDB -> PostgreSQL, verified.
  CliRun copy = RunCli(
      {"admin", "copy-store", "--from", rocks_dir, "--to", uri_, "--verify", "--batch-rows", "4"});
  ASSERT_EQ(copy.exit_code, 0) << copy.output;
  EXPECT_NE(copy.output.find("copy-store: history: 4 rows copied so far"), std::string::npos)
      << copy.output;
  EXPECT_NE(copy.output.find("verify: "), std::string::npos) << copy.output;
  EXPECT_NE(copy.output.find("rows compared, no difference"), std::string::npos) << copy.output;

  // Copying again refuses the now non-empty destination.
  CliRun again = RunCli({"admin", "copy-store", "--from", rocks_dir, "--to", uri_});
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_NE(again.output.find("destination is not empty"), std::string::npos) << again.output;

  std::map<std::string, std::string> after_pg;
  {
    Daemon d(uri_);
    ASSERT_TRUE(d.Start()) << d.log();
    v1::States::Stub* stub = d.stub();
    for (const auto& [arn, history] : finished) EXPECT_EQ(History(stub, arn), history) << arn;
    EXPECT_EQ(Tags(stub, CreateMachine(stub, "pass", kPassDef)),
              (std::map<std::string, std::string>{{"team", "blue"}}));
    v1::DescribeStateMachineAliasRequest dreq;
    dreq.set_state_machine_alias_arn(alias_arn);
    v1::DescribeStateMachineAliasResponse dresp;
    grpc::Status s = stub->DescribeStateMachineAlias(Ctx().get(), dreq, &dresp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(dresp.name(), "live");

    // The activity task scheduled on RocksDB is handed out here.
    v1::GetActivityTaskRequest treq;
    treq.set_activity_arn(kActivityArn);
    treq.set_worker_name("copy-worker");
    v1::GetActivityTaskResponse task;
    ASSERT_TRUE(stub->GetActivityTask(Ctx(20s).get(), treq, &task).ok());
    ASSERT_FALSE(task.task_token().empty()) << d.log();
    EXPECT_EQ(task.input(), R"({"n":1})");
    v1::SendTaskSuccessRequest sreq;
    sreq.set_task_token(task.task_token());
    sreq.set_output(R"({"n":2})");
    v1::SendTaskSuccessResponse sresp;
    ASSERT_TRUE(stub->SendTaskSuccess(Ctx().get(), sreq, &sresp).ok());
    EXPECT_EQ(FinalStatus(stub, working), "SUCCEEDED");
    // The Wait timers armed on RocksDB fire here.
    EXPECT_EQ(FinalStatus(stub, waiting, 40s), "SUCCEEDED") << d.log();
    EXPECT_EQ(FinalStatus(stub, via_alias, 40s), "SUCCEEDED") << d.log();
    EXPECT_NE(History(stub, waiting).find("woke"), std::string::npos);
    for (const auto& [arn, history] : finished) after_pg[arn] = history;
    for (const std::string& arn : {waiting, via_alias, working}) after_pg[arn] = History(stub, arn);
    ASSERT_EQ(d.Stop(), 0) << d.log();
  }

  // PostgreSQL -> a fresh data directory, verified.
  const std::string back_dir = MakeTempDir("copy_back") + "/data";
  CliRun back = RunCli({"admin", "copy-store", "--from", uri_, "--to", back_dir, "--verify"});
  ASSERT_EQ(back.exit_code, 0) << back.output;
  EXPECT_NE(back.output.find("no difference"), std::string::npos) << back.output;

  // A corrupted PostgreSQL row: --verify-only names its table and key.
  absl::StatusOr<std::string> corrupt = pg_->Psql(
      dbname_, "UPDATE history SET value = value || '\\x00'::bytea "
               "WHERE key = (SELECT key FROM history ORDER BY key DESC LIMIT 1)");
  ASSERT_TRUE(corrupt.ok()) << corrupt.status();
  CliRun bad = RunCli({"admin", "copy-store", "--from", back_dir, "--to", uri_, "--verify-only"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("verify: 1 difference(s)"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("the first: history key "), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("values differ"), std::string::npos) << bad.output;

  // The copy back serves every history as PostgreSQL did.
  Daemon d(back_dir);
  ASSERT_TRUE(d.Start()) << d.log();
  for (const auto& [arn, history] : after_pg) {
    EXPECT_EQ(History(d.stub(), arn), history) << arn;
    EXPECT_NE(Describe(d.stub(), arn), "RUNNING") << arn;
  }
  EXPECT_EQ(d.Stop(), 0) << d.log();
}

TEST_F(StoreCopyIntegrationTest, RefusesUnusableLocationsWithoutPrintingPasswords) {
  CliRun missing = RunCli({"admin", "copy-store", "--from", MakeTempDir("copy_empty") + "/none",
                           "--to", uri_});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("--from"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("is not a Stepwise data directory"), std::string::npos)
      << missing.output;

  const std::string dir = MakeTempDir("copy_pw") + "/data";
  {
    Daemon d(dir);
    ASSERT_TRUE(d.Start()) << d.log();
    ASSERT_EQ(d.Stop(), 0) << d.log();
  }
  CliRun unreachable = RunCli({"admin", "copy-store", "--from", dir, "--to",
                               "postgresql://sw:hunter22@127.0.0.1:1/stepwise"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find("--to"), std::string::npos) << unreachable.output;
  EXPECT_NE(unreachable.output.find("127.0.0.1"), std::string::npos) << unreachable.output;
  EXPECT_EQ(unreachable.output.find("hunter22"), std::string::npos) << unreachable.output;

  CliRun usage = RunCli({"admin", "copy-store", "--from", dir});
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_NE(usage.output.find("needs --to"), std::string::npos) << usage.output;
}

}  // namespace
}  // namespace stepwise
