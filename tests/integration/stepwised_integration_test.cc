// Integration tests of the real stepwised binary: started as a child
// process on ephemeral ports (--grpc-listen 127.0.0.1:0 with --ports-file)
// and a temporary data directory, driven by a raw stepwise.v1.States stub
// and plain HTTP.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using testproc::Daemon;
using testproc::MakeTempDir;
using testproc::ReadFile;

constexpr char kActivityArn[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";
constexpr char kPassDef[] =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}})";
constexpr char kActivityDef[] =
    R"({"StartAt":"Work","States":{"Work":{"Type":"Task",)"
    R"("Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs","End":true}}})";
constexpr char kWaitDef[] =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";

std::string ErrorName(const grpc::Status& s) {
  v1::ErrorInfo info;
  if (!info.ParseFromString(s.error_details())) return "<no ErrorInfo>";
  return info.error();
}

// Runs stepwised with `args` expecting it to refuse; returns (exit code, output).
std::pair<int, std::string> RunToExit(const std::vector<std::string>& args) {
  Daemon d("");
  d.Spawn(args);
  int code = d.WaitExit(30s);
  return {code, d.log()};
}

// Plain HTTP/1.1 GET; returns (status, body).
std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return {-1, ""};
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return {-1, ""};
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  int status = 0;
  std::sscanf(resp.c_str(), "HTTP/1.1 %d", &status);
  size_t body = resp.find("\r\n\r\n");
  return {status, body == std::string::npos ? "" : resp.substr(body + 4)};
}

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::milliseconds timeout = 30s) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

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

std::string StartExecution(v1::States::Stub* stub, const std::string& machine,
                           const std::string& name, const std::string& input) {
  v1::StartExecutionRequest req;
  req.set_state_machine_arn(machine);
  req.set_name(name);
  req.set_input(input);
  v1::StartExecutionResponse resp;
  grpc::Status s = stub->StartExecution(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.execution_arn();
}

v1::DescribeExecutionResponse WaitClosed(v1::States::Stub* stub, const std::string& arn) {
  v1::DescribeExecutionResponse resp;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn(arn);
    resp.Clear();
    grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok() || resp.status() != "RUNNING") return resp;
    std::this_thread::sleep_for(10ms);
  }
  return resp;
}

v1::GetActivityTaskResponse Poll(v1::States::Stub* stub, const std::string& activity) {
  v1::GetActivityTaskRequest req;
  req.set_activity_arn(activity);
  req.set_worker_name("it-worker");
  v1::GetActivityTaskResponse resp;
  grpc::Status s = stub->GetActivityTask(Ctx(20s).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

void CreateActivity(v1::States::Stub* stub, const std::string& name) {
  v1::CreateActivityRequest req;
  req.set_name(name);
  v1::CreateActivityResponse resp;
  grpc::Status s = stub->CreateActivity(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

std::vector<v1::HistoryEvent> History(v1::States::Stub* stub, const std::string& arn) {
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  req.set_max_results(1000);
  v1::GetExecutionHistoryResponse resp;
  grpc::Status s = stub->GetExecutionHistory(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.events().begin(), resp.events().end()};
}

class StepwisedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = MakeTempDir();
    daemon_ = std::make_unique<Daemon>(data_dir_);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_EQ(daemon_->Stop(), 0) << daemon_->log();
    }
  }
  v1::States::Stub* stub() { return daemon_->stub(); }

  std::string data_dir_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(StepwisedTest, StartsLogsWhereItListensAndServesHttp) {
  std::string log = daemon_->log();
  EXPECT_NE(log.find("listening"), std::string::npos) << log;
  std::string normal = std::filesystem::path(data_dir_).lexically_normal().string();
  EXPECT_NE(log.find(normal), std::string::npos) << log;
  auto [hs, hb] = HttpGet(daemon_->http_port(), "/healthz");
  EXPECT_EQ(hs, 200);
  EXPECT_EQ(hb, "ok\n");
  auto [rs, rb] = HttpGet(daemon_->http_port(), "/readyz");
  EXPECT_EQ(rs, 200);
  CreateMachine(stub(), "metrics", kPassDef);
  auto [ms, mb] = HttpGet(daemon_->http_port(), "/metrics");
  EXPECT_EQ(ms, 200);
  for (const char* m : {"stepwise_commits_total", "stepwise_commit_batches_total",
                        "stepwise_history_events_total", "process_resident_memory_bytes",
                        "stepwise_uptime_seconds"}) {
    EXPECT_NE(mb.find(m), std::string::npos) << m << "\n" << mb;
  }
  EXPECT_EQ(HttpGet(daemon_->http_port(), "/nope").first, 404);
}

TEST_F(StepwisedTest, StateMachineRpcsAndErrors) {
  std::string arn = CreateMachine(stub(), "machine-a", kPassDef);
  EXPECT_EQ(arn, "arn:aws:states:us-east-1:123456789012:stateMachine:machine-a");

  {  // Same name, other definition.
    v1::CreateStateMachineRequest req;
    req.set_name("machine-a");
    req.set_definition(kWaitDef);
    v1::CreateStateMachineResponse resp;
    grpc::Status s = stub()->CreateStateMachine(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(ErrorName(s), "StateMachineAlreadyExists");
  }
  {  // Invalid definition.
    v1::CreateStateMachineRequest req;
    req.set_name("bad");
    req.set_definition(R"({"StartAt":"Nope","States":{}})");
    v1::CreateStateMachineResponse resp;
    grpc::Status s = stub()->CreateStateMachine(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ErrorName(s), "InvalidDefinition");
  }
  {
    v1::DescribeStateMachineRequest req;
    req.set_state_machine_arn(arn);
    v1::DescribeStateMachineResponse resp;
    ASSERT_TRUE(stub()->DescribeStateMachine(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.name(), "machine-a");
    EXPECT_EQ(resp.definition(), kPassDef);
    EXPECT_EQ(resp.type(), "STANDARD");
    EXPECT_EQ(resp.status(), "ACTIVE");
    EXPECT_GT(resp.creation_date().seconds(), 1600000000);
    req.set_state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:missing");
    grpc::Status s = stub()->DescribeStateMachine(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ErrorName(s), "StateMachineDoesNotExist");
    req.set_state_machine_arn("not an arn");
    s = stub()->DescribeStateMachine(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "InvalidArn");
  }
  {
    v1::UpdateStateMachineRequest req;
    req.set_state_machine_arn(arn);
    req.set_definition(kWaitDef);
    v1::UpdateStateMachineResponse resp;
    grpc::Status s = stub()->UpdateStateMachine(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.update_date().seconds(), 0);
    req.set_definition("{");
    s = stub()->UpdateStateMachine(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "InvalidDefinition");
  }
  {
    CreateMachine(stub(), "machine-b", kPassDef);
    v1::ListStateMachinesRequest req;
    req.set_max_results(1);
    v1::ListStateMachinesResponse resp;
    ASSERT_TRUE(stub()->ListStateMachines(Ctx().get(), req, &resp).ok());
    ASSERT_EQ(resp.state_machines_size(), 1);
    ASSERT_FALSE(resp.next_token().empty());
    req.set_next_token(resp.next_token());
    v1::ListStateMachinesResponse page2;
    ASSERT_TRUE(stub()->ListStateMachines(Ctx().get(), req, &page2).ok());
    ASSERT_EQ(page2.state_machines_size(), 1);
    EXPECT_NE(page2.state_machines(0).name(), resp.state_machines(0).name());
    req.set_next_token("garbage");
    grpc::Status s = stub()->ListStateMachines(Ctx().get(), req, &page2);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    v1::ValidateStateMachineDefinitionRequest req;
    req.set_definition(kPassDef);
    v1::ValidateStateMachineDefinitionResponse resp;
    ASSERT_TRUE(stub()->ValidateStateMachineDefinition(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.result(), "OK");
    req.set_definition(R"({"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Y"}}})");
    resp.Clear();
    ASSERT_TRUE(stub()->ValidateStateMachineDefinition(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.result(), "FAIL");
    ASSERT_GT(resp.diagnostics_size(), 0);
    EXPECT_EQ(resp.diagnostics(0).severity(), "ERROR");
  }
  {
    v1::DeleteStateMachineRequest req;
    req.set_state_machine_arn(arn);
    v1::DeleteStateMachineResponse resp;
    ASSERT_TRUE(stub()->DeleteStateMachine(Ctx().get(), req, &resp).ok());
    v1::DescribeStateMachineRequest d;
    d.set_state_machine_arn(arn);
    v1::DescribeStateMachineResponse dr;
    EXPECT_EQ(ErrorName(stub()->DescribeStateMachine(Ctx().get(), d, &dr)),
              "StateMachineDoesNotExist");
  }
}

// ValidateStateMachineDefinition warns about a Task no dispatcher of the
// server runs (it would fail with States.TaskFailed), and only about those.
TEST_F(StepwisedTest, VersionsAndAliasesOverGrpc) {
  v1::CreateStateMachineRequest create;
  create.set_name("versioned");
  create.set_definition(kPassDef);
  create.set_publish(true);
  create.set_version_description("first");
  v1::CreateStateMachineResponse made;
  ASSERT_TRUE(stub()->CreateStateMachine(Ctx().get(), create, &made).ok());
  const std::string m = made.state_machine_arn();
  EXPECT_EQ(made.state_machine_version_arn(), m + ":1");
  v1::UpdateStateMachineRequest update;
  update.set_state_machine_arn(m);
  update.set_definition(kWaitDef);
  update.set_publish(true);
  v1::UpdateStateMachineResponse updated;
  ASSERT_TRUE(stub()->UpdateStateMachine(Ctx().get(), update, &updated).ok());
  EXPECT_EQ(updated.state_machine_version_arn(), m + ":2");
  {  // Idempotent publish; a stale revision id is a conflict.
    v1::PublishStateMachineVersionRequest req;
    req.set_state_machine_arn(m);
    v1::PublishStateMachineVersionResponse resp;
    ASSERT_TRUE(stub()->PublishStateMachineVersion(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.state_machine_version_arn(), m + ":2");
    req.set_revision_id("versioned-1");
    grpc::Status s = stub()->PublishStateMachineVersion(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "ConflictException");
  }
  {
    v1::DescribeStateMachineRequest req;
    req.set_state_machine_arn(m + ":1");
    v1::DescribeStateMachineResponse resp;
    ASSERT_TRUE(stub()->DescribeStateMachine(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.definition(), kPassDef);
    EXPECT_EQ(resp.description(), "first");
    v1::ListStateMachineVersionsRequest list;
    list.set_state_machine_arn(m);
    v1::ListStateMachineVersionsResponse versions;
    ASSERT_TRUE(stub()->ListStateMachineVersions(Ctx().get(), list, &versions).ok());
    ASSERT_EQ(versions.state_machine_versions_size(), 2);
    EXPECT_EQ(versions.state_machine_versions(0).state_machine_version_arn(), m + ":2");
  }
  v1::CreateStateMachineAliasRequest alias;
  alias.set_name("live");
  auto* r = alias.add_routing_configuration();
  r->set_state_machine_version_arn(m + ":1");
  r->set_weight(100);
  v1::CreateStateMachineAliasResponse alias_made;
  ASSERT_TRUE(stub()->CreateStateMachineAlias(Ctx().get(), alias, &alias_made).ok());
  EXPECT_EQ(alias_made.state_machine_alias_arn(), m + ":live");
  {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(m + ":live");
    req.set_name("through-alias");
    v1::StartExecutionResponse resp;
    ASSERT_TRUE(stub()->StartExecution(Ctx().get(), req, &resp).ok());
    v1::DescribeExecutionRequest dreq;
    dreq.set_execution_arn(resp.execution_arn());
    v1::DescribeExecutionResponse d;
    ASSERT_TRUE(stub()->DescribeExecution(Ctx().get(), dreq, &d).ok());
    EXPECT_EQ(d.state_machine_arn(), m);
    EXPECT_EQ(d.state_machine_version_arn(), m + ":1");
    EXPECT_EQ(d.state_machine_alias_arn(), m + ":live");
    v1::ListExecutionsRequest lreq;
    lreq.set_state_machine_arn(m + ":1");
    v1::ListExecutionsResponse l;
    ASSERT_TRUE(stub()->ListExecutions(Ctx().get(), lreq, &l).ok());
    ASSERT_EQ(l.executions_size(), 1);
    EXPECT_EQ(l.executions(0).state_machine_alias_arn(), m + ":live");
  }
  {  // A routed version cannot go; the alias moves, then it can.
    v1::DeleteStateMachineVersionRequest del;
    del.set_state_machine_version_arn(m + ":1");
    v1::DeleteStateMachineVersionResponse none;
    EXPECT_EQ(ErrorName(stub()->DeleteStateMachineVersion(Ctx().get(), del, &none)),
              "ConflictException");
    v1::UpdateStateMachineAliasRequest up;
    up.set_state_machine_alias_arn(m + ":live");
    auto* to2 = up.add_routing_configuration();
    to2->set_state_machine_version_arn(m + ":2");
    to2->set_weight(100);
    v1::UpdateStateMachineAliasResponse up_resp;
    ASSERT_TRUE(stub()->UpdateStateMachineAlias(Ctx().get(), up, &up_resp).ok());
    EXPECT_TRUE(stub()->DeleteStateMachineVersion(Ctx().get(), del, &none).ok());
    v1::DescribeStateMachineAliasRequest dreq;
    dreq.set_state_machine_alias_arn(m + ":live");
    v1::DescribeStateMachineAliasResponse d;
    ASSERT_TRUE(stub()->DescribeStateMachineAlias(Ctx().get(), dreq, &d).ok());
    ASSERT_EQ(d.routing_configuration_size(), 1);
    EXPECT_EQ(d.routing_configuration(0).state_machine_version_arn(), m + ":2");
    v1::ListStateMachineAliasesRequest lreq;
    lreq.set_state_machine_arn(m);
    v1::ListStateMachineAliasesResponse l;
    ASSERT_TRUE(stub()->ListStateMachineAliases(Ctx().get(), lreq, &l).ok());
    EXPECT_EQ(l.state_machine_aliases_size(), 1);
    v1::DeleteStateMachineAliasRequest da;
    da.set_state_machine_alias_arn(m + ":live");
    v1::DeleteStateMachineAliasResponse da_resp;
    EXPECT_TRUE(stub()->DeleteStateMachineAlias(Ctx().get(), da, &da_resp).ok());
    EXPECT_EQ(ErrorName(stub()->DescribeStateMachineAlias(Ctx().get(), dreq, &d)),
              "ResourceNotFound");
  }
}

TEST_F(StepwisedTest, ValidationWarnsAboutTasksTheServerCannotRun) {
  auto validate = [this](const std::string& resource) {
    v1::ValidateStateMachineDefinitionRequest req;
    req.set_definition(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" + resource +
                       R"(","End":true}}})");
    v1::ValidateStateMachineDefinitionResponse resp;
    EXPECT_TRUE(stub()->ValidateStateMachineDefinition(Ctx().get(), req, &resp).ok());
    return resp;
  };
  for (const std::string resource :
       {"arn:aws:states:::ecs:runTask.sync", "arn:aws:states:::glue:startJobRun.sync"}) {
    v1::ValidateStateMachineDefinitionResponse resp = validate(resource);
    EXPECT_EQ(resp.result(), "OK");
    ASSERT_EQ(resp.diagnostics_size(), 1) << resource;
    EXPECT_EQ(resp.diagnostics(0).severity(), "WARNING");
    EXPECT_EQ(resp.diagnostics(0).code(), "INTEGRATION_NOT_RUNNABLE");
    EXPECT_EQ(resp.diagnostics(0).location(), "/States/T/Resource");
    EXPECT_NE(resp.diagnostics(0).message().find(resource), std::string::npos);
  }
  for (const std::string resource :
       {"arn:aws:states:::lambda:invoke", "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:us-east-1:123456789012:activity:a",
        "arn:aws:lambda:us-east-1:123456789012:function:f"}) {
    v1::ValidateStateMachineDefinitionResponse resp = validate(resource);
    EXPECT_EQ(resp.result(), "OK");
    EXPECT_EQ(resp.diagnostics_size(), 0) << resource;
  }
}

TEST_F(StepwisedTest, ExecutionRpcsAndErrors) {
  std::string pass = CreateMachine(stub(), "pass", kPassDef);
  std::string wait = CreateMachine(stub(), "wait", kWaitDef);
  std::string exec = StartExecution(stub(), pass, "e1", R"({"a":1})");
  EXPECT_EQ(exec, "arn:aws:states:us-east-1:123456789012:execution:pass:e1");
  v1::DescribeExecutionResponse d = WaitClosed(stub(), exec);
  EXPECT_EQ(d.status(), "SUCCEEDED");
  EXPECT_EQ(d.output(), R"({"ok":true})");
  EXPECT_EQ(d.input(), R"({"a":1})");
  EXPECT_GT(d.stop_date().seconds(), 0);

  {  // Same name, other input.
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(pass);
    req.set_name("e1");
    req.set_input(R"({"a":2})");
    v1::StartExecutionResponse resp;
    grpc::Status s = stub()->StartExecution(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(ErrorName(s), "ExecutionAlreadyExists");
    req.set_name("e2");
    req.set_input("{not json");
    s = stub()->StartExecution(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "InvalidExecutionInput");
    req.set_state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:missing");
    req.set_input("{}");
    s = stub()->StartExecution(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "StateMachineDoesNotExist");
  }
  {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn("arn:aws:states:us-east-1:123456789012:execution:pass:nope");
    v1::DescribeExecutionResponse resp;
    grpc::Status s = stub()->DescribeExecution(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ErrorName(s), "ExecutionDoesNotExist");
  }
  {
    v1::DescribeStateMachineForExecutionRequest req;
    req.set_execution_arn(exec);
    v1::DescribeStateMachineResponse resp;
    ASSERT_TRUE(stub()->DescribeStateMachineForExecution(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.definition(), kPassDef);
  }
  std::vector<v1::HistoryEvent> h = History(stub(), exec);
  ASSERT_GE(h.size(), 3u);
  EXPECT_EQ(h.front().type(), "ExecutionStarted");
  EXPECT_EQ(h.front().details_member(), "executionStartedEventDetails");
  EXPECT_NE(h.front().details_json().find("input"), std::string::npos);
  EXPECT_EQ(h.back().type(), "ExecutionSucceeded");
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i].id(), static_cast<int64_t>(i + 1));
  EXPECT_GT(h.front().timestamp().seconds(), 1600000000);

  // Stop a running one.
  std::string w = StartExecution(stub(), wait, "w1", "{}");
  {
    v1::StopExecutionRequest req;
    req.set_execution_arn(w);
    req.set_error("Halt");
    req.set_cause("test");
    v1::StopExecutionResponse resp;
    grpc::Status s = stub()->StopExecution(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.stop_date().seconds(), 0);
    v1::DescribeExecutionResponse dw = WaitClosed(stub(), w);
    EXPECT_EQ(dw.status(), "ABORTED");
    EXPECT_EQ(dw.error(), "Halt");
  }
  {
    v1::ListExecutionsRequest req;
    req.set_state_machine_arn(pass);
    v1::ListExecutionsResponse resp;
    ASSERT_TRUE(stub()->ListExecutions(Ctx().get(), req, &resp).ok());
    ASSERT_EQ(resp.executions_size(), 1);
    EXPECT_EQ(resp.executions(0).execution_arn(), exec);
    EXPECT_EQ(resp.executions(0).status(), "SUCCEEDED");
    req.set_status_filter("RUNNING");
    resp.Clear();
    ASSERT_TRUE(stub()->ListExecutions(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.executions_size(), 0);
    req.set_state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:missing");
    EXPECT_EQ(ErrorName(stub()->ListExecutions(Ctx().get(), req, &resp)),
              "StateMachineDoesNotExist");
  }
  {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_arn("arn:aws:states:us-east-1:123456789012:execution:pass:nope");
    v1::GetExecutionHistoryResponse resp;
    EXPECT_EQ(ErrorName(stub()->GetExecutionHistory(Ctx().get(), req, &resp)),
              "ExecutionDoesNotExist");
  }
}

// A Distributed Map's children over gRPC: ListExecutions(map_run_arn) lists
// them with item_count (AWS's itemCount: the batch's size with an
// ItemBatcher); ListMapRuns names the run.
TEST_F(StepwisedTest, MapRunChildrenListedWithItemCount) {
  std::string machine = CreateMachine(stub(), "dmap", R"({"StartAt":"M","States":{"M":{
      "Type":"Map","ItemsPath":"$.xs","ItemBatcher":{"MaxItemsPerBatch":2},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  std::string exec = StartExecution(stub(), machine, "d1", R"({"xs":[1,2,3,4,5]})");
  ASSERT_EQ(WaitClosed(stub(), exec).status(), "SUCCEEDED");
  v1::ListMapRunsRequest rreq;
  rreq.set_execution_arn(exec);
  v1::ListMapRunsResponse runs;
  ASSERT_TRUE(stub()->ListMapRuns(Ctx().get(), rreq, &runs).ok());
  ASSERT_EQ(runs.map_runs_size(), 1);
  v1::ListExecutionsRequest req;
  req.set_map_run_arn(runs.map_runs(0).map_run_arn());
  v1::ListExecutionsResponse resp;
  ASSERT_TRUE(stub()->ListExecutions(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.executions_size(), 3);  // batches of 2, 2 and 1
  int64_t items = 0;
  for (const v1::ExecutionListItem& e : resp.executions()) {
    ASSERT_TRUE(e.has_item_count()) << e.name();
    EXPECT_EQ(e.map_run_arn(), runs.map_runs(0).map_run_arn());
    items += e.item_count();
  }
  EXPECT_EQ(items, 5);
  // A machine's executions are not a run's children: no item_count.
  v1::ListExecutionsRequest mreq;
  mreq.set_state_machine_arn(machine);
  ASSERT_TRUE(stub()->ListExecutions(Ctx().get(), mreq, &resp).ok());
  ASSERT_GE(resp.executions_size(), 1);
  EXPECT_FALSE(resp.executions(0).has_item_count());
}

TEST_F(StepwisedTest, ActivityRoundTripAndTaskErrors) {
  CreateActivity(stub(), "jobs");
  {
    v1::DescribeActivityRequest req;
    req.set_activity_arn(kActivityArn);
    v1::DescribeActivityResponse resp;
    ASSERT_TRUE(stub()->DescribeActivity(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.name(), "jobs");
    v1::ListActivitiesRequest lreq;
    v1::ListActivitiesResponse lresp;
    ASSERT_TRUE(stub()->ListActivities(Ctx().get(), lreq, &lresp).ok());
    ASSERT_EQ(lresp.activities_size(), 1);
    EXPECT_EQ(lresp.activities(0).activity_arn(), kActivityArn);
  }
  std::string machine = CreateMachine(stub(), "work", kActivityDef);
  std::string ok_exec = StartExecution(stub(), machine, "ok", R"({"n":1})");
  v1::GetActivityTaskResponse task = Poll(stub(), kActivityArn);
  ASSERT_FALSE(task.task_token().empty());
  EXPECT_EQ(task.input(), R"({"n":1})");
  {
    v1::SendTaskHeartbeatRequest req;
    req.set_task_token(task.task_token());
    v1::SendTaskHeartbeatResponse resp;
    grpc::Status s = stub()->SendTaskHeartbeat(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  {
    v1::SendTaskSuccessRequest req;
    req.set_task_token(task.task_token());
    req.set_output(R"({"done":1})");
    v1::SendTaskSuccessResponse resp;
    grpc::Status s = stub()->SendTaskSuccess(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::DescribeExecutionResponse d = WaitClosed(stub(), ok_exec);
    EXPECT_EQ(d.status(), "SUCCEEDED");
    EXPECT_EQ(d.output(), R"({"done":1})");
    // The task is closed now.
    s = stub()->SendTaskSuccess(Ctx().get(), req, &resp);
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(ErrorName(s) == "TaskTimedOut" || ErrorName(s) == "TaskDoesNotExist")
        << ErrorName(s);
    req.set_task_token("garbage-token");
    s = stub()->SendTaskSuccess(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "InvalidToken");
  }
  std::string fail_exec = StartExecution(stub(), machine, "fail", "{}");
  task = Poll(stub(), kActivityArn);
  ASSERT_FALSE(task.task_token().empty());
  {
    v1::SendTaskFailureRequest req;
    req.set_task_token(task.task_token());
    req.set_error("Boom");
    req.set_cause("it broke");
    v1::SendTaskFailureResponse resp;
    ASSERT_TRUE(stub()->SendTaskFailure(Ctx().get(), req, &resp).ok());
    v1::DescribeExecutionResponse d = WaitClosed(stub(), fail_exec);
    EXPECT_EQ(d.status(), "FAILED");
    EXPECT_EQ(d.error(), "Boom");
  }
  {  // A short poll with nothing pending answers with an empty token.
    v1::GetActivityTaskRequest req;
    req.set_activity_arn(kActivityArn);
    v1::GetActivityTaskResponse resp;
    grpc::Status s = stub()->GetActivityTask(Ctx(1500ms).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(resp.task_token().empty());
    req.set_activity_arn("arn:aws:states:us-east-1:123456789012:activity:missing");
    s = stub()->GetActivityTask(Ctx().get(), req, &resp);
    EXPECT_EQ(ErrorName(s), "ActivityDoesNotExist");
  }
  {
    v1::DeleteActivityRequest req;
    req.set_activity_arn(kActivityArn);
    v1::DeleteActivityResponse resp;
    ASSERT_TRUE(stub()->DeleteActivity(Ctx().get(), req, &resp).ok());
    v1::DescribeActivityRequest d;
    d.set_activity_arn(kActivityArn);
    v1::DescribeActivityResponse dr;
    grpc::Status s = stub()->DescribeActivity(Ctx().get(), d, &dr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ErrorName(s), "ActivityDoesNotExist");
  }
}

TEST_F(StepwisedTest, WatchExecutionStreamsUntilClose) {
  CreateActivity(stub(), "jobs");
  std::string machine = CreateMachine(stub(), "work", kActivityDef);
  std::string exec = StartExecution(stub(), machine, "watched", "{}");

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  v1::WatchExecutionRequest req;
  req.set_execution_arn(exec);
  auto reader = stub()->WatchExecution(&ctx, req);
  std::vector<v1::HistoryEvent> seen;
  v1::HistoryEvent e;
  // Read until the task is scheduled, then complete it.
  while (reader->Read(&e)) {
    seen.push_back(e);
    if (e.type() == "ActivityScheduled") break;
  }
  ASSERT_FALSE(seen.empty());
  ASSERT_EQ(seen.back().type(), "ActivityScheduled");
  v1::GetActivityTaskResponse task = Poll(stub(), kActivityArn);
  ASSERT_FALSE(task.task_token().empty());
  v1::SendTaskSuccessRequest sreq;
  sreq.set_task_token(task.task_token());
  sreq.set_output("{}");
  v1::SendTaskSuccessResponse sresp;
  ASSERT_TRUE(stub()->SendTaskSuccess(Ctx().get(), sreq, &sresp).ok());
  while (reader->Read(&e)) seen.push_back(e);
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type(), "ExecutionSucceeded");
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].id(), static_cast<int64_t>(i + 1));
  EXPECT_EQ(seen.size(), History(stub(), exec).size());

  // A closed execution: all events, then the end.
  grpc::ClientContext ctx2;
  req.set_after_event_id(2);
  auto reader2 = stub()->WatchExecution(&ctx2, req);
  std::vector<v1::HistoryEvent> again;
  while (reader2->Read(&e)) again.push_back(e);
  EXPECT_TRUE(reader2->Finish().ok());
  ASSERT_EQ(again.size(), seen.size() - 2);
  EXPECT_EQ(again.front().id(), 3);

  grpc::ClientContext ctx3;
  req.set_execution_arn("arn:aws:states:us-east-1:123456789012:execution:work:nope");
  auto reader3 = stub()->WatchExecution(&ctx3, req);
  EXPECT_FALSE(reader3->Read(&e));
  s = reader3->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorName(s), "ExecutionDoesNotExist");
}

TEST_F(StepwisedTest, WatchFromTheTailSendsOnlyLaterEventsAndEndsAtTheClose) {
  CreateActivity(stub(), "jobs");
  std::string machine = CreateMachine(stub(), "work", kActivityDef);
  std::string exec = StartExecution(stub(), machine, "tail", "{}");
  v1::GetActivityTaskResponse task = Poll(stub(), kActivityArn);  // running, task handed out
  ASSERT_FALSE(task.task_token().empty());
  size_t before = History(stub(), exec).size();

  // after_event_id beyond any event ("only tell me when it ends").
  grpc::ClientContext never_ctx;
  never_ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  v1::WatchExecutionRequest never;
  never.set_execution_arn(exec);
  never.set_after_event_id(std::numeric_limits<int64_t>::max());
  auto never_reader = stub()->WatchExecution(&never_ctx, never);
  // after_event_id = the current last event: only the events still to come.
  grpc::ClientContext tail_ctx;
  tail_ctx.set_deadline(std::chrono::system_clock::now() + 30s);
  v1::WatchExecutionRequest tail;
  tail.set_execution_arn(exec);
  tail.set_after_event_id(static_cast<int64_t>(before));
  auto tail_reader = stub()->WatchExecution(&tail_ctx, tail);
  std::this_thread::sleep_for(300ms);  // both watches registered on the running execution

  v1::SendTaskSuccessRequest sreq;
  sreq.set_task_token(task.task_token());
  sreq.set_output("{}");
  v1::SendTaskSuccessResponse sresp;
  ASSERT_TRUE(stub()->SendTaskSuccess(Ctx().get(), sreq, &sresp).ok());

  v1::HistoryEvent e;
  std::vector<v1::HistoryEvent> tail_seen;
  while (tail_reader->Read(&e)) tail_seen.push_back(e);
  EXPECT_TRUE(tail_reader->Finish().ok());
  size_t all = History(stub(), exec).size();
  ASSERT_EQ(tail_seen.size(), all - before);
  EXPECT_EQ(tail_seen.front().id(), static_cast<int64_t>(before) + 1);
  EXPECT_EQ(tail_seen.back().type(), "ExecutionSucceeded");
  EXPECT_FALSE(tail_seen.back().details_json().empty());

  int never_count = 0;
  while (never_reader->Read(&e)) ++never_count;
  grpc::Status s = never_reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(never_count, 0);
}

TEST_F(StepwisedTest, ClientCancellingAWatchLeavesTheServerHealthy) {
  std::string machine = CreateMachine(stub(), "wait", kWaitDef);
  std::string exec = StartExecution(stub(), machine, "long", "{}");
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    v1::WatchExecutionRequest req;
    req.set_execution_arn(exec);
    auto reader = stub()->WatchExecution(&ctx, req);
    v1::HistoryEvent e;
    ASSERT_TRUE(reader->Read(&e));
    ctx.TryCancel();
    while (reader->Read(&e)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // A watch left open is ended by SIGTERM (TearDown checks exit 0).
  grpc::ClientContext open_ctx;
  v1::WatchExecutionRequest req;
  req.set_execution_arn(exec);
  auto open_reader = stub()->WatchExecution(&open_ctx, req);
  v1::HistoryEvent e;
  ASSERT_TRUE(open_reader->Read(&e));
  EXPECT_EQ(daemon_->Stop(), 0) << daemon_->log();
  while (open_reader->Read(&e)) {
  }
  EXPECT_FALSE(open_reader->Finish().ok());
  daemon_.reset();
}

TEST(StepwisedRestartTest, ExecutionContinuesAcrossRestart) {
  std::string dir = MakeTempDir();
  std::string exec;
  {
    Daemon d(dir);
    ASSERT_TRUE(d.Start()) << d.log();
    CreateActivity(d.stub(), "jobs");
    std::string machine = CreateMachine(d.stub(), "work", kActivityDef);
    exec = StartExecution(d.stub(), machine, "survivor", R"({"step":1})");
    ASSERT_EQ(d.Stop(SIGTERM), 0) << d.log();
    EXPECT_NE(d.log().find("stopped cleanly"), std::string::npos) << d.log();
  }
  std::string token;
  {
    Daemon d(dir);
    ASSERT_TRUE(d.Start()) << d.log();
    v1::GetActivityTaskResponse task = Poll(d.stub(), kActivityArn);
    ASSERT_FALSE(task.task_token().empty());
    EXPECT_EQ(task.input(), R"({"step":1})");
    token = task.task_token();
    ASSERT_EQ(d.Stop(SIGINT), 0) << d.log();
  }
  {
    Daemon d(dir);
    ASSERT_TRUE(d.Start()) << d.log();
    // The token handed out before the restart is still good.
    v1::SendTaskSuccessRequest req;
    req.set_task_token(token);
    req.set_output(R"({"step":2})");
    v1::SendTaskSuccessResponse resp;
    grpc::Status s = d.stub()->SendTaskSuccess(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::DescribeExecutionResponse desc = WaitClosed(d.stub(), exec);
    EXPECT_EQ(desc.status(), "SUCCEEDED");
    EXPECT_EQ(desc.output(), R"({"step":2})");
    std::vector<v1::HistoryEvent> h = History(d.stub(), exec);
    for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i].id(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(h.back().type(), "ExecutionSucceeded");
    EXPECT_EQ(d.Stop(), 0) << d.log();
  }
}

// Four threads starting executions of `machine` until Stop() or until a
// call fails (the daemon is going away); keeps the acknowledged ARNs.
class StartLoad {
 public:
  StartLoad(v1::States::Stub* stub, std::string machine) : machine_(std::move(machine)) {
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, stub, t] {
        for (int i = 0; !stop_.load() && i < 100000; ++i) {
          v1::StartExecutionRequest req;
          req.set_state_machine_arn(machine_);
          req.set_name("t" + std::to_string(t) + "-" + std::to_string(i));
          req.set_input("{}");
          v1::StartExecutionResponse resp;
          if (!stub->StartExecution(Ctx(10s).get(), req, &resp).ok()) return;
          std::lock_guard<std::mutex> l(mu_);
          acked_.push_back(resp.execution_arn());
        }
      });
    }
  }
  ~StartLoad() { Stop(); }

  // Waits (up to 10 s) until `n` starts were acknowledged.
  void WaitForAcked(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline && Acked().size() < n) {
      std::this_thread::sleep_for(1ms);
    }
  }
  void Stop() {
    stop_.store(true);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::vector<std::string> Acked() {
    std::lock_guard<std::mutex> l(mu_);
    return acked_;
  }

 private:
  const std::string machine_;
  std::mutex mu_;
  std::vector<std::string> acked_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST(StepwisedRestartTest, SigtermWithWorkInFlightLosesNothingAcknowledged) {
  std::string dir = MakeTempDir();
  Daemon d(dir);
  ASSERT_TRUE(d.Start()) << d.log();
  std::string machine = CreateMachine(d.stub(), "pass", kPassDef);

  // Let work pile up, then SIGTERM in the middle of it.
  StartLoad load(d.stub(), machine);
  load.WaitForAcked(50);
  EXPECT_EQ(d.Stop(SIGTERM), 0) << d.log();
  load.Stop();
  std::vector<std::string> acked = load.Acked();
  ASSERT_GE(acked.size(), 50u);

  Daemon d2(dir);
  ASSERT_TRUE(d2.Start()) << d2.log();
  for (const std::string& arn : acked) {
    v1::DescribeExecutionResponse desc = WaitClosed(d2.stub(), arn);
    EXPECT_EQ(desc.status(), "SUCCEEDED") << arn;
  }
  EXPECT_EQ(d2.Stop(), 0) << d2.log();
}

TEST(StepwisedRestartTest, SigtermEndsLongPollsPromptly) {
  Daemon d(MakeTempDir());
  ASSERT_TRUE(d.Start()) << d.log();
  CreateActivity(d.stub(), "jobs");
  std::atomic<bool> returned{false};
  std::thread poller([&] {
    v1::GetActivityTaskRequest req;
    req.set_activity_arn(kActivityArn);
    v1::GetActivityTaskResponse resp;
    grpc::Status s = d.stub()->GetActivityTask(Ctx(70s).get(), req, &resp);
    // Woken by the shutdown: an empty task (AWS's "nothing arrived").
    EXPECT_TRUE(!s.ok() || resp.task_token().empty());
    returned.store(true);
  });
  std::this_thread::sleep_for(300ms);  // let the poll reach the server
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.Stop(SIGTERM), 0) << d.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  poller.join();
  EXPECT_TRUE(returned.load());
}

// Runs a shell command; true when it exits 0.
bool Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// A CA, a server certificate for localhost/127.0.0.1 and a client
// certificate signed by it, plus an unrelated self-signed CA, written by the
// openssl command into `dir`.
bool MakeCertificates(const std::string& dir) {
  const std::string d = dir + "/";
  return Sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout " + d +
            "ca.key -out " + d + "ca.pem") &&
         Sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout " + d +
            "other.key -out " + d + "other.pem") &&
         Sh("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d +
            "server.key -out " + d + "server.csr") &&
         Sh("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > " + d + "san.ext") &&
         Sh("openssl x509 -req -in " + d + "server.csr -CA " + d + "ca.pem -CAkey " + d +
            "ca.key -CAcreateserial -days 2 -extfile " + d + "san.ext -out " + d + "server.pem") &&
         Sh("openssl req -newkey rsa:2048 -nodes -subj /CN=worker-1 -keyout " + d +
            "client.key -out " + d + "client.csr") &&
         Sh("openssl x509 -req -in " + d + "client.csr -CA " + d + "ca.pem -CAkey " + d +
            "ca.key -CAcreateserial -days 2 -out " + d + "client.pem");
}

// ListStateMachines over a channel with `creds` (server name "localhost").
grpc::Status ListOver(int port, const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel =
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), creds, args);
  auto stub = v1::States::NewStub(channel);
  v1::ListStateMachinesRequest req;
  v1::ListStateMachinesResponse resp;
  return stub->ListStateMachines(Ctx(10s).get(), req, &resp);
}

TEST(StepwisedTlsTest, GrpcServesTlsAndRequiresClientCertificatesWithAClientCa) {
  std::string certs = MakeTempDir();
  ASSERT_TRUE(MakeCertificates(certs)) << "openssl could not make test certificates";
  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = ReadFile(certs + "/ca.pem");
  grpc::SslCredentialsOptions wrong_ca;
  wrong_ca.pem_root_certs = ReadFile(certs + "/other.pem");
  grpc::SslCredentialsOptions with_client_cert = trusting;
  with_client_cert.pem_cert_chain = ReadFile(certs + "/client.pem");
  with_client_cert.pem_private_key = ReadFile(certs + "/client.key");

  {  // TLS: a client trusting the CA gets in; plaintext and a wrong CA do not.
    Daemon d(MakeTempDir(), {"--tls-cert", certs + "/server.pem", "--tls-key",
                             certs + "/server.key"});
    ASSERT_TRUE(d.Start()) << d.log();
    EXPECT_NE(d.log().find("(TLS)"), std::string::npos) << d.log();
    grpc::Status ok = ListOver(d.grpc_port(), grpc::SslCredentials(trusting));
    EXPECT_TRUE(ok.ok()) << ok.error_message();
    EXPECT_FALSE(ListOver(d.grpc_port(), grpc::InsecureChannelCredentials()).ok());
    EXPECT_FALSE(ListOver(d.grpc_port(), grpc::SslCredentials(wrong_ca)).ok());
    EXPECT_EQ(d.Stop(), 0) << d.log();
  }
  {  // mTLS: without a client certificate from the client CA, no call is served.
    Daemon d(MakeTempDir(), {"--tls-cert", certs + "/server.pem", "--tls-key",
                             certs + "/server.key", "--tls-client-ca", certs + "/ca.pem"});
    ASSERT_TRUE(d.Start()) << d.log();
    EXPECT_FALSE(ListOver(d.grpc_port(), grpc::SslCredentials(trusting)).ok());
    grpc::Status ok = ListOver(d.grpc_port(), grpc::SslCredentials(with_client_cert));
    EXPECT_TRUE(ok.ok()) << ok.error_message();
    EXPECT_FALSE(ListOver(d.grpc_port(), grpc::InsecureChannelCredentials()).ok());
    EXPECT_EQ(d.Stop(), 0) << d.log();
  }
  std::error_code ec;
  std::filesystem::remove_all(certs, ec);
}

TEST(StepwisedRestartTest, SecondSignalExitsAtOnceAndRecoveryHandlesIt) {
  std::string dir = MakeTempDir();
  Daemon d(dir);
  ASSERT_TRUE(d.Start()) << d.log();
  std::string machine = CreateMachine(d.stub(), "pass", kPassDef);
  std::string waiting = CreateMachine(d.stub(), "wait", kWaitDef);
  std::string parked = StartExecution(d.stub(), waiting, "parked", "{}");

  StartLoad load(d.stub(), machine);
  load.WaitForAcked(50);
  // Two different signals back to back (the same one twice could merge
  // while pending): the first starts the graceful shutdown, the second ends
  // the process at once with exit code 2, skipping the clean close.
  kill(d.pid(), SIGTERM);
  kill(d.pid(), SIGINT);
  EXPECT_EQ(d.WaitExit(30s), 2) << d.log();
  load.Stop();
  std::string log = d.log();
  EXPECT_NE(log.find("second signal: exiting at once"), std::string::npos) << log;
  EXPECT_EQ(log.find("stopped cleanly"), std::string::npos) << log;
  std::vector<std::string> acked = load.Acked();
  ASSERT_GE(acked.size(), 50u);

  // Recovery: everything acknowledged is there and finishes; the parked
  // execution is still waiting.
  Daemon d2(dir);
  ASSERT_TRUE(d2.Start()) << d2.log();
  for (const std::string& arn : acked) {
    EXPECT_EQ(WaitClosed(d2.stub(), arn).status(), "SUCCEEDED") << arn;
  }
  v1::DescribeExecutionRequest req;
  req.set_execution_arn(parked);
  v1::DescribeExecutionResponse resp;
  ASSERT_TRUE(d2.stub()->DescribeExecution(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), "RUNNING");
  EXPECT_EQ(d2.Stop(), 0) << d2.log();
}

TEST(StepwisedRefusalTest, RefusesADataDirLockedByAnotherStepwised) {
  std::string dir = MakeTempDir();
  Daemon a(dir);
  ASSERT_TRUE(a.Start()) << a.log();
  Daemon b(dir);
  EXPECT_FALSE(b.Start());
  EXPECT_NE(b.exit_code(), 0);
  std::string log = b.log();
  EXPECT_NE(log.find("locked"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_EQ(a.Stop(), 0);
}

TEST(StepwisedRefusalTest, RefusesAPortInUse) {
  std::string dir = MakeTempDir();
  Daemon a(dir);
  ASSERT_TRUE(a.Start()) << a.log();
  auto [code, out] = RunToExit({"--data-dir", MakeTempDir(), "--grpc-listen",
                                "127.0.0.1:" + std::to_string(a.grpc_port()), "--http-listen",
                                "127.0.0.1:0"});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("gRPC"), std::string::npos) << out;
  auto [code2, out2] = RunToExit({"--data-dir", MakeTempDir(), "--grpc-listen", "127.0.0.1:0",
                                  "--http-listen",
                                  "127.0.0.1:" + std::to_string(a.http_port())});
  EXPECT_NE(code2, 0);
  EXPECT_NE(out2.find("HTTP"), std::string::npos) << out2;
  EXPECT_EQ(a.Stop(), 0);
}

TEST(StepwisedRefusalTest, RefusesBadConfigAndNetworkBindWithoutInsecure) {
  auto [c1, o1] = RunToExit({"--time-scale", "zero"});
  EXPECT_NE(c1, 0);
  EXPECT_NE(o1.find("--time-scale"), std::string::npos) << o1;
  auto [c2, o2] = RunToExit({"--bogus"});
  EXPECT_NE(c2, 0);
  EXPECT_NE(o2.find("--bogus"), std::string::npos) << o2;
  auto [c3, o3] = RunToExit({"--data-dir", MakeTempDir(), "--grpc-listen", "0.0.0.0:0",
                             "--http-listen", "127.0.0.1:0"});
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("--insecure"), std::string::npos) << o3;
  std::string file = MakeTempDir() + "/plain-file";
  std::ofstream(file) << "x";
  auto [c4, o4] = RunToExit({"--data-dir", file + "/sub"});
  EXPECT_NE(c4, 0);
  EXPECT_NE(o4.find("data directory"), std::string::npos) << o4;
}

TEST(StepwisedAuthTest, BearerTokensAreRequiredWhenConfigured) {
  std::string work = MakeTempDir();
  std::ofstream(work + "/tokens") << "# tokens\nsecret-1\nsecret-2\n";
  Daemon d(MakeTempDir(), {"--auth-tokens-file", work + "/tokens"});
  ASSERT_TRUE(d.Start()) << d.log();
  v1::ListActivitiesRequest req;
  v1::ListActivitiesResponse resp;
  grpc::Status s = d.stub()->ListActivities(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto bad = Ctx();
  bad->AddMetadata("authorization", "Bearer wrong");
  EXPECT_EQ(d.stub()->ListActivities(bad.get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto good = Ctx();
  good->AddMetadata("authorization", "Bearer secret-2");
  s = d.stub()->ListActivities(good.get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // Admin RPCs too.
  v1::BackupRequest breq;
  breq.set_dir(work + "/backup");
  v1::BackupResponse bresp;
  EXPECT_EQ(d.stub()->Backup(Ctx().get(), breq, &bresp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_FALSE(std::filesystem::exists(work + "/backup"));
  auto admin = Ctx();
  admin->AddMetadata("authorization", "Bearer secret-1");
  s = d.stub()->Backup(admin.get(), breq, &bresp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(d.Stop(), 0) << d.log();
}

// The value of the sample `name_and_labels` (e.g. `x_total{a="b"}`) in a
// Prometheus text body, or -1 when absent.
double MetricValue(const std::string& body, const std::string& name_and_labels) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name_and_labels + " ", 0) == 0) {
      return std::stod(line.substr(name_and_labels.size() + 1));
    }
  }
  return -1;
}

grpc::Status Backup(v1::States::Stub* stub, const std::string& dir,
                    v1::BackupResponse* resp) {
  v1::BackupRequest req;
  req.set_dir(dir);
  return stub->Backup(Ctx(120s).get(), req, resp);
}

TEST(StepwisedBackupTest, BackupOfALiveServerRestoresEverythingAtThatInstant) {
  std::string dir = MakeTempDir();
  std::string backup_dir =
      std::filesystem::path(MakeTempDir() + "/backup").lexically_normal().string();
  std::string pass_machine, work_machine, parked;
  std::vector<std::string> done;
  {
    Daemon d(dir);
    ASSERT_TRUE(d.Start()) << d.log();
    CreateActivity(d.stub(), "jobs");
    pass_machine = CreateMachine(d.stub(), "pass", kPassDef);
    work_machine = CreateMachine(d.stub(), "work", kActivityDef);
    for (int i = 0; i < 5; ++i) {
      done.push_back(StartExecution(d.stub(), pass_machine, "p" + std::to_string(i), "{}"));
      EXPECT_EQ(WaitClosed(d.stub(), done.back()).status(), "SUCCEEDED");
    }
    // Parked on the activity: its task is queued, not yet handed out.
    parked = StartExecution(d.stub(), work_machine, "parked", R"({"job":7})");

    v1::BackupResponse resp;
    grpc::Status s = Backup(d.stub(), backup_dir, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.dir(), backup_dir);
    EXPECT_GT(resp.bytes(), 0u);
    EXPECT_TRUE(std::filesystem::exists(backup_dir + "/CURRENT"));
    EXPECT_NE(d.log().find("backup written to " + backup_dir), std::string::npos) << d.log();

    // The directory must be new, and a path on the server, so absolute.
    s = Backup(d.stub(), backup_dir, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
    s = Backup(d.stub(), "relative/backup", &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    s = Backup(d.stub(), MakeTempDir() + "/no/such/parent", &resp);
    EXPECT_NE(s.error_code(), grpc::StatusCode::OK);

    // Work after the backup is not in it.
    StartExecution(d.stub(), pass_machine, "after-backup", "{}");
    ASSERT_EQ(d.Stop(), 0) << d.log();
  }
  Daemon restored(backup_dir);
  ASSERT_TRUE(restored.Start()) << restored.log();
  v1::States::Stub* stub = restored.stub();
  {
    v1::ListStateMachinesRequest req;
    v1::ListStateMachinesResponse resp;
    ASSERT_TRUE(stub->ListStateMachines(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.state_machines_size(), 2);
  }
  for (const std::string& arn : done) {
    v1::DescribeExecutionResponse desc = WaitClosed(stub, arn);
    EXPECT_EQ(desc.status(), "SUCCEEDED") << arn;
    EXPECT_EQ(desc.output(), R"({"ok":true})");
  }
  {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn(pass_machine.substr(0, pass_machine.find(":stateMachine:")) +
                          ":execution:pass:after-backup");
    v1::DescribeExecutionResponse resp;
    grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << resp.status();
  }
  // The parked execution continues: its task is handed out and completes it.
  v1::GetActivityTaskResponse task = Poll(stub, kActivityArn);
  ASSERT_FALSE(task.task_token().empty());
  EXPECT_EQ(task.input(), R"({"job":7})");
  v1::SendTaskSuccessRequest req;
  req.set_task_token(task.task_token());
  req.set_output(R"({"done":true})");
  v1::SendTaskSuccessResponse resp;
  grpc::Status s = stub->SendTaskSuccess(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::DescribeExecutionResponse desc = WaitClosed(stub, parked);
  EXPECT_EQ(desc.status(), "SUCCEEDED");
  EXPECT_EQ(desc.output(), R"({"done":true})");
  std::vector<v1::HistoryEvent> h = History(stub, parked);
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i].id(), static_cast<int64_t>(i + 1));
  EXPECT_EQ(restored.Stop(), 0) << restored.log();
  // The original data directory is untouched by the restore.
  Daemon original(dir);
  ASSERT_TRUE(original.Start()) << original.log();
  v1::DescribeExecutionRequest dreq;
  dreq.set_execution_arn(parked);
  v1::DescribeExecutionResponse dresp;
  ASSERT_TRUE(original.stub()->DescribeExecution(Ctx().get(), dreq, &dresp).ok());
  EXPECT_EQ(dresp.status(), "RUNNING");
  EXPECT_EQ(original.Stop(), 0) << original.log();
}

TEST_F(StepwisedTest, MetricsCountStartsTransitionsCommitsStoreAndProcess) {
  std::string machine = CreateMachine(stub(), "counted", kPassDef);
  for (int i = 0; i < 4; ++i) {
    std::string exec = StartExecution(stub(), machine, "e" + std::to_string(i), "{}");
    EXPECT_EQ(WaitClosed(stub(), exec).status(), "SUCCEEDED");
  }
  auto [status, body] = HttpGet(daemon_->http_port(), "/metrics");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(MetricValue(body, "stepwise_executions_started_total{state_machine=\"" + machine +
                                  "\"}"),
            4)
      << body;
  // Pass: ExecutionStarted, PassStateEntered, PassStateExited, ExecutionSucceeded.
  EXPECT_GE(MetricValue(body, "stepwise_transitions_total"), 4 * 4) << body;
  EXPECT_GE(MetricValue(body, "stepwise_commits_total"), 4) << body;
  EXPECT_GE(MetricValue(body, "stepwise_commit_batches_total"), 1) << body;
  EXPECT_GT(MetricValue(body, "stepwise_rocksdb_size_bytes"), 0) << body;
  // RocksDB background work (a fresh store has flushed and compacted little
  // or nothing yet, but every figure is exported).
  for (const char* name : {"stepwise_rocksdb_flushes_total", "stepwise_rocksdb_compactions_total",
                           "stepwise_rocksdb_compaction_written_bytes_total",
                           "stepwise_rocksdb_pending_compaction_bytes",
                           "stepwise_rocksdb_running_compactions", "stepwise_rocksdb_l0_files",
                           "stepwise_rocksdb_write_stall"}) {
    // Present, and sane for a store a few seconds old (garbage from a
    // mismatched snapshot layout would be huge).
    EXPECT_GE(MetricValue(body, name), 0) << name << "\n" << body;
    EXPECT_LT(MetricValue(body, name), 1e9) << name << "\n" << body;
  }
  EXPECT_LE(MetricValue(body, "stepwise_rocksdb_write_stall"), 1) << body;
  EXPECT_GT(MetricValue(body, "process_resident_memory_bytes"), 1 << 20) << body;
  EXPECT_GE(MetricValue(body, "process_cpu_seconds_total"), 0) << body;
  EXPECT_EQ(MetricValue(body, "stepwise_ready"), 1) << body;
  // Every group commit is in the fsync histogram and the group-size one.
  double batches = MetricValue(body, "stepwise_commit_batches_total");
  EXPECT_EQ(MetricValue(body, "stepwise_commit_write_seconds_count"), batches) << body;
  EXPECT_EQ(MetricValue(body, "stepwise_commit_write_seconds_bucket{le=\"+Inf\"}"), batches)
      << body;
  EXPECT_GT(MetricValue(body, "stepwise_commit_write_seconds_sum"), 0) << body;
  EXPECT_GE(MetricValue(body, "stepwise_commit_group_size_sum"), 4) << body;
}

TEST_F(StepwisedTest, ExecutionCloseIsLoggedAndCounted) {
  std::string machine = CreateMachine(stub(), "closing", kPassDef);
  std::string exec = StartExecution(stub(), machine, "one", "{}");
  EXPECT_EQ(WaitClosed(stub(), exec).status(), "SUCCEEDED");
  auto [status, body] = HttpGet(daemon_->http_port(), "/metrics");
  EXPECT_EQ(MetricValue(body, "stepwise_executions_closed_total{state_machine=\"" + machine +
                                  "\",status=\"SUCCEEDED\"}"),
            1)
      << body;
  EXPECT_NE(daemon_->log().find("execution closed: " + exec + " status=SUCCEEDED duration_ms="),
            std::string::npos)
      << daemon_->log();
}

}  // namespace
}  // namespace stepwise
