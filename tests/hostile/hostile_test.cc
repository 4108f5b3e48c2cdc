// Hostile input against the real stepwised on loopback, on both APIs (gRPC
// and the AWS JSON endpoint): payloads at and over 256 KiB, JSON nested
// 10,000 deep, invalid UTF-8, a 10 MiB definition, wrong member types and
// unknown members, forbidden names, forged/truncated/replayed/expired task
// tokens, 1,000 concurrent long polls per API, slow and half-open HTTP
// connections. Each refused call must get the AWS-shaped error naming the
// problem; afterwards the daemon must still answer (health, Describe on
// both APIs) and everything stored must be exactly as before (Snapshot).
#include <atomic>
#include <mutex>
#include <set>

#include "google/protobuf/descriptor.h"
#include "tests/hostile/daemon.h"

namespace stepwise::hostile {
namespace {

constexpr char kAccount[] = "arn:aws:states:us-east-1:123456789012:";
constexpr char kPassDef[] =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}})";

std::string ActivityDef(const std::string& activity, const std::string& extra = "") {
  return R"({"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":")" +
         std::string(kAccount) + "activity:" + activity + "\"" + extra + R"(,"End":true}}})";
}

std::string MachineArn(const std::string& name) {
  return std::string(kAccount) + "stateMachine:" + name;
}
std::string ActivityArn(const std::string& name) {
  return std::string(kAccount) + "activity:" + name;
}

std::string Nested(int depth) {
  return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']');
}

// {"p":"xxx..."} of exactly `size` bytes.
std::string PayloadOfSize(size_t size) {
  std::string s = R"({"p":")";
  s += std::string(size - s.size() - 2, 'x');
  s += "\"}";
  return s;
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(MakeTempDir("data"),
                                       std::vector<std::string>{"--http-timeout", "3"});
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
    stub_ = daemon_->stub();
    http_ = daemon_->http_port();
    for (const char* a : {"parked", "tokens", "polls", "polls2"}) {
      v1::CreateActivityRequest req;
      req.set_name(a);
      v1::CreateActivityResponse resp;
      ASSERT_TRUE(stub_->CreateActivity(Ctx().get(), req, &resp).ok());
    }
    Create("Seed", kPassDef);
    Create("Parked", ActivityDef("parked"));
    Create("Tokens", ActivityDef("tokens"));
    Create("Expiring", ActivityDef("tokens", R"(,"TimeoutSeconds":1)"));
    Create("Polls", ActivityDef("polls"));
    Create("Polls2", ActivityDef("polls2"));
    std::string done = Start("Seed", "done1", R"({"a":1})");
    WaitStatus(done, "SUCCEEDED");
    Start("Parked", "parked1", "{}");
  }

  void TearDown() override {
    if (daemon_ != nullptr && !HasFatalFailure()) {
      EXPECT_TRUE(daemon_->Alive()) << "stepwised died:\n" << daemon_->log();
    }
  }

  void Create(const std::string& name, const std::string& def) {
    v1::CreateStateMachineRequest req;
    req.set_name(name);
    req.set_definition(def);
    req.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse resp;
    grpc::Status s = stub_->CreateStateMachine(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::string Start(const std::string& machine, const std::string& name,
                    const std::string& input) {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(MachineArn(machine));
    req.set_name(name);
    req.set_input(input);
    v1::StartExecutionResponse resp;
    grpc::Status s = stub_->StartExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.execution_arn();
  }

  grpc::Status StartStatus(const std::string& machine, const std::string& name,
                           const std::string& input) {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(MachineArn(machine));
    req.set_name(name);
    req.set_input(input);
    v1::StartExecutionResponse resp;
    return stub_->StartExecution(Ctx().get(), req, &resp);
  }

  void WaitStatus(const std::string& arn, const std::string& status) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    v1::DescribeExecutionResponse resp;
    while (std::chrono::steady_clock::now() < deadline) {
      v1::DescribeExecutionRequest req;
      req.set_execution_arn(arn);
      resp.Clear();
      ASSERT_TRUE(stub_->DescribeExecution(Ctx().get(), req, &resp).ok());
      if (resp.status() == status) return;
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << arn << " is " << resp.status() << ", not " << status;
  }

  // A task from `activity` over gRPC (one long poll).
  v1::GetActivityTaskResponse PollGrpc(const std::string& activity) {
    v1::GetActivityTaskRequest req;
    req.set_activity_arn(ActivityArn(activity));
    req.set_worker_name("hostile");
    v1::GetActivityTaskResponse resp;
    grpc::Status s = stub_->GetActivityTask(Ctx(20s).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // The daemon is up and answers on both APIs, promptly.
  void ExpectResponsive() {
    ASSERT_TRUE(daemon_->Alive()) << "stepwised died:\n" << daemon_->log();
    auto t0 = std::chrono::steady_clock::now();
    HttpReply h = Http(http_, "GET", "/healthz", {}, "", 5s);
    EXPECT_EQ(h.status, 200);
    v1::DescribeStateMachineRequest req;
    req.set_state_machine_arn(MachineArn("Seed"));
    v1::DescribeStateMachineResponse resp;
    grpc::Status s = stub_->DescribeStateMachine(Ctx(5s).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    AwsReply a = Aws(http_, "DescribeStateMachine",
                     J({{"stateMachineArn", MachineArn("Seed")}}), "", 5s);
    EXPECT_EQ(a.status, 200) << a.raw;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  }

  // The gRPC status carries AWS's error `name` and a message containing `words`.
  static void ExpectGrpcError(const grpc::Status& s, const std::string& name,
                              const std::string& words) {
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(ErrorName(s), name) << s.error_message();
    EXPECT_NE(s.error_message().find(words), std::string::npos)
        << "'" << s.error_message() << "' does not name '" << words << "'";
  }

  // A request whose bytes did not decode: INVALID_ARGUMENT carrying
  // SerializationException and a message naming the request type.
  static void ExpectUndecodable(const grpc::Status& s, const std::string& request_type) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    ExpectGrpcError(s, "SerializationException", request_type);
    EXPECT_NE(s.error_message().find("does not decode"), std::string::npos) << s.error_message();
  }

  // The AWS reply is error `name` (status 400 or `status`), shaped as AWS
  // shapes it, with a message containing `words`.
  static void ExpectAwsError(const AwsReply& r, const std::string& name, const std::string& words,
                             int status = 400) {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.type, name) << r.raw;
    EXPECT_EQ(r.error_type_header, name) << r.raw;
    EXPECT_NE(r.message.find(words), std::string::npos)
        << "'" << r.message << "' does not name '" << words << "'";
  }

  std::unique_ptr<Daemon> daemon_;
  v1::States::Stub* stub_ = nullptr;
  int http_ = 0;
};

TEST_F(HostileTest, PayloadsJustUnderTheLimitPassAndJustOverAreRefused) {
  const std::string under = PayloadOfSize(262144);
  const std::string over = PayloadOfSize(262145);
  ASSERT_EQ(under.size(), 262144u);
  // At the limit: accepted on both APIs.
  std::string arn = Start("Seed", "under-grpc", under);
  WaitStatus(arn, "SUCCEEDED");
  AwsReply ok = Aws(http_, "StartExecution",
                    J({{"stateMachineArn", MachineArn("Seed")}, {"name", "under-aws"},
                       {"input", under}}));
  EXPECT_EQ(ok.status, 200) << ok.raw.substr(0, 300);

  std::string before = Snapshot(stub_);
  ExpectGrpcError(StartStatus("Seed", "over-grpc", over), "InvalidExecutionInput", "262144");
  ExpectAwsError(Aws(http_, "StartExecution",
                     J({{"stateMachineArn", MachineArn("Seed")}, {"name", "over-aws"},
                        {"input", over}})),
                 "InvalidExecutionInput", "262144");
  // A worker's output over the limit: refused before the token is looked at.
  v1::SendTaskSuccessRequest ts;
  ts.set_task_token("AAAA");
  ts.set_output(over);
  v1::SendTaskSuccessResponse tr;
  ExpectGrpcError(stub_->SendTaskSuccess(Ctx().get(), ts, &tr), "InvalidOutput", "262144");
  ExpectAwsError(Aws(http_, "SendTaskSuccess", J({{"taskToken", "AAAA"}, {"output", over}})),
                 "InvalidOutput", "262144");
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

TEST_F(HostileTest, JsonNestedTenThousandDeepIsRefused) {
  const std::string deep = Nested(10000);
  // A worker's real token (AWS looks at the token before the output).
  std::string waiting = Start("Tokens", "deep-output", "{}");
  v1::GetActivityTaskResponse task = PollGrpc("tokens");
  ASSERT_FALSE(task.task_token().empty());
  std::string before = Snapshot(stub_);
  // As execution input.
  ExpectGrpcError(StartStatus("Seed", "deep", deep), "InvalidExecutionInput", "nesting");
  ExpectAwsError(Aws(http_, "StartExecution",
                     J({{"stateMachineArn", MachineArn("Seed")}, {"input", deep}})),
                 "InvalidExecutionInput", "nesting");
  // As a definition and inside one.
  std::string deep_def = R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":)" + deep +
                         R"(,"End":true}}})";
  for (const std::string& def : {deep, deep_def}) {
    v1::CreateStateMachineRequest req;
    req.set_name("Deep");
    req.set_definition(def);
    req.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse resp;
    ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp), "InvalidDefinition",
                    "nesting");
    ExpectAwsError(Aws(http_, "CreateStateMachine",
                       J({{"name", "Deep"}, {"definition", def},
                          {"roleArn", "arn:aws:iam::123456789012:role/r"}})),
                   "InvalidDefinition", "nesting");
  }
  // As a worker's output.
  v1::SendTaskSuccessRequest ts;
  ts.set_task_token(task.task_token());
  ts.set_output(deep);
  v1::SendTaskSuccessResponse tr;
  ExpectGrpcError(stub_->SendTaskSuccess(Ctx().get(), ts, &tr), "InvalidOutput", "nesting");
  // As the AWS request body itself.
  ExpectAwsError(Aws(http_, "ListStateMachines", "{\"a\":" + deep + "}"),
                 "SerializationException", "nesting");
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
  // The task still takes a good answer.
  ts.set_output("{}");
  ASSERT_TRUE(stub_->SendTaskSuccess(Ctx().get(), ts, &tr).ok());
  WaitStatus(waiting, "SUCCEEDED");
}

TEST_F(HostileTest, DeeplyNestedPathFiltersAreRefusedNotAStackOverflow) {
  // ~40 KB of nested JSONPath filter parentheses in an InputPath: the
  // parser caps the nesting instead of overflowing its stack (this crashed
  // stepwised before the cap).
  std::string path = "$.a[?(";
  for (int i = 0; i < 20000; ++i) path += "(";
  path += "@.b == 1";
  for (int i = 0; i < 20000; ++i) path += ")";
  path += ")]";
  std::string def = R"({"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":")" + path +
                    R"(","End":true}}})";
  std::string before = Snapshot(stub_);
  v1::CreateStateMachineRequest req;
  req.set_name("DeepPath");
  req.set_definition(def);
  req.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse resp;
  ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp), "InvalidDefinition",
                  "InputPath");
  ExpectAwsError(Aws(http_, "CreateStateMachine",
                     J({{"name", "DeepPath"}, {"definition", def},
                        {"roleArn", "arn:aws:iam::123456789012:role/r"}})),
                 "InvalidDefinition", "InputPath");
  AwsReply v = Aws(http_, "ValidateStateMachineDefinition", J({{"definition", def}}));
  EXPECT_EQ(v.status, 200) << v.raw;
  EXPECT_NE(v.raw.find("FAIL"), std::string::npos) << v.raw;
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

TEST_F(HostileTest, InvalidUtf8IsRefused) {
  const std::string bad = "caf\xc3\x28-\xff\xfe";
  std::string before = Snapshot(stub_);
  // AWS endpoint: raw invalid bytes inside a JSON string of the body.
  ExpectAwsError(Aws(http_, "CreateActivity", "{\"name\":\"" + bad + "\"}"),
                 "SerializationException", "not valid JSON");
  ExpectAwsError(Aws(http_, "StartExecution",
                     "{\"stateMachineArn\":\"" + MachineArn("Seed") + "\",\"input\":\"{\\\"a\\\":\\\"" +
                         bad + "\\\"}\"}"),
                 "SerializationException", "not valid JSON");
  // Invalid UTF-8 in the X-Amz-Target header: the error echoes it, as
  // valid JSON (U+FFFD in place of the bad bytes).
  AwsReply h = Aws(http_, "Describe\xffMachine", "{}");
  ExpectAwsError(h, "UnknownOperationException", "Describe\xEF\xBF\xBDMachine");
  // gRPC: proto3 strings must be UTF-8; an input whose *bytes* field text is
  // not UTF-8 cannot even be decoded. Use the escape the JSON allows
  // instead: a lone surrogate in the execution input.
  ExpectGrpcError(StartStatus("Seed", "surrogate", R"({"a":"\ud800"})"),
                  "InvalidExecutionInput", "Input");
  // Raw invalid UTF-8 in a gRPC string field: the request does not decode;
  // the daemon refuses it without running anything.
  {
    std::string wire;
    // Field 1 (name), length-delimited, invalid UTF-8 bytes.
    wire.push_back(0x0a);
    wire.push_back(static_cast<char>(bad.size()));
    wire += bad;
    ExpectUndecodable(RawCall(daemon_->channel(), "/stepwise.v1.States/CreateActivity", wire),
                      "stepwise.v1.CreateActivityRequest");
  }
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

TEST_F(HostileTest, OversizedDefinitionsAreRefused) {
  std::string before = Snapshot(stub_);
  // 2 MiB: over AWS's 1 MiB definition limit, within both transports' limits.
  std::string padding(2 << 20, ' ');
  std::string big = std::string(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})") +
                    padding;
  v1::CreateStateMachineRequest req;
  req.set_name("Big");
  req.set_definition(big);
  req.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse resp;
  ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp), "ValidationException",
                  "'definition'");
  ExpectAwsError(Aws(http_, "CreateStateMachine",
                     J({{"name", "Big"}, {"definition", big},
                        {"roleArn", "arn:aws:iam::123456789012:role/r"}})),
                 "ValidationException", "'definition'");
  v1::UpdateStateMachineRequest up;
  up.set_state_machine_arn(MachineArn("Seed"));
  up.set_definition(big);
  v1::UpdateStateMachineResponse upr;
  ExpectGrpcError(stub_->UpdateStateMachine(Ctx().get(), up, &upr), "ValidationException",
                  "'definition'");

  // 10 MiB: over each transport's request limit (4 MiB), refused before
  // it is decoded.
  std::string huge = std::string(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})") +
                     std::string(10 << 20, ' ');
  req.set_definition(huge);
  grpc::Status s = stub_->CreateStateMachine(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  AwsReply a = Aws(http_, "CreateStateMachine",
                   J({{"name", "Huge"}, {"definition", huge},
                      {"roleArn", "arn:aws:iam::123456789012:role/r"}}));
  ExpectAwsError(a, "ValidationException", "request body exceeds", 413);
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

// loggingConfiguration that AWS refuses: wrong JSON types
// (SerializationException naming the member), an unknown level, a level
// other than OFF without a destination, two destinations, a log group ARN
// of the wrong shape or length; on Create and Update, on both APIs where
// the shape exists. Nothing is stored.
TEST_F(HostileTest, MalformedLoggingConfigurationIsRefused) {
  std::string before = Snapshot(stub_);
  const std::string role = "arn:aws:iam::123456789012:role/r";
  const std::string group = "arn:aws:logs:us-east-1:123456789012:log-group:g:*";
  auto dest = [](const std::string& arn) {
    return json::object{{"cloudWatchLogsLogGroup", json::object{{"logGroupArn", arn}}}};
  };
  struct Case {
    json::value logging;
    const char* error;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {json::value("ALL"), "SerializationException", "loggingConfiguration"},
      {json::object{{"level", 5}}, "SerializationException", "loggingConfiguration.level"},
      {json::object{{"level", "OFF"}, {"includeExecutionData", "yes"}}, "SerializationException",
       "includeExecutionData"},
      {json::object{{"level", "ALL"}, {"destinations", dest(group)}}, "SerializationException",
       "destinations"},
      {json::object{{"level", "ALL"}, {"destinations", json::array{json::value("x")}}},
       "SerializationException", "destinations.1.member"},
      {json::object{{"level", "ALL"},
                    {"destinations", json::array{json::object{{"cloudWatchLogsLogGroup", 3}}}}},
       "SerializationException", "cloudWatchLogsLogGroup"},
      {json::object{{"level", "DEBUG"}, {"destinations", json::array{dest(group)}}},
       "ValidationException", "[ALL, ERROR, FATAL, OFF]"},
      {json::object{{"level", "ALL"}}, "InvalidLoggingConfiguration",
       "Must specify exactly one Log Destination"},
      {json::object{{"level", "ERROR"}, {"destinations", json::array{}}},
       "InvalidLoggingConfiguration", "Must specify exactly one Log Destination"},
      {json::object{{"level", "ALL"}, {"destinations", json::array{dest(group), dest(group)}}},
       "InvalidLoggingConfiguration", "Must specify exactly one Log Destination"},
      {json::object{{"level", "ALL"},
                    {"destinations",
                     json::array{dest("arn:aws:logs:us-east-1:123456789012:log-group:g")}}},
       "InvalidLoggingConfiguration", "logGroupArn"},
      {json::object{{"level", "FATAL"},
                    {"destinations", json::array{dest("arn:aws:s3:::bucket")}}},
       "InvalidLoggingConfiguration", "logGroupArn"},
      {json::object{{"level", "ALL"},
                    {"destinations",
                     json::array{dest("arn:aws:logs:us-east-1:123456789012:log-group:" +
                                      std::string(300, 'a') + ":*")}}},
       "ValidationException", "less than or equal to 256"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(J(c.logging));
    ExpectAwsError(Aws(http_, "CreateStateMachine",
                       J({{"name", "Logged"}, {"definition", kPassDef}, {"roleArn", role},
                          {"type", "EXPRESS"}, {"loggingConfiguration", c.logging}})),
                   c.error, c.fragment);
    ExpectAwsError(Aws(http_, "UpdateStateMachine",
                       J({{"stateMachineArn", MachineArn("Seed")},
                          {"loggingConfiguration", c.logging}})),
                   c.error, c.fragment);
  }
  // gRPC: the same rules on the values.
  v1::CreateStateMachineRequest req;
  req.set_name("Logged");
  req.set_definition(kPassDef);
  req.set_role_arn(role);
  req.mutable_logging_configuration()->set_level("ALL");
  v1::CreateStateMachineResponse resp;
  ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp),
                  "InvalidLoggingConfiguration", "Must specify exactly one Log Destination");
  req.mutable_logging_configuration()->set_level("LOUD");
  ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp), "ValidationException",
                  "loggingConfiguration.level");
  req.mutable_logging_configuration()->set_level("ALL");
  req.mutable_logging_configuration()->add_log_group_arns("not-an-arn");
  ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp),
                  "InvalidLoggingConfiguration", "logGroupArn");
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

// One request layer: the same refusal over both APIs, word for word (the
// AWS error name and message), for an oversized definition on every action
// that takes one and for a page token this server never gave.
TEST_F(HostileTest, BothApisRefuseWithTheSameWords) {
  std::string before = Snapshot(stub_);
  auto expect_same = [](const grpc::Status& g, const AwsReply& a, const std::string& name) {
    EXPECT_EQ(ErrorName(g), name) << g.error_message();
    EXPECT_EQ(a.type, name) << a.raw;
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(g.error_message(), a.message);
  };
  std::string big = std::string(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})") +
                    std::string((1 << 20) - 10, ' ');
  const std::string role = "arn:aws:iam::123456789012:role/r";
  {
    v1::CreateStateMachineRequest req;
    req.set_name("Big");
    req.set_definition(big);
    req.set_role_arn(role);
    v1::CreateStateMachineResponse resp;
    AwsReply a = Aws(http_, "CreateStateMachine",
                     J({{"name", "Big"}, {"definition", big}, {"roleArn", role}}));
    expect_same(stub_->CreateStateMachine(Ctx().get(), req, &resp), a, "ValidationException");
    EXPECT_NE(a.message.find("'definition'"), std::string::npos) << a.message;
    EXPECT_NE(a.message.find("1048576"), std::string::npos) << a.message;
  }
  {
    v1::UpdateStateMachineRequest req;
    req.set_state_machine_arn(MachineArn("Seed"));
    req.set_definition(big);
    v1::UpdateStateMachineResponse resp;
    expect_same(stub_->UpdateStateMachine(Ctx().get(), req, &resp),
                Aws(http_, "UpdateStateMachine",
                    J({{"stateMachineArn", MachineArn("Seed")}, {"definition", big}})),
                "ValidationException");
  }
  {
    v1::ValidateStateMachineDefinitionRequest req;
    req.set_definition(big);
    v1::ValidateStateMachineDefinitionResponse resp;
    expect_same(stub_->ValidateStateMachineDefinition(Ctx().get(), req, &resp),
                Aws(http_, "ValidateStateMachineDefinition", J({{"definition", big}})),
                "ValidationException");
  }
  for (const char* token : {"bogus", "99999"}) {
    v1::ListStateMachinesRequest lm;
    lm.set_next_token(token);
    v1::ListStateMachinesResponse lmr;
    expect_same(stub_->ListStateMachines(Ctx().get(), lm, &lmr),
                Aws(http_, "ListStateMachines", J({{"nextToken", token}})), "InvalidToken");
    v1::ListActivitiesRequest la;
    la.set_next_token(token);
    v1::ListActivitiesResponse lar;
    expect_same(stub_->ListActivities(Ctx().get(), la, &lar),
                Aws(http_, "ListActivities", J({{"nextToken", token}})), "InvalidToken");
  }
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

// Task resources and Credentials AWS refuses at CreateStateMachine, in both
// query languages and both machine types: each is InvalidDefinition with
// the same words on both APIs (AWS's words where AWS's are recorded), and
// ValidateStateMachineDefinition on both APIs answers FAIL with the same
// diagnostic. A resource each machine type accepts is created on both.
TEST_F(HostileTest, TaskResourcesAwsRefusesAreRefusedWithTheSameWordsOnBothApis) {
  const std::string role = "arn:aws:iam::123456789012:role/r";
  auto task = [](const std::string& resource, const std::string& extra, bool jsonata) {
    return std::string(R"({"StartAt":"T",)") + (jsonata ? R"("QueryLanguage":"JSONata",)" : "") +
           R"("States":{"T":{"Type":"Task","Resource":")" + resource + "\"," + extra +
           R"("End":true}}})";
  };
  auto not_recognized = [](const std::string& resource) {
    return "SCHEMA_VALIDATION_FAILED: The resource provided " + resource +
           " is not recognized. The value is not a valid resource ARN, or the resource is "
           "not available in this region.";
  };
  struct Bad {
    std::string resource;
    std::string extra;
    std::string type;
    std::string diagnostic;  // "CODE: message"
    std::string location;
  };
  const std::string at = "/States/T/Resource";
  const std::vector<Bad> bad = {
      {"arn:aws:states:::lambda:invoke.sync", "", "STANDARD",
       not_recognized("arn:aws:states:::lambda:invoke.sync"), at},
      {"arn:aws:states:::aws-sdk:s3:getObject.sync", "", "STANDARD",
       not_recognized("arn:aws:states:::aws-sdk:s3:getObject.sync"), at},
      {"arn:aws:states:::dynamodb:putItem.waitForTaskToken", "", "STANDARD",
       not_recognized("arn:aws:states:::dynamodb:putItem.waitForTaskToken"), at},
      {"arn:aws:states:::nosuch:thing", "", "STANDARD",
       not_recognized("arn:aws:states:::nosuch:thing"), at},
      {"arn:aws:states:::http:invoke.sync", "", "STANDARD",
       not_recognized("arn:aws:states:::http:invoke.sync"), at},
      {"arn:aws:lambda:us-east-1:123456789012:function:", "", "STANDARD",
       not_recognized("arn:aws:lambda:us-east-1:123456789012:function:"), at},
      {"lambda-name", "", "STANDARD",
       "INVALID_RESOURCE: Value is not a valid resource ARN", at},
      {"arn:aws:states:::lambda:invoke", R"("Credentials":{},)", "STANDARD",
       "SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing",
       "/States/T/Credentials"},
      {"arn:aws:states:::states:startExecution.sync:2", "", "EXPRESS",
       "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service "
       "integration",
       at},
      {"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "", "EXPRESS",
       "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' "
       "service integration ",
       at},
      {std::string(kAccount) + "activity:parked", "", "EXPRESS",
       "SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN", at},
  };
  std::string before = Snapshot(stub_);
  int n = 0;
  for (const Bad& b : bad) {
    for (bool jsonata : {false, true}) {
      std::string def = task(b.resource, b.extra, jsonata);
      std::string name = "BadTask" + std::to_string(n++);
      SCOPED_TRACE(def + " as " + b.type);
      v1::CreateStateMachineRequest req;
      req.set_name(name);
      req.set_definition(def);
      req.set_role_arn(role);
      req.set_type(b.type);
      v1::CreateStateMachineResponse resp;
      grpc::Status g = stub_->CreateStateMachine(Ctx().get(), req, &resp);
      AwsReply a = Aws(http_, "CreateStateMachine",
                       J({{"name", name}, {"definition", def}, {"roleArn", role},
                          {"type", b.type}}));
      const std::string words =
          "Invalid State Machine Definition: '" + b.diagnostic + " at " + b.location + "'";
      ExpectGrpcError(g, "InvalidDefinition", words);
      ExpectAwsError(a, "InvalidDefinition", words);
      EXPECT_EQ(g.error_message(), a.message);

      v1::ValidateStateMachineDefinitionRequest vr;
      vr.set_definition(def);
      vr.set_type(b.type);
      v1::ValidateStateMachineDefinitionResponse vresp;
      grpc::Status vs = stub_->ValidateStateMachineDefinition(Ctx().get(), vr, &vresp);
      ASSERT_TRUE(vs.ok()) << vs.error_message();
      EXPECT_EQ(vresp.result(), "FAIL");
      ASSERT_EQ(vresp.diagnostics_size(), 1);
      EXPECT_EQ(vresp.diagnostics(0).code() + ": " + vresp.diagnostics(0).message(), b.diagnostic);
      EXPECT_EQ(vresp.diagnostics(0).location(), b.location);
      AwsReply v = Aws(http_, "ValidateStateMachineDefinition",
                       J({{"definition", def}, {"type", b.type}}));
      ASSERT_EQ(v.status, 200) << v.raw;
      const json::object& vo = v.body.as_object();
      EXPECT_EQ(vo.at("result").as_string(), "FAIL") << v.raw;
      ASSERT_EQ(vo.at("diagnostics").as_array().size(), 1u) << v.raw;
      const json::object& d = vo.at("diagnostics").as_array()[0].as_object();
      EXPECT_EQ(std::string(d.at("code").as_string()) + ": " +
                    std::string(d.at("message").as_string()),
                b.diagnostic);
      EXPECT_EQ(d.at("location").as_string(), b.location);
    }
  }
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));

  // What AWS accepts is created, over both APIs: the patterns each API
  // allows, an SDK callback, a qualified Lambda ARN, Credentials in both
  // languages; an EXPRESS machine with request-response resources.
  const std::vector<std::pair<std::string, std::string>> good = {
      {"arn:aws:states:::lambda:invoke.waitForTaskToken", ""},
      {"arn:aws:states:::states:startExecution.sync:2", ""},
      {"arn:aws:states:::batch:submitJob.sync", ""},
      {"arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken", ""},
      {"arn:aws:states:::http:invoke", ""},
      {"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", ""},
      {"arn:aws:states:::lambda:invoke", R"("Credentials":{"RoleArn":"arn:aws:iam::1:role/x"},)"},
  };
  for (const auto& [resource, extra] : good) {
    for (bool jsonata : {false, true}) {
      // The HTTP Task needs its ApiEndpoint and Method, as on AWS.
      std::string more = extra;
      if (resource == "arn:aws:states:::http:invoke") {
        more = std::string(jsonata ? R"("Arguments")" : R"("Parameters")") +
               R"(:{"ApiEndpoint":"https://example.com","Method":"GET"},)";
      }
      std::string def = task(resource, more, jsonata);
      SCOPED_TRACE(def);
      std::string name = "GoodTask" + std::to_string(n++);
      v1::CreateStateMachineRequest req;
      req.set_name(name);
      req.set_definition(def);
      req.set_role_arn(role);
      v1::CreateStateMachineResponse resp;
      grpc::Status g = stub_->CreateStateMachine(Ctx().get(), req, &resp);
      EXPECT_TRUE(g.ok()) << g.error_message();
      AwsReply a = Aws(http_, "CreateStateMachine",
                       J({{"name", name + "Aws"}, {"definition", def}, {"roleArn", role}}));
      EXPECT_EQ(a.status, 200) << a.raw;
    }
  }
  AwsReply express = Aws(http_, "CreateStateMachine",
                         J({{"name", "ExpressLambda"},
                            {"definition", task("arn:aws:states:::lambda:invoke", "", false)},
                            {"roleArn", role},
                            {"type", "EXPRESS"}}));
  EXPECT_EQ(express.status, 200) << express.raw;
  ExpectResponsive();
}

// An HTTP Task's bad arguments are refused at create time in AWS's words;
// a Task no dispatcher runs is a WARNING, shown when WARNING severity is
// asked for.
TEST_F(HostileTest, HttpTaskArgumentsAreCheckedAndUnrunnableTasksWarned) {
  std::string before = Snapshot(stub_);
  const std::string role = "arn:aws:iam::123456789012:role/r";
  const std::string bad_method =
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",)"
      R"("Parameters":{"ApiEndpoint":"https://example.com","Method":"FETCH"},"End":true}}})";
  ExpectAwsError(Aws(http_, "CreateStateMachine",
                     J({{"name", "BadHttp"}, {"definition", bad_method}, {"roleArn", role}})),
                 "InvalidDefinition",
                 "SCHEMA_VALIDATION_FAILED: The value for the 'Method' field is not valid at "
                 "/States/T/Parameters");
  EXPECT_EQ(before, Snapshot(stub_));

  const std::string ecs =
      R"({"StartAt":"T","States":{"T":{"Type":"Task",)"
      R"("Resource":"arn:aws:states:::ecs:runTask.sync","End":true}}})";
  AwsReply plain = Aws(http_, "ValidateStateMachineDefinition", J({{"definition", ecs}}));
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(plain.body.at("result").as_string(), "OK") << plain.raw;
  EXPECT_TRUE(plain.body.at("diagnostics").as_array().empty()) << plain.raw;
  AwsReply warned = Aws(http_, "ValidateStateMachineDefinition",
                        J({{"definition", ecs}, {"severity", "WARNING"}}));
  ASSERT_EQ(warned.status, 200) << warned.raw;
  EXPECT_EQ(warned.body.at("result").as_string(), "OK") << warned.raw;
  const json::array& diagnostics = warned.body.at("diagnostics").as_array();
  ASSERT_EQ(diagnostics.size(), 1u) << warned.raw;
  EXPECT_EQ(diagnostics[0].at("severity").as_string(), "WARNING");
  EXPECT_EQ(diagnostics[0].at("code").as_string(), "INTEGRATION_NOT_RUNNABLE");
  EXPECT_EQ(diagnostics[0].at("location").as_string(), "/States/T/Resource");
  ExpectResponsive();
}

TEST_F(HostileTest, WrongTypesAreRefusedAndUnknownMembersIgnored) {
  std::string before = Snapshot(stub_);
  const std::string seed = MachineArn("Seed");
  ExpectAwsError(Aws(http_, "CreateActivity", R"({"name":5})"), "SerializationException",
                 "'name'");
  ExpectAwsError(Aws(http_, "StartExecution", J({{"stateMachineArn", json::array{seed}}})),
                 "SerializationException", "'stateMachineArn'");
  ExpectAwsError(Aws(http_, "StartExecution",
                     J({{"stateMachineArn", seed}, {"input", json::object{{"a", 1}}}})),
                 "SerializationException", "'input'");
  ExpectAwsError(Aws(http_, "ListExecutions", J({{"stateMachineArn", seed}, {"maxResults", "ten"}})),
                 "SerializationException", "'maxResults'");
  ExpectAwsError(Aws(http_, "ListExecutions", J({{"stateMachineArn", seed}, {"maxResults", 1.5}})),
                 "SerializationException", "'maxResults'");
  ExpectAwsError(Aws(http_, "ListExecutions", J({{"stateMachineArn", seed}, {"maxResults", -1}})),
                 "ValidationException", "'maxResults'");
  ExpectAwsError(Aws(http_, "GetExecutionHistory",
                     J({{"executionArn", seed}, {"reverseOrder", "yes"}})),
                 "SerializationException", "'reverseOrder'");
  ExpectAwsError(Aws(http_, "ListExecutions", J({{"stateMachineArn", seed},
                                                {"statusFilter", "DANCING"}})),
                 "ValidationException", "'statusFilter'");
  ExpectAwsError(Aws(http_, "StartExecution", "[1,2,3]"), "SerializationException",
                 "JSON object");
  ExpectAwsError(Aws(http_, "StartExecution", "{\"stateMachineArn\":"), "SerializationException",
                 "not valid JSON");
  ExpectAwsError(Aws(http_, "StartExecution", "{}"), "ValidationException", "'stateMachineArn'");
  ExpectAwsError(Aws(http_, "DescribeExecution", J({{"executionArn", "not-an-arn"}})),
                 "InvalidArn", "not-an-arn");
  ExpectAwsError(Aws(http_, "NoSuchAction", "{}"), "UnknownOperationException", "NoSuchAction");
  // Stepwise's extensions: an unknown one, or the bare prefix, is unknown too;
  // an AWS action name under the extension prefix is not served there.
  ExpectAwsError(StepwiseAws(http_, "NoSuchAction", "{}"), "UnknownOperationException",
                 "Stepwise.NoSuchAction");
  ExpectAwsError(StepwiseAws(http_, "", "{}"), "UnknownOperationException", "Stepwise.");
  ExpectAwsError(StepwiseAws(http_, "DescribeStateMachine", J({{"stateMachineArn", seed}})),
                 "UnknownOperationException", "Stepwise.DescribeStateMachine");
  // Unknown members are ignored, as AWS's JSON services do.
  AwsReply ok = Aws(http_, "DescribeStateMachine",
                    J({{"stateMachineArn", seed}, {"bogus", json::object{{"x", 1}}}}));
  EXPECT_EQ(ok.status, 200) << ok.raw;

  // gRPC: bytes that do not decode get SerializationException (see
  // UndecodableGrpcRequestsGetSerializationException); a field of the wrong
  // wire type and an unknown field are skipped.
  auto call = [&](const std::string& method, const std::string& wire) {
    return RawCall(daemon_->channel(), method, wire);
  };
  // Field 1 (state_machine_arn) as a varint instead of a string.
  // Protobuf keeps it as an unknown field, so the request decodes without
  // its ARN and is refused for that.
  grpc::Status wrong = call("/stepwise.v1.States/DescribeStateMachine", std::string("\x08\x05", 2));
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << wrong.error_message();
  EXPECT_NE(ErrorName(wrong), "SerializationException") << wrong.error_message();
  // A truncated message (length beyond the end).
  ExpectUndecodable(
      call("/stepwise.v1.States/DescribeStateMachine", std::string("\x0a\x7f\x61", 3)),
      "stepwise.v1.DescribeStateMachineRequest");
  // Field 1 correct plus unknown field 99 (varint): decodes, unknown skipped.
  v1::DescribeStateMachineRequest dm;
  dm.set_state_machine_arn(seed);
  std::string wire = dm.SerializeAsString();
  wire += std::string("\x98\x06\x01", 3);
  EXPECT_TRUE(call("/stepwise.v1.States/DescribeStateMachine", wire).ok());
  // Wrong types inside the proto's JSON-valued strings: a definition that
  // is JSON of the wrong shape.
  v1::CreateStateMachineRequest req;
  req.set_name("WrongShape");
  req.set_definition(R"({"StartAt":5,"States":[]})");
  req.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse resp;
  ExpectGrpcError(stub_->CreateStateMachine(Ctx().get(), req, &resp), "InvalidDefinition",
                  "StartAt");
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

TEST_F(HostileTest, TagsOfTheWrongShapeAreRefusedAndChangeNothing) {
  const std::string seed = MachineArn("Seed");
  ASSERT_EQ(Aws(http_, "TagResource",
                J({{"resourceArn", seed},
                   {"tags", json::array{json::object{{"key", "team"}, {"value", "a"}}}}}))
                .status,
            200);
  std::string before = Snapshot(stub_);
  auto tags_of = [&](const std::string& arn) {
    return Aws(http_, "ListTagsForResource", J({{"resourceArn", arn}})).raw;
  };
  std::string tags_before = tags_of(seed);
  auto tag = [&](const json::value& tags) {
    return Aws(http_, "TagResource", J({{"resourceArn", seed}, {"tags", tags}}));
  };
  ExpectAwsError(tag("team=a"), "SerializationException", "'tags'");
  ExpectAwsError(tag(json::object{{"team", "a"}}), "SerializationException", "'tags'");
  ExpectAwsError(tag(json::array{5}), "SerializationException", "'tags[0]'");
  ExpectAwsError(tag(json::array{json::object{{"key", 5}, {"value", "v"}}}),
                 "SerializationException", "'tags[0].key'");
  ExpectAwsError(tag(json::array{json::object{{"key", "k"}, {"value", json::array{1}}}}),
                 "SerializationException", "'tags[0].value'");
  ExpectAwsError(tag(json::array{json::object{{"key", "ok"}, {"value", "v"}},
                                 json::object{{"value", "v"}}}),
                 "ValidationException", "'tags.2.member.key'");
  ExpectAwsError(tag(json::array{json::object{{"key", "a*b"}, {"value", "v"}}}),
                 "ValidationException", "regular expression pattern");
  ExpectAwsError(tag(json::array{json::object{{"key", "aws:owner"}, {"value", "v"}}}),
                 "ValidationException", "aws:");
  ExpectAwsError(tag(json::array{json::object{{"key", std::string(129, 'k')}, {"value", ""}}}),
                 "ValidationException", "128");
  json::array many;
  for (int i = 0; i < 10000; ++i) {
    many.push_back(json::object{{"key", "k" + std::to_string(i)}, {"value", "v"}});
  }
  AwsReply too_many = tag(many);
  ExpectAwsError(too_many, "TooManyTags", seed);
  EXPECT_EQ(too_many.body.as_object().at("resourceName").as_string(), seed) << too_many.raw;
  ExpectAwsError(Aws(http_, "TagResource", J({{"resourceArn", seed}})), "ValidationException",
                 "'tags'");
  ExpectAwsError(Aws(http_, "TagResource", J({{"resourceArn", 7}, {"tags", json::array{}}})),
                 "SerializationException", "'resourceArn'");
  ExpectAwsError(Aws(http_, "UntagResource", J({{"resourceArn", seed}, {"tagKeys", "team"}})),
                 "SerializationException", "'tagKeys'");
  ExpectAwsError(Aws(http_, "UntagResource",
                     J({{"resourceArn", seed}, {"tagKeys", json::array{"team", 1}}})),
                 "SerializationException", "'tagKeys[1]'");
  ExpectAwsError(Aws(http_, "UntagResource", J({{"resourceArn", seed}})), "ValidationException",
                 "'tagKeys'");
  ExpectAwsError(Aws(http_, "ListTagsForResource", J({{"resourceArn", json::object{}}})),
                 "SerializationException", "'resourceArn'");
  // Tags of the wrong shape at creation: nothing is created.
  ExpectAwsError(Aws(http_, "CreateStateMachine",
                     J({{"name", "TaggedWrong"}, {"definition", kPassDef},
                        {"roleArn", "arn:aws:iam::123456789012:role/r"},
                        {"tags", json::object{{"k", "v"}}}})),
                 "SerializationException", "'tags'");
  ExpectAwsError(Aws(http_, "CreateActivity",
                     J({{"name", "taggedwrong"},
                        {"tags", json::array{json::object{{"key", "AWS:x"}, {"value", ""}}}}})),
                 "ValidationException", "aws:");
  // gRPC: the same limits, and TooManyTags names the resource.
  v1::TagResourceRequest grpc_tag;
  grpc_tag.set_resource_arn(seed);
  for (int i = 0; i < 51; ++i) {
    v1::Tag* t = grpc_tag.add_tags();
    t->set_key("g" + std::to_string(i));
  }
  v1::TagResourceResponse grpc_resp;
  grpc::Status many_grpc = stub_->TagResource(Ctx().get(), grpc_tag, &grpc_resp);
  ExpectGrpcError(many_grpc, "TooManyTags", seed);
  v1::ErrorInfo info;
  ASSERT_TRUE(info.ParseFromString(many_grpc.error_details()));
  EXPECT_EQ(info.resource_name(), seed);
  grpc_tag.clear_tags();
  grpc_tag.add_tags()->set_key("");
  ExpectGrpcError(stub_->TagResource(Ctx().get(), grpc_tag, &grpc_resp), "ValidationException",
                  "'tags.1.member.key'");
  grpc_tag.mutable_tags(0)->set_key("k");
  grpc_tag.set_resource_arn(seed + ":execution:x");
  ExpectGrpcError(stub_->TagResource(Ctx().get(), grpc_tag, &grpc_resp), "ResourceNotFound",
                  "Resource not found");
  // Unknown members (also inside a tag) are ignored.
  AwsReply ok = tag(json::array{json::object{{"key", "extra"}, {"value", "v"}, {"bogus", 1}}});
  EXPECT_EQ(ok.status, 200) << ok.raw;
  ASSERT_EQ(Aws(http_, "UntagResource",
                J({{"resourceArn", seed}, {"tagKeys", json::array{"extra"}}, {"bogus", true}}))
                .status,
            200);
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
  EXPECT_EQ(tags_before, tags_of(seed));
}

TEST_F(HostileTest, VersionsAndAliasesOfTheWrongShapeAreRefusedAndChangeNothing) {
  Create("Versioned", kPassDef);
  const std::string m = MachineArn("Versioned");
  AwsReply pub = Aws(http_, "PublishStateMachineVersion", J({{"stateMachineArn", m}}));
  ASSERT_EQ(pub.status, 200) << pub.raw;
  const std::string v1 = m + ":1";
  const std::string v2 = m + ":2";
  ASSERT_EQ(Aws(http_, "UpdateStateMachine",
                J({{"stateMachineArn", m}, {"definition", kPassDef}, {"publish", true}}))
                .status,
            200);
  auto route = [](const auto& arn, const auto& weight) {
    return json::object{{"stateMachineVersionArn", arn}, {"weight", weight}};
  };
  ASSERT_EQ(Aws(http_, "CreateStateMachineAlias",
                J({{"name", "live"}, {"routingConfiguration", json::array{route(v1, 100)}}}))
                .status,
            200);
  auto listing = [&] {
    return Aws(http_, "ListStateMachineVersions", J({{"stateMachineArn", m}})).raw +
           Aws(http_, "ListStateMachineAliases", J({{"stateMachineArn", m}})).raw +
           Aws(http_, "DescribeStateMachineAlias", J({{"stateMachineAliasArn", m + ":live"}}))
               .raw;
  };
  std::string before = Snapshot(stub_);
  std::string listed_before = listing();
  auto alias = [&](const auto& name, const json::value& routing) {
    return Aws(http_, "CreateStateMachineAlias",
               J({{"name", name}, {"routingConfiguration", routing}}));
  };
  // Wrong JSON types.
  ExpectAwsError(alias("a", "v1=100"), "SerializationException", "'routingConfiguration'");
  ExpectAwsError(alias("a", json::array{5}), "SerializationException",
                 "'routingConfiguration[0]'");
  ExpectAwsError(alias("a", json::array{route(v1, "100")}), "SerializationException",
                 "'routingConfiguration[0].weight'");
  ExpectAwsError(alias("a", json::array{route(v1, 99.5)}), "SerializationException",
                 "'routingConfiguration[0].weight'");
  ExpectAwsError(alias("a", json::array{route(5, 100)}), "SerializationException",
                 "'routingConfiguration[0].stateMachineVersionArn'");
  ExpectAwsError(alias(7, json::array{route(v1, 100)}), "SerializationException", "'name'");
  ExpectAwsError(Aws(http_, "CreateStateMachineAlias", J({{"name", "a"}})),
                 "ValidationException", "'routingConfiguration'");
  ExpectAwsError(alias("a", json::array{json::object{{"weight", 100}}}), "ValidationException",
                 "stateMachineVersionArn");
  // Weights not summing to 100, three routes, none, out of range, twice
  // the same version, a machine ARN instead of a version, an unknown one.
  ExpectAwsError(alias("a", json::array{route(v1, 50), route(v2, 40)}), "ValidationException",
                 "100");
  ExpectAwsError(alias("a", json::array{route(v1, 50), route(v2, 50), route(v1, 0)}),
                 "ValidationException", "length less than or equal to 2");
  ExpectAwsError(alias("a", json::array{}), "ValidationException", "routingConfiguration");
  ExpectAwsError(alias("a", json::array{route(v1, 101)}), "ValidationException", "weight");
  ExpectAwsError(alias("a", json::array{route(v1, -1), route(v2, 101)}), "ValidationException",
                 "weight");
  ExpectAwsError(alias("a", json::array{route(v1, 50), route(v1, 50)}), "ValidationException",
                 "distinct");
  ExpectAwsError(alias("a", json::array{route(m, 100)}), "ValidationException", "version");
  ExpectAwsError(alias("a", json::array{route(m + ":99", 100)}), "ResourceNotFound", ":99");
  ExpectAwsError(alias("a", json::array{route("not-an-arn", 100)}), "InvalidArn", "not-an-arn");
  // Bad names.
  for (const std::string& bad : {std::string("123"), std::string("a b"), std::string("a:b"),
                                 std::string(""), std::string(81, 'a')}) {
    ExpectAwsError(alias(bad, json::array{route(v1, 100)}), "ValidationException", "'name'");
  }
  // The other version and alias actions.
  ExpectAwsError(Aws(http_, "PublishStateMachineVersion", J({{"stateMachineArn", 5}})),
                 "SerializationException", "'stateMachineArn'");
  ExpectAwsError(Aws(http_, "PublishStateMachineVersion",
                     J({{"stateMachineArn", m}, {"description", std::string(300, 'd')}})),
                 "ValidationException", "256");
  ExpectAwsError(Aws(http_, "PublishStateMachineVersion",
                     J({{"stateMachineArn", m}, {"revisionId", "Versioned-1"}})),
                 "ConflictException", "revision", 409);
  ExpectAwsError(Aws(http_, "UpdateStateMachineAlias", J({{"stateMachineAliasArn", m + ":live"}})),
                 "ValidationException", "routingConfiguration");
  ExpectAwsError(Aws(http_, "UpdateStateMachineAlias",
                     J({{"stateMachineAliasArn", m + ":live"},
                        {"routingConfiguration", json::array{route(v1, 60), route(v2, 60)}}})),
                 "ValidationException", "100");
  ExpectAwsError(Aws(http_, "DeleteStateMachineVersion", J({{"stateMachineVersionArn", v1}})),
                 "ConflictException", "referencing this version: [live]", 409);
  ExpectAwsError(Aws(http_, "DeleteStateMachineVersion", J({{"stateMachineVersionArn", "x"}})),
                 "InvalidArn", "x");
  ExpectAwsError(Aws(http_, "ListStateMachineVersions", J({{"stateMachineArn", m},
                                                            {"maxResults", 5000}})),
                 "ValidationException", "maxResults");
  ExpectAwsError(Aws(http_, "StartExecution", J({{"stateMachineArn", m + ":nope"}})),
                 "StateMachineDoesNotExist", m + ":nope");
  ExpectResponsive();
  EXPECT_EQ(listed_before, listing());
  EXPECT_EQ(before, Snapshot(stub_));
}

// Stepwise.RestartExecution (and the gRPC RestartExecution) with members of
// the wrong type, forged or unknown ARNs, bad names and inputs, a running
// execution: clear errors naming the member, nothing started or linked.
TEST_F(HostileTest, BadRestartRequestsAreRefusedAndChangeNothing) {
  const std::string done = std::string(kAccount) + "execution:Seed:done1";
  const std::string parked = std::string(kAccount) + "execution:Parked:parked1";
  std::string before = Snapshot(stub_);
  auto restart = [&](json::object members) {
    return StepwiseAws(http_, "RestartExecution", J(std::move(members)));
  };
  // Wrong JSON types and missing members.
  ExpectAwsError(restart({{"executionArn", 5}, {"stateName", "P"}}), "SerializationException",
                 "'executionArn'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", json::array{"P"}}}),
                 "SerializationException", "'stateName'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"eventId", "2"}}),
                 "SerializationException", "'eventId'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"eventId", 1.5}}),
                 "SerializationException", "'eventId'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"eventId", 1e300}}),
                 "SerializationException", "'eventId'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"},
                          {"input", json::object{{"a", 1}}}}),
                 "SerializationException", "'input'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"name", 7}}),
                 "SerializationException", "'name'");
  ExpectAwsError(restart({{"stateName", "P"}}), "ValidationException", "'executionArn'");
  ExpectAwsError(restart({{"executionArn", done}}), "ValidationException", "'stateName'");
  ExpectAwsError(StepwiseAws(http_, "RestartExecution", "[1]"), "SerializationException",
                 "JSON object");
  // Out of range.
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", ""}}), "ValidationException",
                 "'stateName'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", std::string(81, 's')}}),
                 "ValidationException", "'stateName'");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"eventId", -1}}),
                 "ValidationException", "'eventId'");
  ExpectAwsError(restart({{"executionArn", std::string(3000, 'a')}, {"stateName", "P"}}),
                 "ValidationException", "'executionArn'");
  // Forged and unknown ARNs.
  for (const std::string& forged :
       {std::string("not-an-arn"), std::string("arn:aws:states:us-east-1:999999999999:execution:Seed:done1"),
        MachineArn("Seed"), std::string(kAccount) + "express:Seed:done1:0f0e",
        std::string(kAccount) + "execution:Seed", ActivityArn("parked")}) {
    AwsReply r = restart({{"executionArn", forged}, {"stateName", "P"}});
    EXPECT_EQ(r.status, 400) << forged << ": " << r.raw;
    EXPECT_EQ(r.type, "InvalidArn") << forged << ": " << r.raw;
  }
  ExpectAwsError(restart({{"executionArn", done + "x"}, {"stateName", "P"}}),
                 "ExecutionDoesNotExist", done + "x");
  // States, inputs and names that cannot be.
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "Nope"}}), "ValidationException",
                 "stateName");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"eventId", 1}}),
                 "ValidationException", "eventId");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"input", "{\"a\":"}}),
                 "ValidationException", "input");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"},
                          {"input", PayloadOfSize(262145)}}),
                 "ValidationException", "input");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"}, {"name", "a b"}}),
                 "InvalidName", "a b");
  ExpectAwsError(restart({{"executionArn", done}, {"stateName", "P"},
                          {"name", std::string(81, 'n')}}),
                 "InvalidName", "nnn");
  ExpectAwsError(restart({{"executionArn", parked}, {"stateName", "Work"}}),
                 "ExecutionNotRestartable", "RUNNING");
  // gRPC: the same engine checks.
  v1::RestartExecutionRequest req;
  req.set_execution_arn(done);
  v1::RestartExecutionResponse resp;
  ExpectGrpcError(stub_->RestartExecution(Ctx().get(), req, &resp), "ValidationException",
                  "stateName");
  req.set_state_name("P");
  req.set_input(std::string(300000, '['));
  ExpectGrpcError(stub_->RestartExecution(Ctx().get(), req, &resp), "ValidationException",
                  "input");
  req.clear_input();
  // A well-formed ARN naming nothing (as DescribeExecution answers it).
  req.set_execution_arn("arn:aws:states:us-east-1:123456789012:execution:Seed:../../x");
  ExpectGrpcError(stub_->RestartExecution(Ctx().get(), req, &resp), "ExecutionDoesNotExist",
                  "../../x");
  req.set_execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Seed");
  ExpectGrpcError(stub_->RestartExecution(Ctx().get(), req, &resp), "InvalidArn", "");
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

TEST_F(HostileTest, RedriveExecutionOfTheWrongShapeIsRefusedAndChangesNothing) {
  // A FAILED execution that may be redriven, beside done1 (SUCCEEDED) and
  // parked1 (RUNNING) from SetUp.
  const std::string failed = Start("Tokens", "failed1", "{}");
  v1::GetActivityTaskResponse task = PollGrpc("tokens");
  ASSERT_FALSE(task.task_token().empty());
  ASSERT_EQ(Aws(http_, "SendTaskFailure", J({{"taskToken", task.task_token()}, {"error", "E"}}))
                .status,
            200);
  WaitStatus(failed, "FAILED");
  const std::string done = std::string(kAccount) + "execution:Seed:done1";
  const std::string parked = std::string(kAccount) + "execution:Parked:parked1";
  std::string before = Snapshot(stub_);
  auto redrive = [&](const json::object& members) {
    return Aws(http_, "RedriveExecution", J(members));
  };
  // Wrong JSON types and missing members.
  ExpectAwsError(redrive({}), "ValidationException", "executionArn");
  ExpectAwsError(redrive({{"executionArn", 5}}), "SerializationException", "'executionArn'");
  ExpectAwsError(redrive({{"executionArn", json::array{failed}}}), "SerializationException",
                 "'executionArn'");
  ExpectAwsError(redrive({{"executionArn", failed}, {"clientToken", 7}}),
                 "SerializationException", "'clientToken'");
  ExpectAwsError(redrive({{"executionArn", failed}, {"clientToken", json::object{}}}),
                 "SerializationException", "'clientToken'");
  // clientToken: AWS's length 1..64 and pattern [!-~]+.
  for (const std::string& bad : {std::string(""), std::string(65, 't'), std::string("a b"),
                                 std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    ExpectAwsError(redrive({{"executionArn", failed}, {"clientToken", bad}}),
                   "ValidationException", "clientToken");
  }
  // ARNs that name no execution that could be redriven.
  ExpectAwsError(redrive({{"executionArn", ""}}), "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: '");
  ExpectAwsError(redrive({{"executionArn", "not-an-arn"}}), "InvalidArn", "not-an-arn");
  ExpectAwsError(redrive({{"executionArn", MachineArn("Tokens")}}), "InvalidArn",
                 MachineArn("Tokens"));
  ExpectAwsError(redrive({{"executionArn", ActivityArn("tokens")}}), "InvalidArn",
                 ActivityArn("tokens"));
  ExpectAwsError(redrive({{"executionArn", std::string(kAccount) + "execution:Tokens:nope"}}),
                 "ExecutionDoesNotExist", "nope");
  // AWS's executionArn is at most 256 characters.
  ExpectAwsError(redrive({{"executionArn", std::string(kAccount) + "execution:Tokens:" +
                                               std::string(3000, 'x')}}),
                 "ValidationException",
                 "at 'executionArn' failed to satisfy constraint: Member must have length less "
                 "than or equal to 256");
  // Executions that are not redrivable, in AWS's words.
  ExpectAwsError(redrive({{"executionArn", done}}), "ExecutionNotRedrivable",
                 "Execution is SUCCEEDED and cannot be redriven.");
  ExpectAwsError(redrive({{"executionArn", parked}, {"clientToken", "t"}}),
                 "ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven.");
  // The same over gRPC: the same names.
  for (const auto& [arn, name] : {std::pair{std::string("not-an-arn"), std::string("InvalidArn")},
                                  std::pair{done, std::string("ExecutionNotRedrivable")},
                                  std::pair{parked, std::string("ExecutionNotRedrivable")}}) {
    v1::RedriveExecutionRequest req;
    req.set_execution_arn(arn);
    v1::RedriveExecutionResponse resp;
    ExpectGrpcError(stub_->RedriveExecution(Ctx().get(), req, &resp), name, "");
  }
  for (const std::string& bad : {std::string(65, 't'), std::string(1 << 20, 't'),
                                 std::string("a b")}) {
    v1::RedriveExecutionRequest req;
    req.set_execution_arn(failed);
    req.set_client_token(bad);
    v1::RedriveExecutionResponse resp;
    ExpectGrpcError(stub_->RedriveExecution(Ctx().get(), req, &resp), "ValidationException",
                    "'clientToken'");
  }
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
  // Still redrivable after all that: a well-formed call redrives it once.
  AwsReply ok = redrive({{"executionArn", failed}, {"clientToken", "good-1"}});
  EXPECT_EQ(ok.status, 200) << ok.raw;
  AwsReply again = redrive({{"executionArn", failed}, {"clientToken", "good-1"}});
  EXPECT_EQ(again.raw, ok.raw);
  WaitStatus(failed, "RUNNING");
}

TEST_F(HostileTest, UndecodableGrpcRequestsGetSerializationException) {
  std::string before = Snapshot(stub_);
  // Bytes no request message of any method decodes: a tag with wire type 7
  // (there is none), field number 0, a length running past the end, a
  // varint tag longer than 10 bytes, and a valid field followed by garbage.
  const std::vector<std::string> garbage = {
      std::string("\x0f", 1),
      std::string("\x00\x01", 2),
      std::string("\x0a\x7f\x61", 3),
      std::string(11, '\xff'),
      std::string("\x0a\x01\x61\xff\xff", 5),
  };
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::States::service_full_name());
  ASSERT_NE(service, nullptr);
  ASSERT_GE(service->method_count(), 20);
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    const std::string method = "/" + std::string(service->full_name()) + "/" + std::string(m->name());
    for (const std::string& wire : garbage) {
      SCOPED_TRACE(method + " with " + std::to_string(wire.size()) + " garbage bytes");
      ExpectUndecodable(RawCall(daemon_->channel(), method, wire),
                        std::string(m->input_type()->full_name()));
    }
  }
  // Invalid UTF-8 in a string field of a mutating call: nothing is made.
  v1::StartExecutionRequest start;
  start.set_state_machine_arn(MachineArn("Seed"));
  start.set_name("utf8");
  std::string wire = start.SerializeAsString();
  wire += std::string("\x1a\x02\xc3\x28", 4);  // field 3 (input): "\xc3\x28"
  ExpectUndecodable(RawCall(daemon_->channel(), "/stepwise.v1.States/StartExecution", wire),
                    "stepwise.v1.StartExecutionRequest");
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
  // The same request with a valid string starts the execution: the server
  // still decodes what it should.
  v1::StartExecutionRequest good = start;
  good.set_input(R"({"a":1})");
  grpc::Status s = RawCall(daemon_->channel(), "/stepwise.v1.States/StartExecution",
                           good.SerializeAsString());
  EXPECT_TRUE(s.ok()) << s.error_message();
  WaitStatus(std::string(kAccount) + "execution:Seed:utf8", "SUCCEEDED");
}

TEST_F(HostileTest, NamesWithForbiddenCharactersAreRefused) {
  std::string before = Snapshot(stub_);
  std::vector<std::string> names = {"", std::string(81, 'a'), "with space", "tab\tname",
                                    "new\nline", "ctl\x01", "del\x7f"};
  for (char c : std::string("<>{}[]?*\"#%\\^|~`$&,;:/")) names.push_back(std::string("a") + c + "b");
  for (const std::string& name : names) {
    SCOPED_TRACE("name '" + name + "'");
    v1::CreateActivityRequest ca;
    ca.set_name(name);
    v1::CreateActivityResponse car;
    grpc::Status s = stub_->CreateActivity(Ctx().get(), ca, &car);
    EXPECT_EQ(ErrorName(s), "InvalidName") << s.error_message();
    v1::CreateStateMachineRequest cm;
    cm.set_name(name);
    cm.set_definition(kPassDef);
    cm.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse cmr;
    s = stub_->CreateStateMachine(Ctx().get(), cm, &cmr);
    EXPECT_EQ(ErrorName(s), "InvalidName") << s.error_message();
    if (!name.empty()) {
      ExpectGrpcError(StartStatus("Seed", name, "{}"), "InvalidName", "Invalid Name");
      ExpectAwsError(Aws(http_, "StartExecution",
                         J({{"stateMachineArn", MachineArn("Seed")}, {"name", name}})),
                     "InvalidName", "Invalid Name");
    }
    AwsReply a = Aws(http_, "CreateActivity", J({{"name", name}}));
    ExpectAwsError(a, "InvalidName", "Invalid Name");
    a = Aws(http_, "CreateStateMachine",
            J({{"name", name}, {"definition", kPassDef},
               {"roleArn", "arn:aws:iam::123456789012:role/r"}}));
    ExpectAwsError(a, "InvalidName", "Invalid Name");
  }
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));
}

TEST_F(HostileTest, ForgedTruncatedReplayedAndExpiredTaskTokensAreRefused) {
  Start("Tokens", "t1", R"({"job":1})");
  v1::GetActivityTaskResponse task = PollGrpc("tokens");
  ASSERT_FALSE(task.task_token().empty());
  const std::string token = task.task_token();

  std::string before = Snapshot(stub_);
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  std::string forged(token.size(), 'A');
  std::vector<std::string> bad = {
      "",                                  // empty
      token.substr(0, token.size() - 1),   // truncated by one
      token.substr(0, token.size() / 2),   // truncated by half
      altered,                             // one character changed
      forged,                              // right length, no valid MAC
      token + "A",                         // extended
      token + "=",                         // padding
      std::string(3000, 'A'),              // over the 2048 limit
      "not base64 at all!",
  };
  for (const std::string& t : bad) {
    SCOPED_TRACE("token '" + t.substr(0, 60) + "'");
    v1::SendTaskSuccessRequest ts;
    ts.set_task_token(t);
    ts.set_output("{}");
    v1::SendTaskSuccessResponse tr;
    ExpectGrpcError(stub_->SendTaskSuccess(Ctx().get(), ts, &tr), "InvalidToken", "Invalid Token");
    v1::SendTaskHeartbeatRequest hb;
    hb.set_task_token(t);
    v1::SendTaskHeartbeatResponse hr;
    ExpectGrpcError(stub_->SendTaskHeartbeat(Ctx().get(), hb, &hr), "InvalidToken",
                    "Invalid Token");
    ExpectAwsError(Aws(http_, "SendTaskFailure", J({{"taskToken", t}, {"error", "E"}})),
                   "InvalidToken", "Invalid Token");
    ExpectAwsError(Aws(http_, "SendTaskSuccess", J({{"taskToken", t}, {"output", "{}"}})),
                   "InvalidToken", "Invalid Token");
  }
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));

  // The real token works once...
  AwsReply ok = Aws(http_, "SendTaskSuccess", J({{"taskToken", token}, {"output", R"({"r":1})"}}));
  ASSERT_EQ(ok.status, 200) << ok.raw;
  WaitStatus(std::string(kAccount) + "execution:Tokens:t1", "SUCCEEDED");
  // ...and a replay on either API changes nothing.
  std::string after_success = Snapshot(stub_);
  v1::SendTaskSuccessRequest replay;
  replay.set_task_token(token);
  replay.set_output(R"({"r":2})");
  v1::SendTaskSuccessResponse rr;
  ExpectGrpcError(stub_->SendTaskSuccess(Ctx().get(), replay, &rr), "TaskTimedOut",
                  "does not exist");
  ExpectAwsError(Aws(http_, "SendTaskSuccess", J({{"taskToken", token}, {"output", "{}"}})),
                 "TaskTimedOut", "does not exist");
  ExpectAwsError(Aws(http_, "SendTaskHeartbeat", J({{"taskToken", token}})), "TaskTimedOut",
                 "does not exist");
  EXPECT_EQ(after_success, Snapshot(stub_));

  // Expired: the task's 1 s timeout fires; its token is then refused.
  std::string exp = Start("Expiring", "x1", "{}");
  v1::GetActivityTaskResponse etask = PollGrpc("tokens");
  ASSERT_FALSE(etask.task_token().empty());
  WaitStatus(exp, "FAILED");
  std::string after_timeout = Snapshot(stub_);
  v1::SendTaskSuccessRequest late;
  late.set_task_token(etask.task_token());
  late.set_output("{}");
  ExpectGrpcError(stub_->SendTaskSuccess(Ctx().get(), late, &rr), "TaskTimedOut",
                  "does not exist");
  ExpectAwsError(Aws(http_, "SendTaskFailure", J({{"taskToken", etask.task_token()}})),
                 "TaskTimedOut", "does not exist");
  ExpectResponsive();
  EXPECT_EQ(after_timeout, Snapshot(stub_));
}

TEST_F(HostileTest, FunctionQueuesAndCallbackTokensRefuseWhatIsBad) {
  // Function names Lambda would not accept are refused by the poll itself.
  for (const std::string& name :
       {std::string(), std::string(65, 'f'), std::string("a b"), std::string("caf\xc3\xa9"),
        std::string("arn:aws:lambda:us-east-1:123456789012:function:f"), std::string("f:1")}) {
    SCOPED_TRACE("function '" + name + "'");
    v1::GetFunctionTaskRequest req;
    req.set_function_name(name);
    v1::GetFunctionTaskResponse resp;
    ExpectGrpcError(stub_->GetFunctionTask(Ctx().get(), req, &resp), "InvalidArn",
                    "Invalid function name");
  }
  // Bad Lambda parameters fail the Task with Lambda's names; nothing is queued.
  Create("BadPayload", R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"FunctionName":"f","Payload":"{not json"},"End":true}}})");
  std::string bad = Start("BadPayload", "b1", "{}");
  WaitStatus(bad, "FAILED");
  // A callback token, altered or replayed, is refused; the real one works once.
  Create("Callback", R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters":{"FunctionName":"cb","Payload":{"token.$":"$$.Task.Token"}},"End":true}}})");
  std::string cb = Start("Callback", "c1", "{}");
  v1::GetFunctionTaskRequest req;
  req.set_function_name("cb");
  v1::GetFunctionTaskResponse task;
  ASSERT_TRUE(stub_->GetFunctionTask(Ctx(20s).get(), req, &task).ok());
  ASSERT_FALSE(task.task_token().empty());
  boost::system::error_code ec;
  json::value payload = json::parse(task.payload(), ec);
  ASSERT_FALSE(ec) << task.payload();
  std::string token(payload.at("token").as_string());
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  ExpectAwsError(Aws(http_, "SendTaskSuccess", J({{"taskToken", altered}, {"output", "{}"}})),
                 "InvalidToken", "Invalid Token");
  // An oversize answer on the callback token is refused, not stored.
  std::string before_big = Snapshot(stub_);
  ExpectAwsError(Aws(http_, "SendTaskSuccess",
                     J({{"taskToken", token}, {"output", PayloadOfSize(262145)}})),
                 "InvalidOutput", "262144");
  EXPECT_EQ(before_big, Snapshot(stub_));
  v1::SendTaskSuccessResponse br;
  AwsReply ok = Aws(http_, "SendTaskSuccess", J({{"taskToken", token}, {"output", R"({"r":1})"}}));
  ASSERT_EQ(ok.status, 200) << ok.raw;
  WaitStatus(cb, "SUCCEEDED");
  std::string after = Snapshot(stub_);
  ExpectAwsError(Aws(http_, "SendTaskSuccess", J({{"taskToken", token}, {"output", "{}"}})),
                 "TaskTimedOut", "does not exist");
  // The worker's own answer after the callback ended it changes nothing.
  v1::SendTaskSuccessRequest late;
  late.set_task_token(task.task_token());
  late.set_output("{}");
  ExpectGrpcError(stub_->SendTaskSuccess(Ctx().get(), late, &br), "TaskTimedOut",
                  "does not exist");
  EXPECT_EQ(after, Snapshot(stub_));
  // A function's oversize result is the Task's failure, as AWS reports it
  // (States.DataLimitExceeded), not a refused call.
  Create("BigResult", R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:lambda:us-east-1:123456789012:function:big","End":true}}})");
  std::string big_exec = Start("BigResult", "g1", "{}");
  v1::GetFunctionTaskRequest breq;
  breq.set_function_name("big");
  v1::GetFunctionTaskResponse btask;
  ASSERT_TRUE(stub_->GetFunctionTask(Ctx(20s).get(), breq, &btask).ok());
  ASSERT_FALSE(btask.task_token().empty());
  v1::SendTaskSuccessRequest big;
  big.set_task_token(btask.task_token());
  big.set_output(PayloadOfSize(262145));
  ASSERT_TRUE(stub_->SendTaskSuccess(Ctx().get(), big, &br).ok());
  WaitStatus(big_exec, "FAILED");
  v1::DescribeExecutionRequest dreq;
  dreq.set_execution_arn(big_exec);
  v1::DescribeExecutionResponse dresp;
  ASSERT_TRUE(stub_->DescribeExecution(Ctx().get(), dreq, &dresp).ok());
  EXPECT_EQ(dresp.error(), "States.DataLimitExceeded");
  ExpectResponsive();
}

TEST_F(HostileTest, AThousandConcurrentLongPollsPerApi) {
  // 1,000 is also AWS's (and Stepwise's) limit of pollers per activity:
  // HTTP polls wait on "polls", gRPC polls on "polls2".
  constexpr int kPolls = 1000;
  constexpr int kTasks = 10;  // per activity
  std::string before = Snapshot(stub_);

  // 1,000 HTTP long polls, each on its own connection.
  std::vector<int> fds;
  std::string poll_req = HttpRequestText(
      "POST", "/", AwsHeaders("GetActivityTask"),
      J({{"activityArn", ActivityArn("polls")}, {"workerName", "w"}}));
  for (int i = 0; i < kPolls; ++i) {
    int fd = Connect(http_);
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(SendAll(fd, poll_req));
    fds.push_back(fd);
  }
  // 1,000 gRPC long polls on one channel.
  struct GrpcPoll {
    grpc::ClientContext ctx;
    v1::GetActivityTaskRequest req;
    v1::GetActivityTaskResponse resp;
    grpc::Status status;
    bool done = false;
  };
  std::vector<std::unique_ptr<GrpcPoll>> polls;
  std::mutex mu;
  std::condition_variable cv;
  int grpc_done = 0;
  for (int i = 0; i < kPolls; ++i) {
    auto p = std::make_unique<GrpcPoll>();
    p->ctx.set_deadline(std::chrono::system_clock::now() + 50s);
    p->req.set_activity_arn(ActivityArn("polls2"));
    p->req.set_worker_name("g" + std::to_string(i));
    GrpcPoll* raw = p.get();
    stub_->async()->GetActivityTask(&raw->ctx, &raw->req, &raw->resp,
                                    [raw, &mu, &cv, &grpc_done](grpc::Status s) {
                                      std::lock_guard<std::mutex> l(mu);
                                      raw->status = s;
                                      raw->done = true;
                                      ++grpc_done;
                                      cv.notify_all();
                                    });
    polls.push_back(std::move(p));
  }
  // Wait until the daemon holds all 2,000.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string metrics;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = Http(http_, "GET", "/metrics", {}, "", 5s).body;
    if (metrics.find("activity=\"" + ActivityArn("polls") + "\"} 1000") != std::string::npos &&
        metrics.find("activity=\"" + ActivityArn("polls2") + "\"} 1000") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  // One more on either API: refused, as AWS refuses it.
  ExpectAwsError(Aws(http_, "GetActivityTask", J({{"activityArn", ActivityArn("polls")}}), "", 10s),
                 "ActivityWorkerLimitExceeded", "limit");
  {
    v1::GetActivityTaskRequest req;
    req.set_activity_arn(ActivityArn("polls2"));
    v1::GetActivityTaskResponse resp;
    ExpectGrpcError(stub_->GetActivityTask(Ctx(10s).get(), req, &resp),
                    "ActivityWorkerLimitExceeded", "limit");
  }
  // With 2,000 polls parked, the daemon still answers at once and nothing changed.
  ExpectResponsive();
  EXPECT_EQ(before, Snapshot(stub_));

  // Tasks arrive: each goes to exactly one poller.
  for (int i = 0; i < kTasks; ++i) {
    Start("Polls", "p" + std::to_string(i), "{}");
    Start("Polls2", "q" + std::to_string(i), "{}");
  }
  std::set<std::string> tokens;
  int http_handed = 0, grpc_handed = 0;
  std::vector<bool> answered(fds.size(), false);
  deadline = std::chrono::steady_clock::now() + 30s;
  while ((http_handed < kTasks || grpc_handed < kTasks) &&
         std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (answered[i]) continue;
      pollfd p{fds[i], POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) continue;
      HttpReply r = ReadReply(fds[i], 5s);
      answered[i] = true;
      ASSERT_EQ(r.status, 200) << r.body;
      AwsReply a = ToAwsReply(r);
      ASSERT_TRUE(a.body.is_object());
      if (auto* t = a.body.as_object().if_contains("taskToken")) {
        EXPECT_TRUE(tokens.insert(std::string(t->as_string())).second) << "token handed twice";
        ++http_handed;
      }
    }
    {
      std::lock_guard<std::mutex> l(mu);
      grpc_handed = 0;
      for (auto& p : polls) {
        if (p->done && p->status.ok() && !p->resp.task_token().empty()) ++grpc_handed;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(http_handed, kTasks);
  EXPECT_EQ(grpc_handed, kTasks);
  {
    std::lock_guard<std::mutex> l(mu);
    for (auto& p : polls) {
      if (p->done && !p->resp.task_token().empty()) {
        EXPECT_TRUE(tokens.insert(p->resp.task_token()).second) << "token handed twice";
      }
    }
  }
  EXPECT_EQ(tokens.size(), static_cast<size_t>(2 * kTasks));

  // Everyone hangs up: HTTP sockets closed, gRPC calls cancelled.
  for (int fd : fds) close(fd);
  for (auto& p : polls) p->ctx.TryCancel();
  {
    std::unique_lock<std::mutex> l(mu);
    EXPECT_TRUE(cv.wait_for(l, 30s, [&] { return grpc_done == kPolls; }));
  }
  // The 990 hung-up polls of each API do not hold their places: a new wave
  // of 20 pollers is accepted at once (not ActivityWorkerLimitExceeded)...
  std::vector<int> wave;
  for (int i = 0; i < 20; ++i) {
    int fd = Connect(http_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, poll_req));
    wave.push_back(fd);
  }
  std::vector<std::unique_ptr<GrpcPoll>> wave2;
  for (int i = 0; i < 20; ++i) {
    auto p = std::make_unique<GrpcPoll>();
    p->ctx.set_deadline(std::chrono::system_clock::now() + 50s);
    p->req.set_activity_arn(ActivityArn("polls2"));
    GrpcPoll* raw = p.get();
    stub_->async()->GetActivityTask(&raw->ctx, &raw->req, &raw->resp,
                                    [raw, &mu, &cv](grpc::Status s) {
                                      std::lock_guard<std::mutex> l(mu);
                                      raw->status = s;
                                      raw->done = true;
                                      cv.notify_all();
                                    });
    wave2.push_back(std::move(p));
  }
  std::this_thread::sleep_for(1s);
  for (int fd : wave) {
    bool closed = false;
    std::string early = ReadSome(fd, 0ms, &closed);
    EXPECT_TRUE(early.empty() && !closed) << "a new poller was refused: " << early;
  }
  {
    std::lock_guard<std::mutex> l(mu);
    for (auto& p : wave2) {
      EXPECT_FALSE(p->done) << "a new poller was refused: " << ErrorName(p->status);
    }
  }
  // ...and a task started now goes to one of them, on each API.
  Start("Polls", "after", "{}");
  Start("Polls2", "after", "{}");
  int got = 0;
  deadline = std::chrono::steady_clock::now() + 20s;
  std::vector<bool> wave_answered(wave.size(), false);
  while (got < 2 && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < wave.size(); ++i) {
      if (wave_answered[i]) continue;
      pollfd p{wave[i], POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) continue;
      wave_answered[i] = true;
      AwsReply a = ToAwsReply(ReadReply(wave[i], 5s));
      if (a.status == 200 && a.body.is_object() && a.body.as_object().contains("taskToken")) ++got;
    }
    {
      std::lock_guard<std::mutex> l(mu);
      for (auto& p : wave2) {
        if (p->done && !p->resp.task_token().empty()) {
          ++got;
          p->resp.clear_task_token();
        }
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(got, 2);
  for (int fd : wave) close(fd);
  for (auto& p : wave2) p->ctx.TryCancel();
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, 30s, [&] {
      for (auto& p : wave2) {
        if (!p->done) return false;
      }
      return true;
    });
  }
  ExpectResponsive();
}

TEST_F(HostileTest, SlowAndHalfOpenConnectionsAreCutOffWhileOthersAreServed) {
  std::string before = Snapshot(stub_);
  constexpr int kSlow = 200;
  // Slowloris: headers trickled one byte at a time, never finished.
  std::vector<int> slow;
  for (int i = 0; i < kSlow; ++i) {
    int fd = Connect(http_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
    slow.push_back(fd);
  }
  // Half-open: a body promised and half sent, then the client's side shut.
  std::vector<int> half;
  for (int i = 0; i < 20; ++i) {
    int fd = Connect(http_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                            "AWSStepFunctions.CreateActivity\r\nContent-Length: 100\r\n\r\n"
                            "{\"name\":\"half"));
    shutdown(fd, SHUT_WR);
    half.push_back(fd);
  }
  // Silent: connected, nothing sent.
  std::vector<int> silent;
  for (int i = 0; i < 20; ++i) silent.push_back(Connect(http_));

  // While they hang on, others are served promptly.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<bool> closed_slow(slow.size(), false);
  int trickles = 0;
  while (std::chrono::steady_clock::now() - t0 < 8s) {
    for (size_t i = 0; i < slow.size(); ++i) {
      if (closed_slow[i]) continue;
      if (!SendAll(slow[i], "x")) {
        closed_slow[i] = true;
        continue;
      }
      bool closed = false;
      ReadSome(slow[i], 0ms, &closed);
      if (closed) closed_slow[i] = true;
    }
    if (++trickles % 4 == 0) {
      auto c0 = std::chrono::steady_clock::now();
      HttpReply h = Http(http_, "GET", "/healthz", {}, "", 5s);
      EXPECT_EQ(h.status, 200);
      EXPECT_LT(std::chrono::steady_clock::now() - c0, 2s);
    }
    std::this_thread::sleep_for(250ms);
  }
  // The server cut every slow client off (its timeout is 3 s) even though
  // each kept sending.
  int cut = 0;
  for (size_t i = 0; i < slow.size(); ++i) {
    bool closed = closed_slow[i];
    if (!closed) {
      std::string got = ReadSome(slow[i], 100ms, &closed);
      // A 400/408 reply followed by close also counts as cut off.
      closed = closed || !got.empty();
    }
    if (closed) ++cut;
  }
  EXPECT_EQ(cut, kSlow);
  for (int fd : half) {
    bool closed = false;
    std::string got;
    for (int k = 0; k < 10 && !closed; ++k) got += ReadSome(fd, 1s, &closed);
    EXPECT_TRUE(closed) << "half-open connection still open";
  }
  for (int fd : silent) {
    bool closed = false;
    ReadSome(fd, 2s, &closed);
    EXPECT_TRUE(closed) << "silent connection still open";
  }
  for (int fd : slow) close(fd);
  for (int fd : half) close(fd);
  for (int fd : silent) close(fd);
  // A client that sends a request and never reads the reply does not stall
  // the others either.
  std::vector<int> deaf;
  for (int i = 0; i < 50; ++i) {
    int fd = Connect(http_);
    ASSERT_GE(fd, 0);
    int small = 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    SendAll(fd, HttpRequestText("POST", "/", AwsHeaders("GetExecutionHistory"),
                                J({{"executionArn", std::string(kAccount) + "execution:Seed:done1"},
                                   {"maxResults", 1000}})));
    deaf.push_back(fd);
  }
  ExpectResponsive();
  for (int fd : deaf) close(fd);
  EXPECT_EQ(before, Snapshot(stub_));
}

}  // namespace
}  // namespace stepwise::hostile
