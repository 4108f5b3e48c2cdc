// Tests of the Lambda Runtime API logic (LambdaRuntimeApi, with a fake
// function queue instead of stepwised), of its HTTP transport
// (RuntimeApiServer, over real loopback HTTP) and of lambda-runtime's
// helpers. tests/lambda runs AWS's own runtime client against the whole.
#include "cli/lambda_runtime_api.h"

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "cli/lambda_runtime.h"
#include "cli/runtime_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A function queue in memory: Poll hands out what Push queued, or an empty
// response after a short long poll; the reports are recorded.
class FakeSource : public FunctionTaskSource {
 public:
  struct Report {
    std::string token, output, error, cause;
    bool success = false;
  };

  void Push(const std::string& token, const std::string& request_id,
            const std::string& payload, int64_t deadline_ms = 0,
            const std::string& client_context = "") {
    v1::GetFunctionTaskResponse t;
    t.set_task_token(token);
    t.set_request_id(request_id);
    t.set_payload(payload);
    t.set_function_arn("arn:aws:lambda:us-east-1:123456789012:function:fn");
    t.set_deadline_ms(deadline_ms);
    t.set_client_context(client_context);
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(t);
    cv_.notify_all();
  }

  absl::StatusOr<v1::GetFunctionTaskResponse> Poll(CallCanceller* canceller) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++polls_;
    cv_.wait_for(lock, std::chrono::milliseconds(50),
                 [&] { return !tasks_.empty() || canceller->cancelled(); });
    if (canceller->cancelled()) return absl::CancelledError("call cancelled");
    if (tasks_.empty()) return v1::GetFunctionTaskResponse();
    v1::GetFunctionTaskResponse t = tasks_.front();
    tasks_.pop_front();
    handed_out.store(true);
    return t;
  }
  absl::Status Succeed(const std::string& token, const std::string& output) override {
    std::lock_guard<std::mutex> lock(mu_);
    reports_.push_back({token, output, "", "", true});
    return absl::OkStatus();
  }
  absl::Status Fail(const std::string& token, const std::string& error,
                    const std::string& cause) override {
    std::lock_guard<std::mutex> lock(mu_);
    reports_.push_back({token, "", error, cause, false});
    return absl::OkStatus();
  }
  void StartHeartbeats(const std::string& token, absl::Time until) override {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeating_.insert(token);
    heartbeat_until_[token] = until;
  }
  void StopHeartbeats(const std::string& token) override {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeating_.erase(token);
  }

  std::vector<Report> reports() {
    std::lock_guard<std::mutex> lock(mu_);
    return reports_;
  }
  std::set<std::string> heartbeating() {
    std::lock_guard<std::mutex> lock(mu_);
    return heartbeating_;
  }
  int polls() {
    std::lock_guard<std::mutex> lock(mu_);
    return polls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::GetFunctionTaskResponse> tasks_;
  std::vector<Report> reports_;
  std::set<std::string> heartbeating_;
  int polls_ = 0;

 public:
  std::map<std::string, absl::Time> heartbeat_until_;
  std::atomic<bool> handed_out{false};  // Poll has returned an invocation
};

RuntimeRequest Get(const std::string& target) { return {"GET", target, {}, "", nullptr}; }
RuntimeRequest Post(const std::string& target, const std::string& body,
                    std::map<std::string, std::string> headers = {}) {
  return {"POST", target, std::move(headers), body, nullptr};
}

constexpr char kNext[] = "/2018-06-01/runtime/invocation/next";
std::string ResponsePath(const std::string& id) {
  return "/2018-06-01/runtime/invocation/" + id + "/response";
}
std::string ErrorPath(const std::string& id) {
  return "/2018-06-01/runtime/invocation/" + id + "/error";
}

class LambdaRuntimeApiTest : public ::testing::Test {
 protected:
  std::vector<std::string> errors_;
  FakeSource source_;
  LambdaRuntimeApi api_{&source_, [this](const std::string& e) { errors_.push_back(e); }};
};

TEST_F(LambdaRuntimeApiTest, NextHandsOutTheInvocationWithLambdasHeaders) {
  std::string context = absl::Base64Escape(R"({"custom":{"k":"v"}})");
  source_.Push("tok-1", "req-1", R"({"x":1})", 1893456000000, context);
  RuntimeResponse r = api_.Handle(Get(kNext));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"x":1})");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.headers["Lambda-Runtime-Aws-Request-Id"], "req-1");
  EXPECT_EQ(r.headers["Lambda-Runtime-Deadline-Ms"], "1893456000000");
  EXPECT_EQ(r.headers["Lambda-Runtime-Invoked-Function-Arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:fn");
  EXPECT_THAT(r.headers["Lambda-Runtime-Trace-Id"],
              MatchesRegex("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0"));
  // Runtimes get the client context as JSON, not base64.
  EXPECT_EQ(r.headers["Lambda-Runtime-Client-Context"], R"({"custom":{"k":"v"}})");
  EXPECT_EQ(source_.heartbeating(), std::set<std::string>{"tok-1"});
  // Heartbeats stop at the invocation's deadline.
  EXPECT_EQ(source_.heartbeat_until_["tok-1"], absl::FromUnixMillis(1893456000000));
  EXPECT_EQ(api_.in_flight(), 1u);
}

TEST_F(LambdaRuntimeApiTest, NextWithoutTaskTimeoutGetsFifteenMinutes) {
  source_.Push("tok-1", "req-1", "{}");
  int64_t before = absl::ToUnixMillis(absl::Now());
  RuntimeResponse r = api_.Handle(Get(kNext));
  int64_t deadline = std::stoll(r.headers["Lambda-Runtime-Deadline-Ms"]);
  EXPECT_GE(deadline, before + kDefaultInvocationMs);
  EXPECT_LE(deadline, absl::ToUnixMillis(absl::Now()) + kDefaultInvocationMs);
  EXPECT_EQ(r.headers.count("Lambda-Runtime-Client-Context"), 0u);
}

TEST_F(LambdaRuntimeApiTest, NextKeepsPollingUntilAnInvocationArrives) {
  auto next = std::async(std::launch::async, [this] { return api_.Handle(Get(kNext)); });
  while (source_.polls() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  source_.Push("tok-1", "req-1", "[1]");
  EXPECT_EQ(next.get().body, "[1]");
}

TEST_F(LambdaRuntimeApiTest, ResponseReportsSuccessOnceThen400) {
  source_.Push("tok-1", "req-1", "{}");
  api_.Handle(Get(kNext));
  RuntimeResponse r = api_.Handle(Post(ResponsePath("req-1"), R"({"ok":true})"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, R"({"status":"OK"})");
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_TRUE(source_.reports()[0].success);
  EXPECT_EQ(source_.reports()[0].token, "tok-1");
  EXPECT_EQ(source_.reports()[0].output, R"({"ok":true})");
  EXPECT_TRUE(source_.heartbeating().empty());
  // Reported already: AWS answers InvalidRequestID.
  RuntimeResponse again = api_.Handle(Post(ResponsePath("req-1"), "{}"));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body, R"({"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"})");
  EXPECT_EQ(source_.reports().size(), 1u);
}

TEST_F(LambdaRuntimeApiTest, ResponseBodiesThatAreNotJsonBecomeStrings) {
  EXPECT_EQ(LambdaRuntimeApi::OutputFromResponseBody("hello"), R"("hello")");
  EXPECT_EQ(LambdaRuntimeApi::OutputFromResponseBody(""), "null");
  EXPECT_EQ(LambdaRuntimeApi::OutputFromResponseBody("42"), "42");
  EXPECT_EQ(LambdaRuntimeApi::OutputFromResponseBody(R"("s")"), R"("s")");
}

TEST_F(LambdaRuntimeApiTest, RequestIdInThePathIsUrlDecoded) {
  source_.Push("tok-1", "a b", "{}");
  api_.Handle(Get(kNext));
  EXPECT_EQ(api_.Handle(Post(ResponsePath("a%20b"), "1")).status, 202);
}

TEST_F(LambdaRuntimeApiTest, ErrorReportsTheErrorTypeAndTheDocumentAsCause) {
  source_.Push("tok-1", "req-1", "{}");
  api_.Handle(Get(kNext));
  std::string body =
      R"({"errorType":"CustomError","errorMessage":"boom","trace":["CustomError: boom","    at x"]})";
  RuntimeResponse r = api_.Handle(
      Post(ErrorPath("req-1"), body, {{"lambda-runtime-function-error-type", "Unhandled"}}));
  EXPECT_EQ(r.status, 202);
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_FALSE(source_.reports()[0].success);
  EXPECT_EQ(source_.reports()[0].error, "CustomError");
  EXPECT_EQ(source_.reports()[0].cause, body);
  EXPECT_TRUE(source_.heartbeating().empty());
}

TEST(LambdaRuntimeFailureTest, ErrorNameFallsBackToTheHeaderThenNone) {
  auto f = LambdaRuntimeApi::FailureFromErrorBody(R"({"errorMessage":"m"})", "Runtime.Custom");
  EXPECT_EQ(f.error, "Runtime.Custom");
  EXPECT_EQ(f.cause, R"({"errorMessage":"m"})");
  // No type at all: stepwised makes it Lambda.Unknown.
  f = LambdaRuntimeApi::FailureFromErrorBody("not json", "Unhandled");
  EXPECT_EQ(f.error, "");
  EXPECT_EQ(f.cause, "not json");
  f = LambdaRuntimeApi::FailureFromErrorBody("", "");
  EXPECT_EQ(f.error, "");
  EXPECT_EQ(f.cause, "");
  f = LambdaRuntimeApi::FailureFromErrorBody(std::string(40000, 'x'), "");
  EXPECT_EQ(f.cause.size(), 32768u);
}

TEST_F(LambdaRuntimeApiTest, UnknownRequestIdPathAndMethod) {
  EXPECT_EQ(api_.Handle(Post(ResponsePath("nope"), "{}")).status, 400);
  EXPECT_EQ(api_.Handle(Post(ErrorPath("nope"), "{}")).status, 400);
  EXPECT_EQ(api_.Handle(Get("/2018-06-01/runtime/invocation/x/bogus")).status, 404);
  EXPECT_EQ(api_.Handle(Get("/2020-01-01/extension/register")).status, 404);
  EXPECT_EQ(api_.Handle(Post(kNext, "")).status, 405);
  EXPECT_EQ(api_.Handle(Get(ResponsePath("x"))).status, 405);
  EXPECT_TRUE(source_.reports().empty());
}

TEST_F(LambdaRuntimeApiTest, ResponseOverSixMegabytesFailsTheInvocation) {
  source_.Push("tok-1", "req-1", "{}");
  api_.Handle(Get(kNext));
  RuntimeResponse r =
      api_.Handle(Post(ResponsePath("req-1"), std::string(kMaxLambdaPayloadBytes + 1, 'a')));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr(R"("errorType":"RequestEntityTooLarge")"));
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_EQ(source_.reports()[0].error, "Function.ResponseSizeTooLarge");
}

TEST_F(LambdaRuntimeApiTest, FailInFlightReportsRuntimeExitError) {
  source_.Push("tok-1", "req-1", "{}");
  api_.Handle(Get(kNext));
  EXPECT_EQ(api_.FailInFlight("Runtime exited with error: exit status 3"), 1);
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_EQ(source_.reports()[0].error, "Runtime.ExitError");
  EXPECT_EQ(source_.reports()[0].cause,
            R"({"errorMessage":"RequestId: req-1 Error: Runtime exited with error: exit status 3",)"
            R"("errorType":"Runtime.ExitError"})");
  EXPECT_TRUE(source_.heartbeating().empty());
  EXPECT_EQ(api_.in_flight(), 0u);
}

TEST_F(LambdaRuntimeApiTest, InitErrorFailsTheInvocationInFlight) {
  source_.Push("tok-1", "req-1", "{}");
  api_.Handle(Get(kNext));
  std::string body = R"({"errorType":"Runtime.UnhandledPromiseRejection","errorMessage":"x"})";
  EXPECT_EQ(api_.Handle(Post("/2018-06-01/runtime/init/error", body)).status, 202);
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_EQ(source_.reports()[0].error, "Runtime.UnhandledPromiseRejection");
  EXPECT_EQ(source_.reports()[0].cause, body);
  EXPECT_FALSE(api_.TakeInitError().has_value());
}

TEST_F(LambdaRuntimeApiTest, InitErrorBeforeAnyInvocationIsKept) {
  std::string body = R"({"errorType":"Runtime.ImportModuleError","errorMessage":"no module"})";
  api_.Handle(Post("/2018-06-01/runtime/init/error", body));
  std::optional<InitError> e = api_.TakeInitError();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->error_type, "Runtime.ImportModuleError");
  EXPECT_EQ(e->body, body);
  EXPECT_FALSE(api_.TakeInitError().has_value());
  EXPECT_TRUE(source_.reports().empty());
}

TEST_F(LambdaRuntimeApiTest, CancelPollsAnswersAWaitingNextAndLaterOnesUntilResume) {
  auto next = std::async(std::launch::async, [this] { return api_.Handle(Get(kNext)); });
  while (source_.polls() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  api_.CancelPolls();
  EXPECT_EQ(next.get().status, 500);
  EXPECT_EQ(api_.Handle(Get(kNext)).status, 500);
  api_.Resume();
  source_.Push("tok-1", "req-1", "{}");
  EXPECT_EQ(api_.Handle(Get(kNext)).status, 200);
}

TEST_F(LambdaRuntimeApiTest, NextStopsPollingWhenTheRuntimeHangsUp) {
  std::atomic<bool> gone{false};
  RuntimeRequest next = Get(kNext);
  next.client_gone = [&gone] { return gone.load(); };
  auto reply = std::async(std::launch::async, [&] { return api_.Handle(next); });
  while (source_.polls() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  gone.store(true);
  EXPECT_EQ(reply.get().status, 500);
  // Nothing was handed out: the next runtime gets the invocation.
  source_.Push("tok-1", "req-1", "{}");
  EXPECT_EQ(api_.Handle(Get(kNext)).headers["Lambda-Runtime-Aws-Request-Id"], "req-1");
  EXPECT_TRUE(source_.reports().empty());
}

TEST_F(LambdaRuntimeApiTest, InvocationHandedOutAsTheRuntimeHangsUpFails) {
  source_.Push("tok-1", "req-1", "{}");
  RuntimeRequest next = Get(kNext);
  // Still there while polling, gone once the invocation is handed out.
  next.client_gone = [this] { return source_.handed_out.load(); };
  EXPECT_EQ(api_.Handle(next).status, 500);
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_EQ(source_.reports()[0].error, "Runtime.ExitError");
  EXPECT_EQ(api_.in_flight(), 0u);
  EXPECT_TRUE(source_.heartbeating().empty());
}

// Over loopback HTTP, as a runtime talks to it.
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

class RuntimeApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<RuntimeApiServer>(
        [this](const RuntimeRequest& r) { return api_.Handle(r); }, 1024);
    ASSERT_TRUE(server_->Start("127.0.0.1", 0).ok());
    boost::asio::connect(socket_, tcp::resolver(io_).resolve("127.0.0.1",
                                                             std::to_string(server_->port())));
  }
  void TearDown() override {
    boost::beast::error_code ignored;
    socket_.close(ignored);
    api_.CancelPolls();  // a /next still waiting
    server_->Stop();
  }

  http::response<http::string_body> Send(http::verb verb, const std::string& target,
                                         const std::string& body) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return res;
  }

  FakeSource source_;
  LambdaRuntimeApi api_{&source_, [](const std::string&) {}};
  std::unique_ptr<RuntimeApiServer> server_;
  boost::asio::io_context io_;
  tcp::socket socket_{io_};
  boost::beast::flat_buffer buffer_;
};

TEST_F(RuntimeApiServerTest, NextAndResponseOnOneKeptAliveConnection) {
  source_.Push("tok-1", "req-1", R"({"a":1})");
  auto next = Send(http::verb::get, kNext, "");
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), R"({"a":1})");
  EXPECT_EQ(next["Lambda-Runtime-Aws-Request-Id"], "req-1");
  EXPECT_EQ(next[http::field::content_type], "application/json");
  auto done = Send(http::verb::post, ResponsePath("req-1"), R"("r")");
  EXPECT_EQ(done.result_int(), 202);
  ASSERT_EQ(source_.reports().size(), 1u);
  EXPECT_EQ(source_.reports()[0].output, R"("r")");
  EXPECT_EQ(Send(http::verb::get, "/nope", "").result_int(), 404);
}

TEST_F(RuntimeApiServerTest, ARuntimeThatHangsUpDuringNextIsHandedNothing) {
  http::request<http::string_body> req{http::verb::get, kNext, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(socket_, req);
  while (source_.polls() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  socket_.close();
  // Its poll ends (the fake's polls stop) before an invocation arrives.
  int polls = 0;
  for (int i = 0; i < 100 && polls != source_.polls(); ++i) {
    polls = source_.polls();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  source_.Push("tok-1", "req-1", "{}");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(source_.reports().empty());
  EXPECT_EQ(api_.in_flight(), 0u);
  boost::asio::connect(socket_, tcp::resolver(io_).resolve("127.0.0.1",
                                                           std::to_string(server_->port())));
  EXPECT_EQ(Send(http::verb::get, kNext, "")["Lambda-Runtime-Aws-Request-Id"], "req-1");
}

TEST_F(RuntimeApiServerTest, BodyOverTheLimitIs413) {
  auto res = Send(http::verb::post, ResponsePath("x"), std::string(2000, 'a'));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_THAT(res.body(), HasSubstr("RequestEntityTooLarge"));
}

TEST_F(RuntimeApiServerTest, StopEndsAnIdleKeptAliveConnection) {
  EXPECT_EQ(Send(http::verb::get, "/nope", "").result_int(), 404);
  server_->Stop();  // must not hang on the open connection
  boost::beast::error_code ec;
  http::response<http::string_body> res;
  http::read(socket_, buffer_, res, ec);
  EXPECT_TRUE(ec);
}

TEST(LambdaRuntimeHelpersTest, ExitReasonWordsItAsAws) {
  EXPECT_EQ(ExitReason(1 << 8), "Runtime exited with error: exit status 1");
  EXPECT_EQ(ExitReason(0), "Runtime exited without providing a reason");
  EXPECT_EQ(ExitReason(SIGKILL), "Runtime exited with error: signal: killed");
}

TEST(LambdaRuntimeHelpersTest, LambdaEnvironmentHasTheStandardVariables) {
  std::vector<std::string> env = LambdaEnvironment(
      "fn", "127.0.0.1:9001", 256, "/srv/fn", absl::FromUnixSeconds(1765000000));
  EXPECT_THAT(env, ::testing::IsSupersetOf({
                       std::string("AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"),
                       std::string("AWS_LAMBDA_FUNCTION_NAME=fn"),
                       std::string("AWS_LAMBDA_FUNCTION_VERSION=$LATEST"),
                       std::string("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256"),
                       std::string("AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn"),
                       std::string("LAMBDA_TASK_ROOT=/srv/fn"),
                   }));
  bool stream = false;
  for (const std::string& e : env) {
    if (e.rfind("AWS_LAMBDA_LOG_STREAM_NAME=", 0) == 0) {
      stream = true;
      EXPECT_THAT(e, MatchesRegex(R"(AWS_LAMBDA_LOG_STREAM_NAME=2025/12/06/\[\$LATEST\][0-9a-f]{32})"));
    }
  }
  EXPECT_TRUE(stream);
}

}  // namespace
}  // namespace stepwise::client
