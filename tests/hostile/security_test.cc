// Security of the real stepwised: HTTPS with client certificates (mTLS) on
// the HTTP listener, bearer tokens required on both APIs, the task-token key
// never in any log, task tokens from another data directory refused, and
// the audit log of mutating calls.
#include <algorithm>
#include <cctype>
#include <set>

#include "storage/rocks_store.h"
#include "tests/hostile/daemon.h"

namespace stepwise::hostile {
namespace {

constexpr char kAccount[] = "arn:aws:states:us-east-1:123456789012:";
constexpr char kToken[] = "s3cret-token-for-the-hostile-suite-1";

std::string ActivityDef(const std::string& activity) {
  return R"({"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":")" +
         std::string(kAccount) + "activity:" + activity + R"(","End":true}}})";
}

std::string Hex(const std::string& bytes, bool upper) {
  static const char* lower_digits = "0123456789abcdef";
  static const char* upper_digits = "0123456789ABCDEF";
  const char* d = upper ? upper_digits : lower_digits;
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string Base64(const std::string& bytes, bool url) {
  std::string alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(v >> s) & 63]);
  }
  // The unpadded prefix is enough to find the key in a log.
  return out;
}

// Creates activity `activity`, a machine `machine` using it, starts
// execution `name`; returns its ARN.
std::string StartActivityExecution(v1::States::Stub* stub, const std::string& machine,
                                   const std::string& activity, const std::string& name,
                                   const std::string& token = "") {
  v1::CreateActivityRequest ca;
  ca.set_name(activity);
  v1::CreateActivityResponse car;
  grpc::Status s = stub->CreateActivity(Ctx(30s, token).get(), ca, &car);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::CreateStateMachineRequest cm;
  cm.set_name(machine);
  cm.set_definition(ActivityDef(activity));
  cm.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse cmr;
  s = stub->CreateStateMachine(Ctx(30s, token).get(), cm, &cmr);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::StartExecutionRequest se;
  se.set_state_machine_arn(cmr.state_machine_arn());
  se.set_name(name);
  se.set_input(R"({"job":"x"})");
  v1::StartExecutionResponse ser;
  s = stub->StartExecution(Ctx(30s, token).get(), se, &ser);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return ser.execution_arn();
}

std::string PollToken(v1::States::Stub* stub, const std::string& activity,
                      const std::string& token = "") {
  v1::GetActivityTaskRequest req;
  req.set_activity_arn(std::string(kAccount) + "activity:" + activity);
  v1::GetActivityTaskResponse resp;
  grpc::Status s = stub->GetActivityTask(Ctx(20s, token).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.task_token();
}

std::string Status(v1::States::Stub* stub, const std::string& arn, const std::string& token = "") {
  v1::DescribeExecutionRequest req;
  req.set_execution_arn(arn);
  v1::DescribeExecutionResponse resp;
  grpc::Status s = stub->DescribeExecution(Ctx(30s, token).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

void WaitStatus(v1::States::Stub* stub, const std::string& arn, const std::string& status,
                const std::string& token = "") {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Status(stub, arn, token) == status) return;
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << arn << " never reached " << status;
}

std::vector<json::object> AuditLines(const std::string& path) {
  std::vector<json::object> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "audit line is not JSON: " << line;
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

TEST(SecurityTest, HttpsRequiresAClientCertificateFromTheClientCa) {
  std::string certs = MakeTempDir("certs");
  if (!MakeCertificates(certs)) GTEST_SKIP() << "the openssl command is not available";
  std::string c = certs + "/";
  Daemon d(MakeTempDir("data"),
           {"--tls-cert", c + "server.pem", "--tls-key", c + "server.key", "--http-tls-client-ca",
            c + "ca.pem", "--http-timeout", "2"});
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(c + "ca.pem");
  ASSERT_TRUE(d.Start(grpc::SslCredentials(ssl))) << d.log();
  EXPECT_NE(d.log().find("client certs"), std::string::npos) << d.log();

  auto headers = AwsHeaders("CreateActivity");
  std::string body = J({{"name", "mtls"}});
  // With a certificate from the client CA: served.
  HttpReply ok = Https(d.http_port(), c + "ca.pem", c + "client.pem", c + "client.key", "POST",
                       "/", headers, body);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Https(d.http_port(), c + "ca.pem", c + "client.pem", c + "client.key", "GET",
                  "/healthz", {}, "").status,
            200);
  // Without a certificate, or with one from another CA: no reply at all.
  EXPECT_EQ(Https(d.http_port(), c + "ca.pem", "", "", "POST", "/", headers, body).status, -1);
  EXPECT_EQ(Https(d.http_port(), c + "ca.pem", c + "rogue.pem", c + "rogue.key", "POST", "/",
                  headers, body).status,
            -1);
  // Plain HTTP to the HTTPS port: no HTTP reply either.
  EXPECT_EQ(Http(d.http_port(), "GET", "/healthz", {}, "", 5s).status, -1);
  // A client that connects and never starts the handshake is cut off.
  int fd = Connect(d.http_port());
  ASSERT_GE(fd, 0);
  bool closed = false;
  for (int i = 0; i < 10 && !closed; ++i) ReadSome(fd, 1s, &closed);
  EXPECT_TRUE(closed) << "a stalled TLS handshake was not timed out";
  close(fd);
  // gRPC over TLS still works, and the HTTPS-created activity is there once.
  v1::ListActivitiesRequest la;
  v1::ListActivitiesResponse lr;
  grpc::Status s = d.stub()->ListActivities(Ctx().get(), la, &lr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(lr.activities_size(), 1);
  EXPECT_EQ(lr.activities(0).name(), "mtls");
}

TEST(SecurityTest, UnauthenticatedCallsAreRejectedOnBothApis) {
  std::string dir = MakeTempDir("auth");
  WriteFile(dir + "/tokens", std::string("# workers\n") + kToken + "\nsecond-token-abcdef\n");
  Daemon d(MakeTempDir("data"), {"--auth-tokens-file", dir + "/tokens"});
  ASSERT_TRUE(d.Start()) << d.log();
  auto* stub = d.stub();
  std::string exec = StartActivityExecution(stub, "Guarded", "guarded", "g1", kToken);
  std::string task = PollToken(stub, "guarded", kToken);
  ASSERT_FALSE(task.empty());
  std::string before = Snapshot(stub, kToken);

  // gRPC: no token, a wrong one, a prefix of the right one, the right one
  // with a different scheme: UNAUTHENTICATED, whatever the call.
  std::string token(kToken);
  for (const std::string& bad : {std::string(), std::string("wrong"), token.substr(0, 10),
                                 token + "x", std::string("second-token-abcdeF")}) {
    SCOPED_TRACE("token '" + bad + "'");
    v1::CreateActivityRequest ca;
    ca.set_name("intruder");
    v1::CreateActivityResponse car;
    grpc::Status s = stub->CreateActivity(Ctx(30s, bad).get(), ca, &car);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::SendTaskSuccessRequest ts;
    ts.set_task_token(task);
    ts.set_output("{}");
    v1::SendTaskSuccessResponse tr;
    s = stub->SendTaskSuccess(Ctx(30s, bad).get(), ts, &tr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::ListStateMachinesRequest lm;
    v1::ListStateMachinesResponse lmr;
    s = stub->ListStateMachines(Ctx(30s, bad).get(), lm, &lmr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // A request that does not decode: an unauthenticated caller hears only
  // UNAUTHENTICATED; with the token it is SerializationException.
  const std::string garbage("\x0a\x7f\x61", 3);
  for (const char* method : {"/stepwise.v1.States/CreateActivity",
                             "/stepwise.v1.States/WatchExecution"}) {
    SCOPED_TRACE(method);
    grpc::Status s = RawCall(d.channel(), method, garbage);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_EQ(ErrorName(s), "UnrecognizedClientException") << s.error_message();
    s = RawCall(d.channel(), method, garbage, "wrong");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    s = RawCall(d.channel(), method, garbage, kToken);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(ErrorName(s), "SerializationException") << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Basic ") + kToken);
    v1::ListStateMachinesRequest lm;
    v1::ListStateMachinesResponse lmr;
    EXPECT_EQ(stub->ListStateMachines(&ctx, lm, &lmr).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // AWS endpoint.
  int http = d.http_port();
  AwsReply r = Aws(http, "CreateActivity", J({{"name", "intruder"}}));
  EXPECT_EQ(r.type, "MissingAuthenticationTokenException") << r.raw;
  r = Aws(http, "CreateActivity", J({{"name", "intruder"}}), "wrong");
  EXPECT_EQ(r.type, "UnrecognizedClientException") << r.raw;
  r = Aws(http, "SendTaskSuccess", J({{"taskToken", task}, {"output", "{}"}}),
          token.substr(0, token.size() - 1));
  EXPECT_EQ(r.type, "UnrecognizedClientException") << r.raw;
  auto sig = AwsHeaders("StartExecution");
  sig["Authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/states/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=0000";
  sig["X-Amz-Date"] = "20260101T000000Z";
  r = ToAwsReply(Http(http, "POST", "/", sig, J({{"stateMachineArn", std::string(kAccount) +
                                                                        "stateMachine:Guarded"}})));
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_FALSE(r.type.empty()) << r.raw;
  EXPECT_EQ(Http(http, "GET", "/metrics").status, 401);
  EXPECT_EQ(Http(http, "GET", "/metrics", {{"Authorization", std::string("Bearer ") + kToken}})
                .status,
            200);
  EXPECT_EQ(Http(http, "GET", "/healthz").status, 200);
  EXPECT_EQ(before, Snapshot(stub, kToken));
  EXPECT_EQ(Status(stub, exec, kToken), "RUNNING");

  // The right token on each API.
  r = Aws(http, "SendTaskSuccess", J({{"taskToken", task}, {"output", "{}"}}), kToken);
  EXPECT_EQ(r.status, 200) << r.raw;
  WaitStatus(stub, exec, "SUCCEEDED", kToken);
  r = Aws(http, "ListStateMachines", "{}", "second-token-abcdef");
  EXPECT_EQ(r.status, 200) << r.raw;
}

TEST(SecurityTest, TheTaskTokenKeyIsNeverLogged) {
  std::string data = MakeTempDir("data");
  std::string audit = MakeTempDir("audit") + "/audit.jsonl";
  std::string task;
  std::string log;
  {
    Daemon d(data, {"--log-level", "trace", "--audit-log", audit});
    ASSERT_TRUE(d.Start()) << d.log();
    std::string exec = StartActivityExecution(d.stub(), "Keyed", "keyed", "k1");
    // A task over each API, forged tokens, a heartbeat, the answer.
    task = PollToken(d.stub(), "keyed");
    ASSERT_FALSE(task.empty());
    Aws(d.http_port(), "SendTaskHeartbeat", J({{"taskToken", task}}));
    Aws(d.http_port(), "SendTaskSuccess", J({{"taskToken", task + "x"}, {"output", "{}"}}));
    Aws(d.http_port(), "SendTaskSuccess", J({{"taskToken", task}, {"output", "{}"}}));
    WaitStatus(d.stub(), exec, "SUCCEEDED");
    // Restart on the same directory: the key is loaded, not made.
    ASSERT_EQ(d.Stop(), 0);
    log = d.log();
  }
  {
    Daemon d(data, {"--log-level", "trace", "--audit-log", audit});
    ASSERT_TRUE(d.Start()) << d.log();
    StartActivityExecution(d.stub(), "Keyed2", "keyed2", "k2");
    std::string again = PollToken(d.stub(), "keyed2");
    EXPECT_FALSE(again.empty());
    ASSERT_EQ(d.Stop(), 0);
    log = d.log();
  }
  auto store = storage::RocksStore::Open(data, storage::RocksOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  auto key = (*store)->Get(storage::Table::kMeta, "token_key");
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(key->has_value());
  const std::string& k = **key;
  ASSERT_GE(k.size(), 32u);
  std::string audit_text = ReadFile(audit);
  ASSERT_FALSE(audit_text.empty());
  ASSERT_NE(log.find("listening"), std::string::npos);
  for (const std::string& text : {log, audit_text}) {
    for (const std::string& form : {k, Hex(k, false), Hex(k, true), Base64(k, false),
                                    Base64(k, true), k.substr(0, 16), Hex(k.substr(0, 12), false)}) {
      EXPECT_EQ(text.find(form), std::string::npos) << "the task-token key appears in a log";
    }
  }
  // The audit log names tasks by fingerprint, never by the token itself.
  EXPECT_EQ(audit_text.find(task), std::string::npos);
}

TEST(SecurityTest, TaskTokensFromAnotherDataDirectoryAreRejected) {
  Daemon a(MakeTempDir("data_a"));
  Daemon b(MakeTempDir("data_b"));
  ASSERT_TRUE(a.Start()) << a.log();
  ASSERT_TRUE(b.Start()) << b.log();
  // The same names on both: only the key tells their tokens apart.
  std::string exec_a = StartActivityExecution(a.stub(), "Twin", "twin", "same");
  std::string exec_b = StartActivityExecution(b.stub(), "Twin", "twin", "same");
  ASSERT_EQ(exec_a, exec_b);
  std::string token_a = PollToken(a.stub(), "twin");
  std::string token_b = PollToken(b.stub(), "twin");
  ASSERT_FALSE(token_a.empty());
  ASSERT_FALSE(token_b.empty());
  EXPECT_NE(token_a, token_b);
  std::string before_b = Snapshot(b.stub());

  v1::SendTaskSuccessRequest ts;
  ts.set_task_token(token_a);
  ts.set_output(R"({"from":"a"})");
  v1::SendTaskSuccessResponse tr;
  grpc::Status s = b.stub()->SendTaskSuccess(Ctx().get(), ts, &tr);
  EXPECT_EQ(ErrorName(s), "InvalidToken") << s.error_message();
  v1::SendTaskHeartbeatRequest hb;
  hb.set_task_token(token_a);
  v1::SendTaskHeartbeatResponse hr;
  s = b.stub()->SendTaskHeartbeat(Ctx().get(), hb, &hr);
  EXPECT_EQ(ErrorName(s), "InvalidToken") << s.error_message();
  AwsReply r = Aws(b.http_port(), "SendTaskFailure", J({{"taskToken", token_a}, {"error", "E"}}));
  EXPECT_EQ(r.type, "InvalidToken") << r.raw;
  EXPECT_EQ(before_b, Snapshot(b.stub()));
  EXPECT_EQ(Status(b.stub(), exec_b), "RUNNING");

  // Each token works where it was made.
  r = Aws(a.http_port(), "SendTaskSuccess", J({{"taskToken", token_a}, {"output", "{}"}}));
  EXPECT_EQ(r.status, 200) << r.raw;
  s = b.stub()->SendTaskSuccess(Ctx().get(), [&] {
    v1::SendTaskSuccessRequest q;
    q.set_task_token(token_b);
    q.set_output("{}");
    return q;
  }(), &tr);
  EXPECT_TRUE(s.ok()) << s.error_message();
  WaitStatus(a.stub(), exec_a, "SUCCEEDED");
  WaitStatus(b.stub(), exec_b, "SUCCEEDED");
}

TEST(SecurityTest, TheAuditLogRecordsMutatingCallsOnBothApis) {
  std::string dir = MakeTempDir("audit");
  WriteFile(dir + "/tokens", std::string(kToken) + "\n");
  std::string audit = dir + "/audit.jsonl";
  Daemon d(MakeTempDir("data"), {"--auth-tokens-file", dir + "/tokens", "--audit-log", audit});
  ASSERT_TRUE(d.Start()) << d.log();
  auto* stub = d.stub();
  int http = d.http_port();
  // gRPC: create, start, poll, answer.
  std::string exec = StartActivityExecution(stub, "Audited", "audited", "a1", kToken);
  std::string task = PollToken(stub, "audited", kToken);
  ASSERT_FALSE(task.empty());
  v1::SendTaskSuccessRequest ts;
  ts.set_task_token(task);
  ts.set_output("{}");
  v1::SendTaskSuccessResponse tr;
  ASSERT_TRUE(stub->SendTaskSuccess(Ctx(30s, kToken).get(), ts, &tr).ok());
  // Read-only calls are not audited.
  Snapshot(stub, kToken);
  // AWS endpoint: a start, a refused caller, a failing call.
  AwsReply r = Aws(http, "StartExecution",
                   J({{"stateMachineArn", std::string(kAccount) + "stateMachine:Audited"},
                      {"name", "a2"}}),
                   kToken);
  ASSERT_EQ(r.status, 200) << r.raw;
  r = Aws(http, "DeleteStateMachine",
          J({{"stateMachineArn", std::string(kAccount) + "stateMachine:Audited"}}), "wrong");
  EXPECT_EQ(r.type, "UnrecognizedClientException");
  r = Aws(http, "StopExecution",
          J({{"executionArn", std::string(kAccount) + "execution:Audited:nope"}}), kToken);
  EXPECT_EQ(r.type, "ExecutionDoesNotExist") << r.raw;
  v1::CreateActivityRequest ca;
  ca.set_name("refused");
  v1::CreateActivityResponse car;
  EXPECT_FALSE(stub->CreateActivity(Ctx(30s, "wrong").get(), ca, &car).ok());
  ASSERT_EQ(d.Stop(), 0);

  std::vector<json::object> lines = AuditLines(audit);
  std::vector<std::string> seen;
  for (const auto& o : lines) {
    seen.push_back(Str(o, "api") + " " + Str(o, "action") + " " + Str(o, "outcome"));
    for (const char* key : {"time", "api", "caller", "peer", "action", "resource", "outcome"}) {
      EXPECT_TRUE(o.contains(key)) << key << " missing in " << json::serialize(o);
    }
    EXPECT_EQ(Str(o, "time").size(), 24u) << Str(o, "time");
    EXPECT_EQ(Str(o, "peer").find("127.0.0.1"), Str(o, "api") == "aws" ? 0u : 5u)
        << Str(o, "peer");  // "ipv4:127.0.0.1:port" for gRPC
  }
  std::string good_caller = "token:";
  auto find = [&](const std::string& api, const std::string& action, const std::string& outcome)
      -> const json::object* {
    for (const auto& o : lines) {
      if (Str(o, "api") == api && Str(o, "action") == action && Str(o, "outcome") == outcome) {
        return &o;
      }
    }
    ADD_FAILURE() << "no audit line for " << api << " " << action << " " << outcome;
    return nullptr;
  };
  const std::string sm = std::string(kAccount) + "stateMachine:Audited";
  if (auto* o = find("grpc", "CreateActivity", "OK")) {
    EXPECT_EQ(Str(*o, "resource"), std::string(kAccount) + "activity:audited");
    EXPECT_EQ(Str(*o, "caller").rfind(good_caller, 0), 0u) << Str(*o, "caller");
    EXPECT_EQ(Str(*o, "caller").size(), good_caller.size() + 8);
    EXPECT_EQ(Str(*o, "caller").find(kToken), std::string::npos);
  }
  if (auto* o = find("grpc", "CreateStateMachine", "OK")) {
    EXPECT_EQ(Str(*o, "resource"), sm);
  }
  if (auto* o = find("grpc", "StartExecution", "OK")) {
    EXPECT_EQ(Str(*o, "resource"), exec);
  }
  if (auto* o = find("grpc", "GetActivityTask", "OK")) {
    EXPECT_EQ(Str(*o, "resource"), std::string(kAccount) + "activity:audited");
  }
  if (auto* o = find("grpc", "SendTaskSuccess", "OK")) {
    EXPECT_EQ(Str(*o, "resource").rfind("taskToken:", 0), 0u);
  }
  if (auto* o = find("aws", "StartExecution", "OK")) {
    EXPECT_EQ(Str(*o, "resource"), std::string(kAccount) + "execution:Audited:a2");
    EXPECT_EQ(Str(*o, "caller").rfind(good_caller, 0), 0u);
  }
  if (auto* o = find("aws", "DeleteStateMachine", "UnrecognizedClientException")) {
    EXPECT_EQ(Str(*o, "resource"), "");  // refused before the body is read
  }
  find("aws", "StopExecution", "ExecutionDoesNotExist");
  find("grpc", "CreateActivity", "UnrecognizedClientException");
  for (const std::string& s : seen) {
    for (const char* read_only : {"List", "Describe", "GetExecutionHistory"}) {
      EXPECT_EQ(s.find(std::string(" ") + read_only), std::string::npos) << s;
    }
  }
  EXPECT_EQ(lines.size(), 9u) << testing::PrintToString(seen);
}

}  // namespace
}  // namespace stepwise::hostile
