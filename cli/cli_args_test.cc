#include "cli/cli_args.h"

#include <cstdio>
#include <map>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<CliArgs> Parse(std::vector<std::string> args) {
  return ParseCliArgs(args);
}

TEST(CliArgsTest, HelpForms) {
  for (const char* h : {"help", "--help", "-h"}) {
    auto a = Parse({h});
    ASSERT_TRUE(a.ok()) << h;
    EXPECT_EQ(a->command, CliCommand::kHelp);
  }
  auto a = Parse({"run-local", "--help"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->command, CliCommand::kHelp);
}

TEST(CliArgsTest, MissingOrUnknownCommandIsAnError) {
  EXPECT_FALSE(Parse({}).ok());
  auto a = Parse({"frobnicate"});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("frobnicate"));
}

TEST(CliArgsTest, RunLocalWithAllFlags) {
  auto a = Parse({"run-local", "--definition", "d.json", "--input", "@in.json",
                  "--history", "--seed", "7", "--type", "EXPRESS"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, CliCommand::kRunLocal);
  EXPECT_EQ(a->run_local.definition_file, "d.json");
  EXPECT_EQ(a->run_local.input, "@in.json");
  EXPECT_TRUE(a->run_local.history);
  ASSERT_TRUE(a->run_local.seed.has_value());
  EXPECT_EQ(*a->run_local.seed, 7u);
  EXPECT_EQ(a->run_local.type, "EXPRESS");
}

TEST(CliArgsTest, RunLocalEqualsFormAndDefaults) {
  auto a = Parse({"run-local", "--definition=d.json", "--seed=3"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->run_local.definition_file, "d.json");
  EXPECT_EQ(a->run_local.input, "{}");
  EXPECT_FALSE(a->run_local.history);
  EXPECT_EQ(a->run_local.seed.value_or(0), 3u);
  EXPECT_EQ(a->run_local.type, "STANDARD");
}

TEST(CliArgsTest, RunLocalInputMayBeJsonWithEquals) {
  auto a = Parse({"run-local", "--definition", "d", "--input={\"a\":\"x=y\"}"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->run_local.input, "{\"a\":\"x=y\"}");
}

TEST(CliArgsTest, RunLocalErrors) {
  EXPECT_FALSE(Parse({"run-local"}).ok());                      // no --definition
  EXPECT_FALSE(Parse({"run-local", "--definition"}).ok());      // no value
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--seed", "x"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--seed", "-1"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--bogus"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "extra"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--type", "FAST"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--history=yes"}).ok());
}

TEST(CliArgsTest, Validate) {
  auto a = Parse({"validate", "sm.json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, CliCommand::kValidate);
  EXPECT_EQ(a->validate.file, "sm.json");
  EXPECT_EQ(a->validate.type, "STANDARD");
  a = Parse({"validate", "--type", "EXPRESS", "sm.json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->validate.type, "EXPRESS");
  EXPECT_FALSE(Parse({"validate"}).ok());
  EXPECT_FALSE(Parse({"validate", "a", "b"}).ok());
  EXPECT_FALSE(Parse({"validate", "--history", "a"}).ok());
}

TEST(CliArgsTest, ResolveInputSpec) {
  auto inline_text = ResolveInputSpec("{\"a\":1}");
  ASSERT_TRUE(inline_text.ok());
  EXPECT_EQ(*inline_text, "{\"a\":1}");

  std::string path = ::testing::TempDir() + "/cli_args_test_input.json";
  {
    std::ofstream out(path);
    out << "[1,2]";
  }
  auto from_file = ResolveInputSpec("@" + path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(*from_file, "[1,2]");
  std::remove(path.c_str());

  auto missing = ResolveInputSpec("@/nonexistent/dir/input.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(CliArgsTest, UsageMentionsEveryCommand) {
  std::string u = UsageText();
  EXPECT_THAT(u, HasSubstr("run-local"));
  EXPECT_THAT(u, HasSubstr("validate"));
  EXPECT_THAT(u, HasSubstr("help"));
}

}  // namespace
}  // namespace stepwise::client

namespace stepwise::client {
namespace {

absl::StatusOr<CliArgs> ParseEnv(std::vector<std::string> args,
                                 std::map<std::string, std::string> env = {}) {
  return ParseCliArgs(args, [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(RemoteArgsTest, MachineCreate) {
  auto a = ParseEnv({"machine", "create", "Hello", "--definition", "d.json",
                     "--type=EXPRESS", "--role-arn", "arn:r"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, CliCommand::kRemote);
  EXPECT_EQ(a->remote.command, "machine create");
  EXPECT_EQ(a->remote.positional, std::vector<std::string>{"Hello"});
  EXPECT_EQ(a->remote.Get("definition"), "d.json");
  EXPECT_EQ(a->remote.Get("type"), "EXPRESS");
  EXPECT_EQ(a->remote.Get("role-arn"), "arn:r");
  EXPECT_EQ(a->remote.connection.endpoint, "127.0.0.1:7700");
}

TEST(RemoteArgsTest, MachineLoggingConfiguration) {
  auto a = ParseEnv({"machine", "create", "Orders", "--definition", "d.json", "--type", "EXPRESS",
                     "--logging-level", "ALL", "--log-group-arn",
                     "arn:aws:logs:us-east-1:123456789012:log-group:orders:*",
                     "--include-execution-data"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.Get("logging-level"), "ALL");
  EXPECT_TRUE(a->remote.Has("include-execution-data"));
  auto up = ParseEnv({"machine", "update", "arn", "--logging-level", "OFF"});
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_THAT(std::string(ParseEnv({"machine", "update", "arn", "--log-group-arn", "g"})
                              .status()
                              .message()),
              HasSubstr("--logging-level"));
}

TEST(RemoteArgsTest, TestStateTakesTheRequestAsFlags) {
  auto a = ParseEnv({"test-state", "--definition", "s.json", "--state-name", "S",
                     "--mock-error", "Boom", "--retrier-retry-count", "2",
                     "--inspection-level", "TRACE"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, CliCommand::kRemote);
  EXPECT_EQ(a->remote.command, "test-state");
  EXPECT_EQ(a->remote.Get("definition"), "s.json");
  EXPECT_EQ(a->remote.Get("state-name"), "S");
  EXPECT_EQ(a->remote.Get("mock-error"), "Boom");
  EXPECT_EQ(a->remote.GetInt("retrier-retry-count", 0), 2);
  EXPECT_FALSE(ParseEnv({"test-state"}).ok());  // --definition is required
  EXPECT_FALSE(ParseEnv({"test-state", "--definition", "s.json", "--retrier-retry-count",
                         "two"}).ok());
}

TEST(RemoteArgsTest, MachineCreateNeedsDefinitionAndValidType) {
  EXPECT_THAT(std::string(ParseEnv({"machine", "create", "X"}).status().message()),
              HasSubstr("--definition"));
  EXPECT_FALSE(ParseEnv({"machine", "create", "X", "--definition", "d",
                         "--type", "FAST"}).ok());
  EXPECT_FALSE(ParseEnv({"machine"}).ok());
  EXPECT_FALSE(ParseEnv({"machine", "frob"}).ok());
  EXPECT_FALSE(ParseEnv({"machine", "update", "arn"}).ok());
}

TEST(RemoteArgsTest, EndpointAndTokenFromFlagsOrEnvironment) {
  auto a = ParseEnv({"machine", "list"},
                    {{"STEPWISE_ENDPOINT", "h:1"}, {"STEPWISE_TOKEN", "t"}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->remote.connection.endpoint, "h:1");
  EXPECT_EQ(a->remote.connection.token, "t");
  a = ParseEnv({"--endpoint", "x:2", "machine", "list"});
  EXPECT_FALSE(a.ok());  // global flags go after the command
  a = ParseEnv({"machine", "list", "--endpoint", "x:2", "--token=s"},
               {{"STEPWISE_ENDPOINT", "h:1"}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->remote.connection.endpoint, "x:2");
  EXPECT_EQ(a->remote.connection.token, "s");
}

TEST(RemoteArgsTest, StartWithInputNameWait) {
  auto a = ParseEnv({"start", "arn:sm", "--input={\"a\":\"b=c\"}", "--name",
                     "n1", "--wait"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.command, "start");
  EXPECT_EQ(a->remote.Get("input"), "{\"a\":\"b=c\"}");
  EXPECT_EQ(a->remote.Get("name"), "n1");
  EXPECT_TRUE(a->remote.Has("wait"));
  EXPECT_FALSE(ParseEnv({"start", "arn", "--wait=yes"}).ok());
  EXPECT_FALSE(ParseEnv({"start"}).ok());
  EXPECT_FALSE(ParseEnv({"start", "a", "b"}).ok());
  auto sync = ParseEnv({"start", "arn:sm", "--sync"});
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_TRUE(sync->remote.Has("sync"));
}

TEST(RemoteArgsTest, ListWhereSearchesOneOrEveryMachine) {
  auto a = ParseEnv({"list", "--where", "status = FAILED", "--count"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.Get("where"), "status = FAILED");
  EXPECT_TRUE(a->remote.positional.empty());
  EXPECT_TRUE(ParseEnv({"list", "orders", "--where", "name starts with \"o\""}).ok());
  EXPECT_TRUE(ParseEnv({"list", "--where", ""}).ok());  // every execution
  auto bare = ParseEnv({"list"});
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.status().message(),
            "list needs a state machine, or --where to search every machine");
  EXPECT_FALSE(ParseEnv({"list", "orders", "--status", "FAILED", "--where", "x = 1"}).ok());
  EXPECT_TRUE(ParseEnv({"machine", "index-fields", "orders"}).ok());
  EXPECT_TRUE(ParseEnv({"machine", "index-fields", "orders", "a=input:$.a", "b=output:$.b"}).ok());
  EXPECT_FALSE(ParseEnv({"machine", "index-fields", "orders", "a=input:$.a", "--clear"}).ok());
  EXPECT_FALSE(ParseEnv({"machine", "index-fields"}).ok());
}

TEST(RemoteArgsTest, ListHistoryStopTask) {
  auto a = ParseEnv({"list", "arn", "--status", "FAILED", "--json"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->remote.Get("status"), "FAILED");
  EXPECT_TRUE(a->remote.Has("json"));
  a = ParseEnv({"history", "exec", "--follow"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->remote.Has("follow"));
  a = ParseEnv({"stop", "exec", "--error", "E", "--cause", "C"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->remote.Get("cause"), "C");
  a = ParseEnv({"redrive", "exec", "--client-token", "t1"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->remote.Get("client-token"), "t1");
  EXPECT_FALSE(ParseEnv({"redrive"}).ok());
  EXPECT_TRUE(ParseEnv({"task", "success", "tok", "--output", "{}"}).ok());
  EXPECT_FALSE(ParseEnv({"task", "success", "tok"}).ok());
  EXPECT_TRUE(ParseEnv({"task", "failure", "tok", "--error", "E"}).ok());
  EXPECT_TRUE(ParseEnv({"task", "heartbeat", "tok"}).ok());
  EXPECT_TRUE(ParseEnv({"activity", "list"}).ok());
  EXPECT_FALSE(ParseEnv({"activity", "list", "extra"}).ok());
  EXPECT_FALSE(ParseEnv({"history", "exec", "--bogus"}).ok());
}

TEST(RemoteArgsTest, WorkerTakesCommandAfterDoubleDash) {
  auto a = ParseEnv({"worker", "--activity", "act", "--concurrency", "4",
                     "--heartbeat-seconds", "0.5", "--", "sh", "-c", "cat",
                     "--json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.Get("activity"), "act");
  EXPECT_EQ(a->remote.GetInt("concurrency", 1), 4);
  EXPECT_DOUBLE_EQ(a->remote.GetDouble("heartbeat-seconds", 0), 0.5);
  EXPECT_EQ(a->remote.command_line,
            (std::vector<std::string>{"sh", "-c", "cat", "--json"}));
  EXPECT_FALSE(ParseEnv({"worker", "--activity", "a"}).ok());
  EXPECT_FALSE(ParseEnv({"worker", "--", "cat"}).ok());
  EXPECT_FALSE(ParseEnv({"worker", "--activity", "a", "--concurrency", "x",
                         "--", "cat"}).ok());
  EXPECT_FALSE(ParseEnv({"worker", "--activity", "a", "--concurrency", "0",
                         "--", "cat"}).ok());
  EXPECT_FALSE(ParseEnv({"start", "arn", "--", "cat"}).ok());
}

TEST(RemoteArgsTest, WorkerForAFunctionQueue) {
  auto a = ParseEnv({"worker", "--function", "resize", "--", "cat"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.Get("function"), "resize");
  // One of --activity and --function.
  auto both = ParseEnv({"worker", "--function", "f", "--activity", "a", "--", "cat"});
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(std::string(both.status().message()), HasSubstr("--activity or --function"));
  auto bad = ParseEnv({"worker", "--function", "no spaces", "--", "cat"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--function 'no spaces'"));
}

TEST(RemoteArgsTest, LambdaRuntimeCommandIsOptional) {
  auto a = ParseEnv({"lambda-runtime", "--function", "f", "--listen", "0.0.0.0:9001"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->remote.command_line.empty());
  a = ParseEnv({"lambda-runtime", "--function", "f", "--concurrency", "3", "--memory-mb", "512",
                "--", "npx", "aws-lambda-ric", "index.handler"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.command_line,
            (std::vector<std::string>{"npx", "aws-lambda-ric", "index.handler"}));
  EXPECT_FALSE(ParseEnv({"lambda-runtime", "--", "node"}).ok());  // needs --function
}

TEST(FunctionNameFromArgTest, NamesAndArns) {
  EXPECT_EQ(FunctionNameFromArg("my-fn_2").value_or(""), "my-fn_2");
  EXPECT_EQ(FunctionNameFromArg("arn:aws:lambda:us-east-1:123456789012:function:fn").value_or(""),
            "fn");
  EXPECT_EQ(
      FunctionNameFromArg("arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST").value_or(""),
      "fn");
  EXPECT_FALSE(FunctionNameFromArg("").ok());
  EXPECT_FALSE(FunctionNameFromArg(std::string(65, 'a')).ok());
  EXPECT_FALSE(FunctionNameFromArg("arn:aws:states:us-east-1:1:activity:fn").ok());
  EXPECT_FALSE(FunctionNameFromArg("arn:aws:lambda:us-east-1:1:function:").ok());
}

TEST(RemoteArgsTest, Bench) {
  auto a = ParseEnv({"bench", "--workload", "pass-chain", "--duration", "2",
                     "--server-pid", "123"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.GetInt("server-pid", 0), 123);
  EXPECT_FALSE(ParseEnv({"bench", "--duration", "-1"}).ok());
}

TEST(RemoteArgsTest, AdminBackupTakesOneDirectory) {
  auto a = ParseEnv({"admin", "backup", "/srv/backup-1", "--json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.command, "admin backup");
  EXPECT_EQ(a->remote.positional, std::vector<std::string>{"/srv/backup-1"});
  EXPECT_TRUE(a->remote.Has("json"));
  EXPECT_FALSE(ParseEnv({"admin", "backup"}).ok());
  EXPECT_FALSE(ParseEnv({"admin"}).ok());
  EXPECT_FALSE(ParseEnv({"admin", "restore", "x"}).ok());
}

TEST(RemoteArgsTest, AdminCopyStoreNeedsFromAndTo) {
  auto a = ParseEnv({"admin", "copy-store", "--from", "/var/lib/stepwise", "--to",
                     "postgresql://sw@db/stepwise", "--verify", "--batch-rows", "50"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->remote.command, "admin copy-store");
  EXPECT_EQ(a->remote.Get("from"), "/var/lib/stepwise");
  EXPECT_EQ(a->remote.Get("to"), "postgresql://sw@db/stepwise");
  EXPECT_TRUE(a->remote.Has("verify"));
  EXPECT_EQ(a->remote.GetInt("batch-rows", 0), 50);
  EXPECT_FALSE(ParseEnv({"admin", "copy-store", "--from", "/a"}).ok());
  EXPECT_FALSE(ParseEnv({"admin", "copy-store", "--to", "/a"}).ok());
  EXPECT_FALSE(ParseEnv({"admin", "copy-store", "--from", "/a", "--to", "/b", "x"}).ok());
  EXPECT_FALSE(
      ParseEnv({"admin", "copy-store", "--from", "/a", "--to", "/b", "--batch-rows", "-1"}).ok());
}

TEST(CliArgsTest, VersionAndAliasCommands) {
  auto pub = Parse({"machine", "publish", "orders", "--description", "d"});
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->remote.command, "machine publish");
  auto create = Parse({"alias", "create", "orders", "live", "1=90", "2=10"});
  ASSERT_TRUE(create.ok()) << create.status();
  EXPECT_EQ(create->remote.command, "alias create");
  EXPECT_EQ(create->remote.positional.size(), 4u);
  EXPECT_FALSE(Parse({"alias", "create", "orders", "live"}).ok());  // no route
  EXPECT_FALSE(Parse({"alias", "create", "orders", "live", "1=50", "2=25", "3=25"}).ok());
  EXPECT_FALSE(Parse({"alias", "frob", "orders"}).ok());
  ASSERT_TRUE(Parse({"alias", "list", "orders", "--json"}).ok());
  ASSERT_TRUE(Parse({"machine", "versions", "orders"}).ok());
}

TEST(CliArgsTest, TagCommandsTakeAnArnAndOperands) {
  auto tag = Parse({"tag", "arn:aws:states:us-east-1:123456789012:activity:a", "k=v", "x="});
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(tag->remote.command, "tag");
  EXPECT_EQ(tag->remote.positional.size(), 3u);
  EXPECT_FALSE(Parse({"tag", "arn:x"}).ok());
  EXPECT_FALSE(Parse({"untag", "arn:x"}).ok());
  auto tags = Parse({"tags", "m", "--json"});
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_TRUE(tags->remote.Has("json"));
  EXPECT_FALSE(Parse({"tags", "m", "extra"}).ok());
}

}  // namespace
}  // namespace stepwise::client
