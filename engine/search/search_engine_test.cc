// Engine tests of indexed fields and search (engine/search/): declaring
// fields, the index entries each commit writes (start, close, a value that
// changes), planning over the three indexes, paging, counts, a deleted
// machine, and a restart over RocksDB.
#include <set>
#include <string>
#include <vector>

#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "storage/keys.h"

namespace stepwise::engine {
namespace {

constexpr char kPass[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass",
  "Parameters":{"total.$":"$.amount","tier":"gold"},"End":true}}})";
constexpr char kAssign[] = R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{
  "Type":"Pass","Assign":{"region":"{% $states.input.region %}"},"End":true}}})";
constexpr char kActivity[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";

IndexedField Field(std::string name, std::string source, std::string path,
                   std::string expression = "") {
  return IndexedField{std::move(name), std::move(source), std::move(path), std::move(expression)};
}

class SearchEngineTest : public EngineTest {
 protected:
  // Every index entry, as "field=value@execution name".
  std::set<std::string> Entries() {
    storage::ScanOptions o;
    o.prefix = storage::IndexedFieldsPrefix();
    auto rows = store_->Scan(storage::Table::kVisibility, o);
    EXPECT_TRUE(rows.ok());
    std::set<std::string> out;
    for (const auto& kv : *rows) {
      auto k = storage::DecodeIndexedFieldKey(kv.key);
      EXPECT_TRUE(k.ok());
      out.insert(k->field + "=" + k->value + "@" + k->execution_id.substr(k->execution_id.rfind(':') + 1));
    }
    return out;
  }
  std::vector<std::string> Names(const std::string& query, const std::string& machine = "") {
    auto r = engine_->SearchExecutions(query, machine, 0, "");
    EXPECT_TRUE(r.ok()) << query << ": " << r.status();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& d : r->executions) out.push_back(d.name);
    }
    return out;
  }
  void Start(const std::string& machine, const std::string& name, const std::string& input) {
    clock_.Advance(1000);
    auto s = engine_->StartExecution(machine, name, input);
    ASSERT_TRUE(s.ok()) << s.status();
  }
};

TEST_F(SearchEngineTest, DeclaringFieldsChecksEachMember) {
  std::string m = Machine("orders", kPass);
  std::vector<IndexedField> good = {Field("customerId", "INPUT", "$.customerId"),
                                    Field("total", "OUTPUT", "", "$.total * 2")};
  ASSERT_TRUE(engine_->PutIndexedFields(m, good).ok());
  auto got = engine_->GetIndexedFields(m);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, good);

  auto refused = [&](std::vector<IndexedField> f) {
    absl::Status s = engine_->PutIndexedFields(m, f);
    EXPECT_EQ(ServiceErrorName(s), "ValidationException") << s;
    return std::string(s.message());
  };
  EXPECT_EQ(refused({Field("9x", "INPUT", "$.a")}),
            "1 validation error detected: Value '9x' at 'indexedFields.1.member.name' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "[A-Za-z_][A-Za-z0-9_]{0,63}");
  EXPECT_EQ(refused({Field("a", "INPUT", "$.a"), Field("b", "STATE", "$.b")}),
            "1 validation error detected: Value 'STATE' at 'indexedFields.2.member.source' "
            "failed to satisfy constraint: Member must satisfy enum value set: [INPUT, OUTPUT, "
            "VARIABLES]");
  EXPECT_EQ(refused({Field("a", "INPUT", "$.a"), Field("a", "INPUT", "$.b")}),
            "Duplicate indexed field name 'a' at 'indexedFields.2.member.name'");
  EXPECT_EQ(refused({Field("a", "INPUT", "")}),
            "Exactly one of path and expression must be given at 'indexedFields.1.member.path'");
  EXPECT_EQ(refused({Field("a", "INPUT", "$.a", "$.a")}),
            "Exactly one of path and expression must be given at 'indexedFields.1.member.path'");
  EXPECT_NE(refused({Field("a", "INPUT", "$.a[")}).find("at 'indexedFields.1.member.path'"),
            std::string::npos);
  EXPECT_NE(refused({Field("a", "INPUT", "$$.Execution.Id")}).find("must start with '$.'"),
            std::string::npos);
  EXPECT_NE(refused({Field("a", "INPUT", "", "$.a +")})
                .find("at 'indexedFields.1.member.expression'"),
            std::string::npos);
  std::vector<IndexedField> many;
  for (int i = 0; i < 21; ++i) many.push_back(Field("f" + std::to_string(i), "INPUT", "$.a"));
  EXPECT_NE(refused(many).find("less than or equal to 20"), std::string::npos);
  // Nothing refused was written.
  EXPECT_EQ(*engine_->GetIndexedFields(m), good);
  // A version ARN, an unknown machine.
  EXPECT_EQ(ServiceErrorName(engine_->PutIndexedFields(m + ":1", good)), "ValidationException");
  EXPECT_EQ(ServiceErrorName(engine_->PutIndexedFields(m + "x", good)),
            "StateMachineDoesNotExist");
  // Empty: none.
  ASSERT_TRUE(engine_->PutIndexedFields(m, {}).ok());
  EXPECT_TRUE(engine_->GetIndexedFields(m)->empty());
}

TEST_F(SearchEngineTest, InputAtStartOutputAtCloseAndTheRowShowsThem) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string m = Machine("act", kActivityMachine);
  ASSERT_TRUE(engine_
                  ->PutIndexedFields(m, {Field("customerId", "INPUT", "$.customerId"),
                                         Field("result", "OUTPUT", "$.result.code"),
                                         Field("items", "INPUT", "$.items")})
                  .ok());
  Start(m, "a1", R"({"customerId":"4711","items":[1,2]})");
  // The array is not indexed; the output is not known yet.
  EXPECT_EQ(Entries(), (std::set<std::string>{"customerId=\"4711\"@a1"}));
  EXPECT_EQ(Names(R"(customerId = "4711")"), (std::vector<std::string>{"a1"}));
  auto task = engine_->GetActivityTask(kActivity, "w", 1000);
  ASSERT_TRUE(task.ok() && !task->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, R"({"code":7})").ok());
  EXPECT_EQ(AwaitEnd(m.substr(0, m.find(":stateMachine:")) + ":execution:act:a1").status,
            "SUCCEEDED");
  EXPECT_EQ(Entries(), (std::set<std::string>{"customerId=\"4711\"@a1", "result=7@a1"}));
  auto r = engine_->SearchExecutions("result = 7 and status = SUCCEEDED", "", 0, "");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->executions.size(), 1u);
  EXPECT_EQ(r->executions[0].state_machine_arn, m);
  EXPECT_EQ(r->executions[0].indexed_fields,
            (std::map<std::string, std::string>{{"customerId", "\"4711\""}, {"result", "7"}}));
}

TEST_F(SearchEngineTest, AValueThatChangesReplacesItsEntry) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string m = Machine("act", kActivityMachine);
  // JSONata over the input at start, the same field over the output at
  // close: the start's value goes, the close's stays.
  ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("stage", "INPUT", "$.stage")}).ok());
  Start(m, "a1", R"({"stage":"new"})");
  EXPECT_EQ(Entries(), (std::set<std::string>{"stage=\"new\"@a1"}));
  ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("stage", "OUTPUT", "", "result.stage")}).ok());
  auto task = engine_->GetActivityTask(kActivity, "w", 1000);
  ASSERT_TRUE(task.ok() && !task->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, R"({"stage":"done"})").ok());
  AwaitEnd(m.substr(0, m.find(":stateMachine:")) + ":execution:act:a1");
  EXPECT_EQ(Entries(), (std::set<std::string>{"stage=\"done\"@a1"}));
  EXPECT_TRUE(Names(R"(stage = "new")").empty());
  EXPECT_EQ(Names(R"(stage = "done")"), (std::vector<std::string>{"a1"}));
}

TEST_F(SearchEngineTest, VariablesAreIndexedWhenTheExecutionCloses) {
  std::string m = Machine("vars", kAssign);
  ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("region", "VARIABLES", "$.region")}).ok());
  Start(m, "v1", R"({"region":"eu"})");
  EXPECT_EQ(Entries(), (std::set<std::string>{"region=\"eu\"@v1"}));
  EXPECT_EQ(Names(R"(region = "eu")"), (std::vector<std::string>{"v1"}));
}

TEST_F(SearchEngineTest, AcrossMachinesNewestFirstWithEveryFilter) {
  std::string a = Machine("alpha", kPass);
  std::string b = Machine("beta", kPass);
  for (const std::string& m : {a, b}) {
    ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("customerId", "INPUT", "$.customerId"),
                                              Field("total", "OUTPUT", "$.total")})
                    .ok());
  }
  Start(a, "order-1", R"({"customerId":"c1","amount":10})");
  Start(b, "order-2", R"({"customerId":"c1","amount":20})");
  Start(a, "order-3", R"({"customerId":"c2","amount":30})");
  Start(b, "invoice-4", R"({"customerId":"c1","amount":40})");
  // An index on a field (across machines), newest first.
  EXPECT_EQ(Names(R"(customerId = "c1")"),
            (std::vector<std::string>{"invoice-4", "order-2", "order-1"}));
  // The same with the machine as a filter, by name or by the argument.
  EXPECT_EQ(Names(R"(customerId = "c1" and stateMachine = "beta")"),
            (std::vector<std::string>{"invoice-4", "order-2"}));
  EXPECT_EQ(Names(R"(customerId = "c1")", b), (std::vector<std::string>{"invoice-4", "order-2"}));
  // One machine's rows; the time index; a name prefix; numbers.
  EXPECT_EQ(Names(R"(name starts with "order-")", a),
            (std::vector<std::string>{"order-3", "order-1"}));
  EXPECT_EQ(Names(R"(name starts with "order-")"),
            (std::vector<std::string>{"order-3", "order-2", "order-1"}));
  EXPECT_EQ(Names("total >= 20 and total < 40"), (std::vector<std::string>{"order-3", "order-2"}));
  EXPECT_EQ(Names(R"(customerId = "c2" or total = 10)"),
            (std::vector<std::string>{"order-3", "order-1"}));
  EXPECT_EQ(Names(""), (std::vector<std::string>{"invoice-4", "order-3", "order-2", "order-1"}));
  // Dates: the clock starts at 1700000000000 and each start is a second later.
  EXPECT_EQ(Names(R"(startDate >= "2023-11-14T22:13:23Z")"),
            (std::vector<std::string>{"invoice-4", "order-3"}));
  EXPECT_EQ(Names(R"(stopDate < "2023-11-14T22:13:23Z" and status = SUCCEEDED)"),
            (std::vector<std::string>{"order-2", "order-1"}));
  auto n = engine_->CountExecutions(R"(customerId = "c1")", "");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(*engine_->CountExecutions("", a), 2);
  EXPECT_EQ(*engine_->CountExecutions("status = FAILED", ""), 0);
  // Errors.
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("status = NOPE", "", 0, "").status()),
            "ValidationException");
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("", "arn:nope", 0, "").status()),
            "InvalidArn");
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("", a + "x", 0, "").status()),
            "StateMachineDoesNotExist");
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("", "", 1001, "").status()),
            "ValidationException");
}

TEST_F(SearchEngineTest, PagingTokensContinueWhereThePageEnded) {
  std::string m = Machine("pages", kPass);
  ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("customerId", "INPUT", "$.customerId")}).ok());
  for (int i = 0; i < 7; ++i) Start(m, "e" + std::to_string(i), R"({"customerId":"c","amount":1})");
  for (const std::string& q : {std::string(R"(customerId = "c")"), std::string(""),
                               std::string("status = SUCCEEDED")}) {
    for (const std::string& machine : {std::string(""), m}) {
      std::vector<std::string> seen;
      std::string token;
      int pages = 0;
      do {
        auto r = engine_->SearchExecutions(q, machine, 3, token);
        ASSERT_TRUE(r.ok()) << r.status();
        for (const auto& d : r->executions) seen.push_back(d.name);
        token = r->next_token;
        ++pages;
      } while (!token.empty() && pages < 10);
      EXPECT_EQ(pages, 3) << q;
      EXPECT_EQ(seen, (std::vector<std::string>{"e6", "e5", "e4", "e3", "e2", "e1", "e0"})) << q;
    }
  }
  // A token from another query's index is refused.
  auto first = engine_->SearchExecutions(R"(customerId = "c")", "", 3, "");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("", "", 3, first->next_token).status()),
            "InvalidToken");
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("", "", 3, "garbage!").status()),
            "InvalidToken");
}

TEST_F(SearchEngineTest, DeletingTheMachineDropsItsFields) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string m = Machine("act", kActivityMachine);
  ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("customerId", "INPUT", "$.customerId")}).ok());
  Start(m, "a1", R"({"customerId":"c"})");
  EXPECT_EQ(Entries().size(), 1u);
  ASSERT_TRUE(engine_->DeleteStateMachine(m).ok());
  // The running execution closes after the delete: its entries go with the
  // fields; nothing is left in the index.
  auto task = engine_->GetActivityTask(kActivity, "w", 1000);
  ASSERT_TRUE(task.ok() && !task->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, "{}").ok());
  AwaitEnd(m.substr(0, m.find(":stateMachine:")) + ":execution:act:a1");
  EXPECT_TRUE(Entries().empty());
  EXPECT_TRUE(Names(R"(customerId = "c")").empty());
  EXPECT_EQ(ServiceErrorName(engine_->GetIndexedFields(m).status()), "StateMachineDoesNotExist");
}

TEST_F(SearchEngineTest, ExpressExecutionsAreNotIndexed) {
  auto m = engine_->CreateStateMachine("fast", kPass, "arn:aws:iam::123456789012:role/r",
                                       "EXPRESS");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ServiceErrorName(engine_->PutIndexedFields(
                m->arn, {Field("customerId", "INPUT", "$.customerId")})),
            "StateMachineTypeNotSupported");
  ASSERT_TRUE(engine_->StartSyncExecution(m->arn, "x", R"({"amount":1})").ok());
  EXPECT_TRUE(Names("").empty());
  EXPECT_EQ(ServiceErrorName(engine_->SearchExecutions("", m->arn, 0, "").status()),
            "StateMachineTypeNotSupported");
}

class SearchRestartTest : public RocksEngineTest {};

TEST_F(SearchRestartTest, ResultsSurviveARestart) {
  std::string m = Machine("durable", kPass);
  ASSERT_TRUE(engine_->PutIndexedFields(m, {Field("customerId", "INPUT", "$.customerId")}).ok());
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(1000);
    ASSERT_TRUE(engine_
                    ->StartExecution(m, "r" + std::to_string(i),
                                     R"({"customerId":")" + std::to_string(i % 2) + R"("})")
                    .ok());
  }
  Reopen();
  auto r = engine_->SearchExecutions(R"(customerId = "0")", "", 0, "");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->executions.size(), 3u);
  EXPECT_EQ(r->executions[0].name, "r4");
  EXPECT_EQ(*engine_->CountExecutions("", ""), 5);
  auto fields = engine_->GetIndexedFields(m);
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(fields->size(), 1u);
}

}  // namespace
}  // namespace stepwise::engine
