// Integration test of stepwised on a PostgreSQL store: the real binary
// started with `--store postgresql://...` on a fresh database of the test's
// own PostgreSQL (storage/testing/postgres_fixture.h, unix socket only),
// driven over gRPC on loopback; restarted on the same database, its
// executions, histories and open activity tasks are all there. Also the
// flag's refusals (--store with --data-dir; an unreachable server named
// without its password) and the Backup RPC's answer.
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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
using testproc::MakeTempDir;
using testproc::ReadFile;
using testproc::StepwisedProcess;

constexpr char kPassDef[] =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"Next":"Q"},)"
    R"("Q":{"Type":"Pass","End":true}}})";
constexpr char kActivityArn[] = "arn:aws:states:us-east-1:123456789012:activity:pgjobs";
constexpr char kActivityDef[] =
    R"({"StartAt":"Work","States":{"Work":{"Type":"Task",)"
    R"("Resource":"arn:aws:states:us-east-1:123456789012:activity:pgjobs","End":true}}})";

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::milliseconds timeout = 30s) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

// stepwised on `--store uri`, ephemeral loopback ports.
class PgDaemon {
 public:
  explicit PgDaemon(std::string uri)
      : uri_(std::move(uri)),
        work_dir_(MakeTempDir("stepwised_pg")),
        process_(STEPWISED_PATH, work_dir_ + "/stepwised.log") {}

  bool Start() {
    const std::string ports = work_dir_ + "/ports";
    unlink(ports.c_str());
    process_.Spawn({"--store", uri_, "--grpc-listen", "127.0.0.1:0",
                    "--http-listen", "127.0.0.1:0", "--ports-file", ports});
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = ReadFile(ports);
      int grpc_port = 0, http_port = 0;
      if (text.find("http=") != std::string::npos &&
          std::sscanf(text.c_str(), "grpc=%d\nhttp=%d", &grpc_port, &http_port) == 2) {
        stub_ = v1::States::NewStub(grpc::CreateChannel(
            "127.0.0.1:" + std::to_string(grpc_port), grpc::InsecureChannelCredentials()));
        return true;
      }
      if (!process_.Alive()) return false;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  int Stop() { return process_.Stop(SIGTERM); }
  v1::States::Stub* stub() { return stub_.get(); }
  std::string log() const { return process_.log(); }

 private:
  const std::string uri_;
  const std::string work_dir_;
  StepwisedProcess process_;
  std::unique_ptr<v1::States::Stub> stub_;
};

class PostgresStoreIntegrationTest : public pgtest::PostgresDatabaseTest {};

std::string CreateMachine(v1::States::Stub* stub, const std::string& name,
                          const std::string& def) {
  v1::CreateStateMachineRequest req;
  req.set_name(name);
  req.set_definition(def);
  req.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse resp;
  grpc::Status s = stub->CreateStateMachine(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.state_machine_arn();
}

std::string Start(v1::States::Stub* stub, const std::string& machine, const std::string& name) {
  v1::StartExecutionRequest req;
  req.set_state_machine_arn(machine);
  req.set_name(name);
  req.set_input(R"({"n":1})");
  v1::StartExecutionResponse resp;
  grpc::Status s = stub->StartExecution(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.execution_arn();
}

std::string StatusOf(v1::States::Stub* stub, const std::string& arn) {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  v1::DescribeExecutionResponse resp;
  while (std::chrono::steady_clock::now() < deadline) {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn(arn);
    resp.Clear();
    grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
    if (!s.ok()) return "error: " + s.error_message();
    if (resp.status() != "RUNNING") break;
    std::this_thread::sleep_for(10ms);
  }
  return resp.status();
}

std::vector<std::string> HistoryTypes(v1::States::Stub* stub, const std::string& arn) {
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  req.set_max_results(1000);
  v1::GetExecutionHistoryResponse resp;
  grpc::Status s = stub->GetExecutionHistory(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> types;
  for (const v1::HistoryEvent& e : resp.events()) {
    EXPECT_EQ(e.id(), static_cast<int64_t>(types.size() + 1));
    types.push_back(e.type());
  }
  return types;
}

TEST_F(PostgresStoreIntegrationTest, ExecutionsAndHistorySurviveARestart) {
  std::string done, waiting;
  std::vector<std::string> done_history;
  {
    PgDaemon d(uri_);
    ASSERT_TRUE(d.Start()) << d.log();
    v1::CreateActivityRequest areq;
    areq.set_name("pgjobs");
    v1::CreateActivityResponse aresp;
    ASSERT_TRUE(d.stub()->CreateActivity(Ctx().get(), areq, &aresp).ok());
    done = Start(d.stub(), CreateMachine(d.stub(), "pass", kPassDef), "done");
    waiting = Start(d.stub(), CreateMachine(d.stub(), "work", kActivityDef), "waiting");
    ASSERT_EQ(StatusOf(d.stub(), done), "SUCCEEDED");
    done_history = HistoryTypes(d.stub(), done);
    ASSERT_EQ(done_history.front(), "ExecutionStarted");
    ASSERT_EQ(done_history.back(), "ExecutionSucceeded");

    // Backup copies RocksDB directories only.
    v1::BackupRequest breq;
    breq.set_dir(MakeTempDir("pg_backup") + "/b");
    v1::BackupResponse bresp;
    grpc::Status b = d.stub()->Backup(Ctx().get(), breq, &bresp);
    EXPECT_EQ(b.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << b.error_message();
    EXPECT_NE(b.error_message().find("PostgreSQL"), std::string::npos) << b.error_message();
    ASSERT_EQ(d.Stop(), 0) << d.log();
  }
  // The rows are in PostgreSQL.
  absl::StatusOr<std::string> rows = pg_->Psql(dbname_, "SELECT count(*) FROM executions");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "2\n");

  PgDaemon d(uri_);
  ASSERT_TRUE(d.Start()) << d.log();
  EXPECT_EQ(StatusOf(d.stub(), done), "SUCCEEDED");
  EXPECT_EQ(HistoryTypes(d.stub(), done), done_history);
  // The activity task scheduled before the restart is handed out now.
  v1::GetActivityTaskRequest preq;
  preq.set_activity_arn(kActivityArn);
  preq.set_worker_name("pg-worker");
  v1::GetActivityTaskResponse task;
  ASSERT_TRUE(d.stub()->GetActivityTask(Ctx(20s).get(), preq, &task).ok());
  ASSERT_FALSE(task.task_token().empty()) << d.log();
  EXPECT_EQ(task.input(), R"({"n":1})");
  v1::SendTaskSuccessRequest sreq;
  sreq.set_task_token(task.task_token());
  sreq.set_output(R"({"n":2})");
  v1::SendTaskSuccessResponse sresp;
  ASSERT_TRUE(d.stub()->SendTaskSuccess(Ctx().get(), sreq, &sresp).ok());
  EXPECT_EQ(StatusOf(d.stub(), waiting), "SUCCEEDED");
  EXPECT_EQ(HistoryTypes(d.stub(), waiting).back(), "ExecutionSucceeded");
  EXPECT_EQ(d.Stop(), 0) << d.log();
}

// Runs stepwised with `args` expecting it to refuse; returns its output.
std::string RefusalOf(const std::vector<std::string>& args) {
  StepwisedProcess p(STEPWISED_PATH, MakeTempDir("stepwised_pg_refuse") + "/log");
  p.Spawn(args);
  EXPECT_NE(p.WaitExit(30s), 0);
  return p.log();
}

TEST_F(PostgresStoreIntegrationTest, RefusesDataDirWithStoreAndNamesAnUnreachableHost) {
  std::string log = RefusalOf({"--store", uri_, "--data-dir", MakeTempDir("pg_dd")});
  EXPECT_NE(log.find("--store and --data-dir"), std::string::npos) << log;

  log = RefusalOf({"--store", "postgresql://sw:hunter22@127.0.0.1:1/stepwise", "--grpc-listen",
                   "127.0.0.1:0", "--http-listen", "off"});
  EXPECT_NE(log.find("127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("PostgreSQL"), std::string::npos) << log;
  EXPECT_EQ(log.find("hunter22"), std::string::npos) << log;
}

}  // namespace
}  // namespace stepwise
