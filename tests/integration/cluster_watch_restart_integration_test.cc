// Integration test of WatchExecution and RestartExecution on any cluster
// node (server/watch_reactor.h, server/states_service_restart.cc,
// server/aws_json_forward.cc, engine/restart_execution.cc) with two real
// stepwised processes on the test's own PostgreSQL
// (tests/integration/cluster_nodes.h: 4 shards, 2 s leases, one secret):
// - a watch sent to the node that does not own the execution, started
//   mid-execution, gets every event id once, in order, through the close
//   (served from the database); so does one started after an event id, and
//   a watch from the tail ends when the execution closes;
// - a watch on the owner whose shard is taken from it mid-watch (its lease
//   bumped in the database) goes on from the database, without a repeat or
//   a gap;
// - the web console's watch (`/console/api/watch`) on the non-owner gives
//   the stored events, then each commit's, through the close;
// - RestartExecution (gRPC and Stepwise.RestartExecution over AWS JSON)
//   sent to the non-owner runs on the owner; the new execution lands on the
//   original's shard and is described through either node; a given name on
//   a shard the owner does not hold is refused with ValidationException and
//   nothing is started.
#include <chrono>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/postgres/shard_hash.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using namespace clustertest;  // NOLINT: the cluster tests' helpers
using testproc::Daemon;

constexpr char kRegionAccount[] = "arn:aws:states:us-east-1:123456789012:";

// What one WatchExecution stream delivered.
struct Watched {
  std::vector<int64_t> ids;
  std::vector<std::string> types;
  grpc::Status status;
};

// A WatchExecution stream read on a thread of its own.
class WatchStream {
 public:
  WatchStream(v1::States::Stub* stub, const std::string& arn, int64_t after) {
    ctx_.set_deadline(std::chrono::system_clock::now() + 25s);
    v1::WatchExecutionRequest req;
    req.set_execution_arn(arn);
    req.set_after_event_id(after);
    reader_ = stub->WatchExecution(&ctx_, req);
    thread_ = std::thread([this] {
      v1::HistoryEvent e;
      while (reader_->Read(&e)) {
        std::lock_guard<std::mutex> l(mu_);
        got_.ids.push_back(e.id());
        got_.types.push_back(e.type());
      }
      grpc::Status s = reader_->Finish();
      std::lock_guard<std::mutex> l(mu_);
      got_.status = s;
      done_ = true;
    });
  }
  ~WatchStream() {
    if (thread_.joinable()) {
      ctx_.TryCancel();
      thread_.join();
    }
  }
  // True once an event with id >= `id` arrived (waits at most 15 s).
  bool WaitFor(int64_t id) {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (!got_.ids.empty() && got_.ids.back() >= id) return true;
        if (done_) return false;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  // The whole stream, once it ended.
  Watched Finish() {
    thread_.join();
    return got_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::HistoryEvent>> reader_;
  std::thread thread_;
  std::mutex mu_;
  Watched got_;  // guarded by mu_
  bool done_ = false;
};

std::vector<int64_t> HistoryIds(v1::States::Stub* stub, const std::string& arn) {
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  req.set_max_results(1000);
  v1::GetExecutionHistoryResponse resp;
  grpc::Status s = stub->GetExecutionHistory(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<int64_t> ids;
  for (const auto& e : resp.events()) ids.push_back(e.id());
  return ids;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

class ClusterWatchRestartTest : public ClusterNodesTest {
 protected:
  void StartNodes() {
    port_a_ = FreePort();
    port_b_ = FreePort();
    addr_a_ = "127.0.0.1:" + std::to_string(port_a_);
    a_ = std::make_unique<Daemon>(uri_, NodeFlags(port_a_));
    ASSERT_TRUE(a_->Start()) << a_->log();
    b_ = std::make_unique<Daemon>(uri_, NodeFlags(port_b_));
    ASSERT_TRUE(b_->Start()) << b_->log();
    owners_ = WaitBalanced();
    ASSERT_EQ(owners_.size(), static_cast<size_t>(kShards)) << Sql("SELECT * FROM shards");
  }
  void TearDown() override {
    if (b_ != nullptr) {
      EXPECT_EQ(b_->Stop(), 0) << b_->log();
    }
    if (a_ != nullptr) {
      EXPECT_EQ(a_->Stop(), 0) << a_->log();
    }
  }

  // Creates machine `name` with `definition` through B; returns its ARN.
  std::string Machine(const std::string& name, const std::string& definition) {
    v1::CreateStateMachineRequest req;
    req.set_name(name);
    req.set_definition(definition);
    req.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse resp;
    grpc::Status s = b_->stub()->CreateStateMachine(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.state_machine_arn();
  }
  std::string Activity(const std::string& name) {
    v1::CreateActivityRequest req;
    req.set_name(name);
    v1::CreateActivityResponse resp;
    EXPECT_TRUE(b_->stub()->CreateActivity(Ctx().get(), req, &resp).ok());
    return resp.activity_arn();
  }
  // Starts `name` of `machine_arn` through B; returns the execution ARN.
  std::string Start(const std::string& machine_arn, const std::string& name) {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(machine_arn);
    req.set_name(name);
    v1::StartExecutionResponse resp;
    grpc::Status s = b_->stub()->StartExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << b_->log();
    return resp.execution_arn();
  }
  // Takes the task of `activity_arn` through A (any node hands out any task).
  std::string Task(const std::string& activity_arn) {
    v1::GetActivityTaskRequest poll;
    poll.set_activity_arn(activity_arn);
    v1::GetActivityTaskResponse task;
    EXPECT_TRUE(a_->stub()->GetActivityTask(Ctx().get(), poll, &task).ok());
    return task.task_token();
  }
  grpc::Status Succeed(Daemon* via, const std::string& token) {
    v1::SendTaskSuccessRequest req;
    req.set_task_token(token);
    req.set_output("{}");
    v1::SendTaskSuccessResponse resp;
    return via->stub()->SendTaskSuccess(Ctx().get(), req, &resp);
  }

  int port_a_ = 0, port_b_ = 0;
  std::string addr_a_;
  std::unique_ptr<Daemon> a_, b_;
  std::map<int, std::string> owners_;
};

constexpr char kTwoTasks[] =
    R"({"StartAt":"T1","States":{"T1":{"Type":"Task","Resource":"ACT","Next":"P"},)"
    R"("P":{"Type":"Pass","Next":"T2"},"T2":{"Type":"Task","Resource":"ACT","End":true}}})";

std::string WithActivity(std::string definition, const std::string& activity_arn) {
  for (size_t at; (at = definition.find("ACT")) != std::string::npos;) {
    definition.replace(at, 3, activity_arn);
  }
  return definition;
}

TEST_F(ClusterWatchRestartTest, WatchThroughTheNonOwnerGetsEveryEventOnceThroughTheClose) {
  ASSERT_NO_FATAL_FAILURE(StartNodes());
  const std::string activity = Activity("watched-work");
  const std::string machine = Machine("watched", WithActivity(kTwoTasks, activity));
  const std::string name = NameOwnedBy(owners_, addr_a_, "w-", "watched");
  const std::string arn = Start(machine, name);
  ASSERT_EQ(arn, ExecutionArn(name, "watched"));

  // Mid-execution: T1 done, T2 handed out.
  ASSERT_TRUE(Succeed(b_.get(), Task(activity)).ok());
  const std::string t2 = Task(activity);
  ASSERT_FALSE(t2.empty());
  const std::vector<int64_t> so_far = HistoryIds(b_->stub(), arn);
  ASSERT_GE(so_far.size(), 8u);

  // Through B, which does not own it: from the start, after event 3, and
  // from the tail (only the close).
  WatchStream all(b_->stub(), arn, 0);
  WatchStream after3(b_->stub(), arn, 3);
  WatchStream tail(b_->stub(), arn, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(all.WaitFor(so_far.back())) << b_->log();
  ASSERT_TRUE(after3.WaitFor(so_far.back())) << b_->log();
  // Then the rest, as it happens (the read follows the database).
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(Succeed(b_.get(), t2).ok());

  Watched w = all.Finish();
  ASSERT_TRUE(w.status.ok()) << w.status.error_message() << "\n" << b_->log();
  const std::vector<int64_t> ids = HistoryIds(a_->stub(), arn);
  ASSERT_GT(ids.size(), so_far.size());
  EXPECT_EQ(w.ids, Range(1, static_cast<int64_t>(ids.size())));
  EXPECT_EQ(w.ids, ids);
  EXPECT_EQ(w.types.back(), "ExecutionSucceeded");
  Watched w3 = after3.Finish();
  ASSERT_TRUE(w3.status.ok()) << w3.status.error_message();
  EXPECT_EQ(w3.ids, Range(4, static_cast<int64_t>(ids.size())));
  Watched wt = tail.Finish();
  EXPECT_TRUE(wt.status.ok()) << wt.status.error_message();
  EXPECT_TRUE(wt.ids.empty());

  // A closed execution watched through B: its history, then the end.
  WatchStream closed(b_->stub(), arn, 0);
  Watched wc = closed.Finish();
  ASSERT_TRUE(wc.status.ok()) << wc.status.error_message();
  EXPECT_EQ(wc.ids, ids);
  // One that does not exist: the owner's error, through B.
  WatchStream missing(b_->stub(), ExecutionArn(NameOwnedBy(owners_, addr_a_, "none-", "watched"),
                                               "watched"),
                      0);
  Watched wm = missing.Finish();
  EXPECT_EQ(wm.status.error_code(), grpc::StatusCode::NOT_FOUND) << wm.status.error_message();
}

// The web console's history and live view (`/console/api/watch`, a long
// poll of server-sent events) on the node that does not own the
// execution: the stored events at once, then what each commit adds,
// through the close (read from the database).
TEST_F(ClusterWatchRestartTest, ConsoleWatchThroughTheNonOwnerFollowsTheExecution) {
  ASSERT_NO_FATAL_FAILURE(StartNodes());
  const std::string activity = Activity("console-work");
  const std::string machine = Machine("console", WithActivity(kTwoTasks, activity));
  const std::string name = NameOwnedBy(owners_, addr_a_, "c-", "console");
  const std::string arn = Start(machine, name);
  const std::string t1 = Task(activity);
  ASSERT_FALSE(t1.empty());
  const std::vector<int64_t> so_far = HistoryIds(b_->stub(), arn);
  ASSERT_GE(so_far.size(), 3u);
  // SSE ids of a console watch answer, and whether it said "end".
  auto ids_of = [](const std::string& body) {
    std::vector<int64_t> ids;
    for (size_t at = 0; (at = body.find("id: ", at)) != std::string::npos; at += 4) {
      ids.push_back(std::atoll(body.c_str() + at + 4));
    }
    return ids;
  };
  const std::string path = "/console/api/watch?arn=" + arn + "&after=";

  // The history so far, at once.
  auto [st, body] = Http(b_->http_port(), path + "0");
  ASSERT_EQ(st, 200) << body << "\n" << b_->log();
  EXPECT_EQ(ids_of(body), so_far) << body;
  EXPECT_EQ(body.find("event: end"), std::string::npos) << body;

  // A long poll after the last event is answered with the next commit's
  // events (sent through B, run on A).
  std::pair<int, std::string> next;
  std::thread poll([&] { next = Http(b_->http_port(), path + std::to_string(so_far.back())); });
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(Succeed(b_.get(), t1).ok());
  poll.join();
  ASSERT_EQ(next.first, 200) << next.second;
  std::vector<int64_t> got = ids_of(next.second);
  ASSERT_FALSE(got.empty()) << next.second;
  EXPECT_EQ(got.front(), so_far.back() + 1) << next.second;

  // Through the close: the rest, then "end".
  const std::string t2 = Task(activity);
  ASSERT_FALSE(t2.empty());
  ASSERT_TRUE(Succeed(a_.get(), t2).ok());
  EXPECT_EQ(FinalStatus(a_->stub(), arn), "SUCCEEDED");
  const std::vector<int64_t> ids = HistoryIds(a_->stub(), arn);
  auto [st2, rest] = Http(b_->http_port(), path + std::to_string(got.back()));
  ASSERT_EQ(st2, 200) << rest;
  std::vector<int64_t> tail = ids_of(rest);
  got.insert(got.end(), tail.begin(), tail.end());
  EXPECT_EQ(got, std::vector<int64_t>(ids.begin() + static_cast<long>(so_far.size()), ids.end()));
  EXPECT_NE(rest.find("event: end"), std::string::npos) << rest;
  // An execution that does not exist: the console's 400, naming it.
  const std::string none = ExecutionArn(NameOwnedBy(owners_, addr_a_, "none-", "console"), "console");
  auto [sn, missing] = Http(b_->http_port(), "/console/api/watch?arn=" + none + "&after=0");
  EXPECT_EQ(sn, 400) << missing;
  EXPECT_NE(missing.find("ExecutionDoesNotExist"), std::string::npos) << missing;
}

TEST_F(ClusterWatchRestartTest, WatchOnTheOwnerGoesOnFromTheDatabaseWhenItsShardMoves) {
  ASSERT_NO_FATAL_FAILURE(StartNodes());
  const std::string activity = Activity("moved-work");
  const std::string machine = Machine("moved", WithActivity(kTwoTasks, activity));
  const std::string name = NameOwnedBy(owners_, addr_a_, "m-", "moved");
  const std::string arn = Start(machine, name);
  const int shard = storage::ShardOfExecution(arn, kShards);
  const std::string t1 = Task(activity);
  ASSERT_FALSE(t1.empty());

  // Watched on A, its owner (the engine's watch, from memory).
  WatchStream w(a_->stub(), arn, 0);
  const std::vector<int64_t> so_far = HistoryIds(b_->stub(), arn);
  ASSERT_TRUE(w.WaitFor(so_far.back()));

  // The shard's lease taken from A in the database: A drops the execution
  // and its watch, which goes on from the database.
  Sql("UPDATE shards SET range_id = range_id + 1, lease_until = now() - interval '1 second' "
      "WHERE shard_id = " + std::to_string(shard));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         a_->log().find("following it from the database") == std::string::npos) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(a_->log().find("following it from the database"), std::string::npos) << a_->log();

  // The rest of the execution, wherever it runs now.
  grpc::Status s;
  for (int i = 0; i < 100; ++i) {
    s = Succeed(b_.get(), t1);
    if (s.ok() || s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(100ms);  // the shard has no owner yet
  }
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string t2 = Task(activity);
  ASSERT_FALSE(t2.empty());
  ASSERT_TRUE(Succeed(b_.get(), t2).ok());

  Watched got = w.Finish();
  ASSERT_TRUE(got.status.ok()) << got.status.error_message() << "\n" << a_->log();
  const std::vector<int64_t> ids = HistoryIds(b_->stub(), arn);
  EXPECT_EQ(got.ids, Range(1, static_cast<int64_t>(ids.size())));
  EXPECT_EQ(got.ids, ids);
  EXPECT_EQ(got.types.back(), "ExecutionSucceeded");
}

TEST_F(ClusterWatchRestartTest, RestartThroughTheNonOwnerRunsOnTheOwnerOnItsShard) {
  ASSERT_NO_FATAL_FAILURE(StartNodes());
  const std::string machine =
      Machine("rs", R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},)"
                    R"("B":{"Type":"Pass","End":true}}})");
  const std::string name = NameOwnedBy(owners_, addr_a_, "r-", "rs");
  const std::string arn = Start(machine, name);
  ASSERT_EQ(FinalStatus(b_->stub(), arn), "SUCCEEDED");
  const int shard = storage::ShardOfExecution(arn, kShards);

  // gRPC, no name: the owner picks one on the original's shard.
  v1::RestartExecutionRequest req;
  req.set_execution_arn(arn);
  req.set_state_name("B");
  v1::RestartExecutionResponse resp;
  grpc::Status s = b_->stub()->RestartExecution(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << b_->log();
  const std::string restarted = resp.execution_arn();
  EXPECT_EQ(restarted.rfind(std::string(kRegionAccount) + "execution:rs:" + name + "-restart-1", 0),
            0u)
      << restarted;
  EXPECT_EQ(storage::ShardOfExecution(restarted, kShards), shard) << restarted;
  EXPECT_EQ(FinalStatus(a_->stub(), restarted), "SUCCEEDED");
  EXPECT_EQ(FinalStatus(b_->stub(), restarted), "SUCCEEDED");
  // The same restart again: a new one, the second.
  s = b_->stub()->RestartExecution(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(resp.execution_arn(), restarted);
  EXPECT_NE(resp.execution_arn().find(name + "-restart-2"), std::string::npos)
      << resp.execution_arn();
  EXPECT_EQ(storage::ShardOfExecution(resp.execution_arn(), kShards), shard);

  // AWS JSON, through B, no name.
  auto [st, body] = Http(b_->http_port(), "/", "Stepwise.RestartExecution",
                         R"({"executionArn":")" + arn + R"(","stateName":"A"})");
  ASSERT_EQ(st, 200) << body << "\n" << b_->log();
  size_t at = body.find(R"("executionArn":")");
  ASSERT_NE(at, std::string::npos) << body;
  std::string aws_arn = body.substr(at + 16, body.find('"', at + 16) - at - 16);
  EXPECT_EQ(storage::ShardOfExecution(aws_arn, kShards), shard) << aws_arn;
  EXPECT_EQ(FinalStatus(b_->stub(), aws_arn), "SUCCEEDED");
  EXPECT_NE(body.find(R"("startDate":)"), std::string::npos) << body;

  // A given name on a shard A does not hold: refused, nothing started.
  const std::string elsewhere = NameOwnedBy(owners_, "127.0.0.1:" + std::to_string(port_b_),
                                            "on-b-", "rs");
  req.set_name(elsewhere);
  s = b_->stub()->RestartExecution(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("does not hold"), std::string::npos) << s.error_message();
  EXPECT_NE(Status(b_->stub(), ExecutionArn(elsewhere, "rs")).find("Does Not Exist"),
            std::string::npos);
  auto [vs, refused] = Http(b_->http_port(), "/", "Stepwise.RestartExecution",
                            R"({"executionArn":")" + arn + R"(","stateName":"A","name":")" +
                                elsewhere + R"("})");
  EXPECT_EQ(vs, 400) << refused;
  EXPECT_NE(refused.find("ValidationException"), std::string::npos) << refused;
  // A given name on A's shard: started there.
  const std::string here = NameOwnedBy(owners_, addr_a_, "on-a-", "rs");
  req.set_name(here);
  s = b_->stub()->RestartExecution(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.execution_arn(), ExecutionArn(here, "rs"));
  EXPECT_EQ(FinalStatus(b_->stub(), resp.execution_arn()), "SUCCEEDED");
}

}  // namespace
}  // namespace stepwise
