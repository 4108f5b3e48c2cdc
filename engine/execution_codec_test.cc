#include "engine/execution_codec.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kMachine[] = R"({"StartAt":"Setup","States":{
  "Setup":{"Type":"Pass","Assign":{"k":3},"Next":"Fan"},
  "Fan":{"Type":"Parallel","Next":"Wait","Branches":[
    {"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"End":true,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:us-east-1:123456789012:activity:work",
        "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1}],"End":true}}}}}},
    {"StartAt":"W2","States":{"W2":{"Type":"Wait","Seconds":3,"End":true}}}]},
  "Wait":{"Type":"Wait","Seconds":5,"Next":"Done"},
  "Done":{"Type":"Pass","Parameters":{"r.$":"$","k.$":"$k"},"End":true}}})";

// Drives one execution to its end. With `roundtrip`, the state is encoded and
// decoded after every trigger, as a restart from the store would.
std::vector<HistoryEvent> Drive(bool roundtrip, std::string* output) {
  auto def = ParseJson(kMachine);
  auto machine = *asl::ParseStateMachine(*def);
  asl::SeededRandom random(9);
  Interpreter in(machine, &random);
  ExecutionState state;
  state.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
  TimeMs now = 1000;
  std::vector<HistoryEvent> events;
  std::deque<ScheduleTaskCommand> tasks;
  std::vector<StartTimerCommand> timers;
  auto absorb = [&](Decision& d) {
    for (auto& e : d.events) events.push_back(e);
    for (auto& t : d.schedule_tasks) tasks.push_back(t);
    for (auto& t : d.start_timers) timers.push_back(t);
    if (roundtrip) {
      std::string text = SerializeJson(EncodeExecutionState(state));
      // What the engine stores is written directly; it is the same text.
      std::string direct;
      AppendExecutionStateJson(state, direct);
      EXPECT_EQ(direct, text);
      auto back = DecodeExecutionState(*ParseJson(text), *machine);
      ASSERT_TRUE(back.ok()) << back.status();
      // Encoding is stable: decode(encode(s)) encodes to the same text.
      EXPECT_EQ(SerializeJson(EncodeExecutionState(*back)), text);
      state = *std::move(back);
    }
  };
  Decision d;
  in.Start(state, *ParseJson(R"([1,2,3])"), now, d);
  absorb(d);
  int failures = 0;
  while (state.status == ExecutionStatus::kRunning) {
    Decision next;
    if (!tasks.empty()) {
      ScheduleTaskCommand t = tasks.front();
      tasks.pop_front();
      TaskResult r;
      if (t.input.is_int64() && t.input.get_int64() == 2 && failures++ == 0) {
        r.kind = TaskResult::Kind::kFailed;
        r.error = "Flaky";
      } else {
        r.output = json::value(t.input.is_int64() ? t.input.get_int64() * 10 : 0);
      }
      EXPECT_TRUE(in.CompleteTask(state, t.task_id, r, now, next).ok());
    } else if (!timers.empty()) {
      auto it = std::min_element(timers.begin(), timers.end(),
                                 [](auto& a, auto& b) { return a.due < b.due; });
      StartTimerCommand t = *it;
      timers.erase(it);
      now = std::max(now, t.due);
      EXPECT_TRUE(in.FireTimer(state, t.timer_id, now, next).ok());
    } else {
      ADD_FAILURE() << "stuck";
      break;
    }
    absorb(next);
  }
  if (state.output) *output = *state.output;
  return events;
}

TEST(ExecutionCodecTest, RestoredStateContinuesExactlyLikeTheOriginal) {
  std::string out_plain, out_roundtrip;
  std::vector<HistoryEvent> plain = Drive(false, &out_plain);
  std::vector<HistoryEvent> restored = Drive(true, &out_roundtrip);
  EXPECT_EQ(out_plain, R"({"r":[[10,20,30],[1,2,3]],"k":3})");
  EXPECT_EQ(out_roundtrip, out_plain);
  ASSERT_EQ(restored.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(restored[i].type, plain[i].type) << i;
    EXPECT_EQ(restored[i].previous_event_id, plain[i].previous_event_id) << i;
    EXPECT_EQ(SerializeJson(restored[i].details), SerializeJson(plain[i].details)) << i;
  }
}

TEST(ExecutionCodecTest, HistoryChunksRoundTrip) {
  std::string out;
  std::vector<HistoryEvent> events = Drive(false, &out);
  auto back = DecodeHistoryChunk(EncodeHistoryChunk(events));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), events.size());
  EXPECT_EQ(EncodeHistoryChunk(*back), EncodeHistoryChunk(events));
}

TEST(ExecutionCodecTest, RawDecodeGivesTheSameEventsWithDetailsAsText) {
  std::string out;
  std::vector<HistoryEvent> events = Drive(false, &out);
  // A details string with quotes, braces and escapes must not confuse the scan.
  events[0].details["input"] = json::string("{\"a\":\"}]\\\"[{\",\"\u00e9\":1}");
  std::string chunk = EncodeHistoryChunk(events);
  std::vector<RawHistoryEvent> raw;
  ASSERT_TRUE(DecodeHistoryChunkRaw(chunk, 0, &raw).ok());
  ASSERT_EQ(raw.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(raw[i].id, events[i].id);
    EXPECT_EQ(raw[i].previous_event_id, events[i].previous_event_id);
    EXPECT_EQ(raw[i].timestamp, events[i].timestamp);
    EXPECT_EQ(raw[i].type, events[i].type);
    EXPECT_EQ(raw[i].details_json, SerializeJson(json::value(events[i].details))) << i;
    EXPECT_EQ(SerializeJson(ToAwsJson(raw[i])), SerializeJson(ToAwsJson(events[i]))) << i;
  }
  // Skipping by id, and appending.
  std::vector<RawHistoryEvent> tail;
  ASSERT_TRUE(DecodeHistoryChunkRaw(chunk, events[1].id, &tail).ok());
  ASSERT_EQ(tail.size(), events.size() - 2);
  EXPECT_EQ(tail.front().id, events[2].id);
  ASSERT_TRUE(DecodeHistoryChunkRaw("[]", 0, &tail).ok());
  EXPECT_EQ(tail.size(), events.size() - 2);
  for (const char* bad : {"", "[", "[[1,2]]", "not json", "[[1,0,5,\"T\",{\"a\":\"x}]]",
                          "[[1,0,5,\"T\",{}],]", "[[1,0,5,\"T\",{}]] x", "[[1,0,5,T,{}]]",
                          "[[1,0,5,\"T\",{\"a\":[}]]"}) {
    std::vector<RawHistoryEvent> ignored;
    EXPECT_EQ(DecodeHistoryChunkRaw(bad, 0, &ignored).code(), absl::StatusCode::kDataLoss) << bad;
  }
}

// Events as a Pass chain writes them: each state's input and output carry
// the same payload text.
std::vector<HistoryEvent> PassChainEvents(const std::string& payload, int states) {
  std::vector<HistoryEvent> events;
  auto add = [&](std::string type, json::object d) {
    HistoryEvent e;
    e.id = static_cast<int64_t>(events.size()) + 1;
    e.previous_event_id = e.id - 1;
    e.timestamp = 1700000000000 + e.id;
    e.type = std::move(type);
    e.details = std::move(d);
    events.push_back(std::move(e));
  };
  auto payload_details = [&](const char* key, const std::string& text, const std::string& name) {
    json::object d;
    d[key] = json::string(text);
    d[std::string(key) + "Details"] = json::object{{"truncated", false}};
    if (!name.empty()) d["name"] = json::string(name);
    return d;
  };
  add("ExecutionStarted", payload_details("input", payload, ""));
  for (int i = 0; i < states; ++i) {
    std::string name = "P" + std::to_string(i);
    add("PassStateEntered", payload_details("input", payload, name));
    add("PassStateExited", payload_details("output", payload, name));
  }
  add("ExecutionSucceeded", payload_details("output", payload, ""));
  return events;
}

TEST(ExecutionCodecTest, RepeatedPayloadsAreStoredOnceAndReadBackWhole) {
  // Quotes, braces and escapes in the payload; 64 bytes or more.
  const std::string payload =
      "{\"order\":\"}]\\\"[{\",\"pad\":\"" + std::string(200, 'x') + "\",\"\u00e9\":1}";
  std::vector<HistoryEvent> events = PassChainEvents(payload, 10);
  // One payload carried once (inline), and a short one repeated (inline).
  events[3].details["output"] = json::string("{\"once\":\"" + std::string(100, 'y') + "\"}");
  events[5].details["output"] = json::string("{\"s\":1}");
  events[7].details["output"] = json::string("{\"s\":1}");
  std::string chunk = EncodeHistoryChunk(events);
  ASSERT_EQ(chunk.front(), '{');
  // The shared payload's text appears once, the one carried once too.
  size_t at = chunk.find(std::string(200, 'x'));
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(chunk.find(std::string(200, 'x'), at + 1), std::string::npos);
  EXPECT_NE(chunk.find(std::string(100, 'y')), std::string::npos);
  size_t inline_size = 0;  // what the details would take with every payload inline
  for (const HistoryEvent& e : events) inline_size += SerializeJson(json::value(e.details)).size();
  EXPECT_LT(chunk.size(), inline_size / 2);

  auto tree = DecodeHistoryChunk(chunk);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->size(), events.size());
  std::vector<RawHistoryEvent> raw;
  ASSERT_TRUE(DecodeHistoryChunkRaw(chunk, 0, &raw).ok());
  ASSERT_EQ(raw.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ((*tree)[i].id, events[i].id);
    EXPECT_EQ((*tree)[i].type, events[i].type);
    EXPECT_EQ(SerializeJson((*tree)[i].details), SerializeJson(events[i].details)) << i;
    EXPECT_EQ(raw[i].type, events[i].type);
    EXPECT_EQ(raw[i].details_json, SerializeJson(json::value(events[i].details))) << i;
  }
  // Skipping by id works the same.
  std::vector<RawHistoryEvent> tail;
  ASSERT_TRUE(DecodeHistoryChunkRaw(chunk, 20, &tail).ok());
  ASSERT_EQ(tail.size(), events.size() - 20);
  EXPECT_EQ(tail.front().details_json, SerializeJson(json::value(events[20].details)));
  // Re-encoding what was read gives the same text.
  EXPECT_EQ(EncodeHistoryChunk(*tree), chunk);
}

// Many different payloads (a Map state's items): each shared with its
// neighbour, and one seen again far back is written inline again; either
// way every event reads back whole.
TEST(ExecutionCodecTest, ManyDistinctPayloadsReadBackWhole) {
  std::vector<HistoryEvent> events;
  auto payload = [](int i) { return "{\"item\":" + std::to_string(i) + ",\"pad\":\"" +
                                    std::string(80, 'a' + i % 26) + "\"}"; };
  for (int i = 0; i < 20; ++i) {
    for (const char* key : {"input", "output"}) {
      HistoryEvent e;
      e.id = static_cast<int64_t>(events.size()) + 1;
      e.previous_event_id = e.id - 1;
      e.type = "PassStateExited";
      e.details[key] = json::string(payload(i));
      events.push_back(std::move(e));
    }
  }
  HistoryEvent again;
  again.id = static_cast<int64_t>(events.size()) + 1;
  again.type = "ExecutionSucceeded";
  again.details["output"] = json::string(payload(0));
  events.push_back(std::move(again));
  std::string chunk = EncodeHistoryChunk(events);
  ASSERT_EQ(chunk.front(), '{');
  auto tree = DecodeHistoryChunk(chunk);
  ASSERT_TRUE(tree.ok()) << tree.status();
  std::vector<RawHistoryEvent> raw;
  ASSERT_TRUE(DecodeHistoryChunkRaw(chunk, 0, &raw).ok());
  ASSERT_EQ(tree->size(), events.size());
  ASSERT_EQ(raw.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(SerializeJson((*tree)[i].details), SerializeJson(events[i].details)) << i;
    EXPECT_EQ(raw[i].details_json, SerializeJson(json::value(events[i].details))) << i;
  }
}

TEST(ExecutionCodecTest, ChunksWithoutRepeatsKeepTheFirstShape) {
  std::vector<HistoryEvent> events = PassChainEvents("{\"short\":1}", 3);
  std::string chunk = EncodeHistoryChunk(events);
  EXPECT_EQ(chunk.front(), '[');
  // A chunk of the first shape, as stored before payloads were shared.
  std::string stored =
      R"([[1,0,5,"ExecutionStarted",{"input":"{\"a\":1}","inputDetails":{"truncated":false}}]])";
  auto tree = DecodeHistoryChunk(stored);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)[0].details.at("input").as_string(), "{\"a\":1}");
  std::vector<RawHistoryEvent> raw;
  ASSERT_TRUE(DecodeHistoryChunkRaw(stored, 0, &raw).ok());
  EXPECT_EQ(raw[0].details_json, R"({"input":"{\"a\":1}","inputDetails":{"truncated":false}})");
}

TEST(ExecutionCodecTest, MalformedSharedPayloadChunksAreDataLoss) {
  for (const char* bad : {
           R"({"p":["x"],"e":[[1,0,5,"T",{"input":1}]]})",    // index out of range
           R"({"p":["x"],"e":[[1,0,5,"T",{"output":-1}]]})",  // negative
           R"({"e":[[1,0,5,"T",{}]]})",                       // no table
           R"({"p":["x"]})",                                  // no events
           R"({"p":["x"],"e":[[1,0,5,"T",{}]]} x)",           // trailing text
           R"({"p":["x"],"e":[[1,0,5,"T",{}]])",              // unclosed
       }) {
    std::vector<RawHistoryEvent> ignored;
    EXPECT_EQ(DecodeHistoryChunkRaw(bad, 0, &ignored).code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_EQ(DecodeHistoryChunk(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  std::vector<RawHistoryEvent> ok;
  EXPECT_TRUE(DecodeHistoryChunkRaw(R"({"p":["x"],"e":[[1,0,5,"T",{"input":0}]]})", 0, &ok).ok());
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].details_json, R"({"input":"x"})");
}

TEST(ExecutionCodecTest, MalformedValuesAreDataLoss) {
  auto machine = *asl::ParseStateMachine(*ParseJson(kMachine));
  EXPECT_EQ(DecodeExecutionState(json::value(3), *machine).status().code(),
            absl::StatusCode::kDataLoss);
  auto bad_scope = ParseJson(R"({"info":{"execution_arn":"","execution_name":"",
    "state_machine_arn":"","state_machine_name":"","role_arn":"","start_time":0,
    "redrive_count":0,"express":false},"input":{},"status":0,"output":null,"error":"",
    "cause":"","last_event_id":1,"next_frame_id":2,"next_task_id":1,"next_timer_id":1,
    "execution_timer_id":0,"frames":[{"id":1,"parent":-1,"child_index":0,"silent":false,
    "scope_path":[7,0],"state":0,"phase":0,"input":{},"effective":null,"entered_event_id":0,
    "entered_prev_event_id":0,"entered_time":0,"tail":0,"retry_attempts":[],"retry_count":0,"task_id":0,
    "task_started":false,"timer_id":0,"variables":{},"fan":null}]})");
  ASSERT_TRUE(bad_scope.ok());
  EXPECT_EQ(DecodeExecutionState(*bad_scope, *machine).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHistoryChunk("[[1,2]]").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHistoryChunk("not json").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stepwise::engine
