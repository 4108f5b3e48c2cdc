#include "storage/keys.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace stepwise::storage {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

const std::vector<int64_t>& Ints() {
  static const std::vector<int64_t> v = {
      kMin, kMin + 1, -65536,           -256,     -255, -2, -1, 0, 1, 2, 255,
      256,  65535,    int64_t{1} << 40, kMax - 1, kMax};
  return v;
}

const std::vector<std::string>& Strings() {
  static const std::vector<std::string> v = {
      std::string(),
      std::string("\0", 1),
      std::string("\0\0", 2),
      std::string("\0\x01", 2),
      std::string("\0\xff", 2),
      std::string("\x01", 1),
      "a",
      std::string("a\0", 2),
      std::string("a\0b", 3),
      "a\x01",
      "ab",
      "abc",
      "b",
      "\xff",
      "\xff\xff",
  };
  return v;
}

TEST(KeysTest, Uint64IsBigEndian) {
  std::string s;
  AppendUint64(&s, 0x0102030405060708ULL);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  absl::string_view in = s;
  EXPECT_EQ(ConsumeUint64(&in), 0x0102030405060708ULL);
  EXPECT_TRUE(in.empty());
}

TEST(KeysTest, ConsumeUint64NeedsEightBytes) {
  absl::string_view in("\x01\x02\x03", 3);
  EXPECT_FALSE(ConsumeUint64(&in).has_value());
  EXPECT_EQ(in.size(), 3u);
}

TEST(KeysTest, OrderedInt64RoundTripsAndSortsNumerically) {
  const std::vector<int64_t>& ints = Ints();
  for (size_t i = 0; i < ints.size(); ++i) {
    std::string a;
    AppendOrderedInt64(&a, ints[i]);
    absl::string_view in = a;
    EXPECT_EQ(ConsumeOrderedInt64(&in), ints[i]);
    std::string d;
    AppendDescendingInt64(&d, ints[i]);
    in = d;
    EXPECT_EQ(ConsumeDescendingInt64(&in), ints[i]);
    for (size_t j = 0; j < ints.size(); ++j) {
      std::string b;
      AppendOrderedInt64(&b, ints[j]);
      std::string e;
      AppendDescendingInt64(&e, ints[j]);
      EXPECT_EQ(a < b, ints[i] < ints[j]) << ints[i] << " vs " << ints[j];
      EXPECT_EQ(d<e, ints[i]> ints[j]) << ints[i] << " vs " << ints[j];
    }
  }
}

TEST(KeysTest, StringEncodingRoundTripsAndPreservesOrder) {
  const std::vector<std::string>& strs = Strings();
  for (const std::string& a : strs) {
    std::string ea;
    AppendString(&ea, a);
    ea += "rest";
    absl::string_view in = ea;
    EXPECT_EQ(ConsumeString(&in), a);
    EXPECT_EQ(in, "rest");
    for (const std::string& b : strs) {
      std::string eb;
      AppendString(&eb, b);
      std::string ea_only;
      AppendString(&ea_only, a);
      EXPECT_EQ(ea_only < eb, a < b)
          << absl::CHexEscape(a) << " vs " << absl::CHexEscape(b);
      if (a != b) {
        EXPECT_FALSE(absl::StartsWith(eb, ea_only))
            << "encoding of " << absl::CHexEscape(a) << " prefixes that of "
            << absl::CHexEscape(b);
      }
    }
  }
}

TEST(KeysTest, MalformedStringsAreRejected) {
  for (absl::string_view bad :
       {absl::string_view("abc"), absl::string_view("a\0", 2),
        absl::string_view("a\0\x02", 3)}) {
    absl::string_view in = bad;
    EXPECT_FALSE(ConsumeString(&in).has_value()) << absl::CHexEscape(bad);
    EXPECT_EQ(in.size(), bad.size());
  }
}

TEST(KeysTest, HistoryKeysSortByExecutionThenEvent) {
  std::vector<std::tuple<std::string, int64_t>> want;
  std::vector<std::string> keys;
  for (const std::string& id : Strings()) {
    for (int64_t first : {1, 2, 9, 10, 255, 256, 100000}) {
      want.emplace_back(id, first);
      keys.push_back(HistoryKey(id, first));
    }
  }
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<std::tuple<std::string, int64_t>> sorted_want = want;
  std::sort(sorted_want.begin(), sorted_want.end());
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(want[order[i]], sorted_want[i]);
    absl::StatusOr<HistoryKeyParts> parts = DecodeHistoryKey(keys[order[i]]);
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->execution_id, std::get<0>(sorted_want[i]));
    EXPECT_EQ(parts->first_event_id, std::get<1>(sorted_want[i]));
  }
}

TEST(KeysTest, HistoryPrefixMatchesOnlyItsExecution) {
  EXPECT_TRUE(absl::StartsWith(HistoryKey("exec", 7), HistoryPrefix("exec")));
  EXPECT_FALSE(absl::StartsWith(HistoryKey("exec2", 7), HistoryPrefix("exec")));
  EXPECT_FALSE(absl::StartsWith(HistoryKey(std::string("exec\0", 5), 7),
                                HistoryPrefix("exec")));
}

TEST(KeysTest, VisibilityKeysSortNewestFirstWithinMachine) {
  std::vector<std::string> keys = {
      VisibilityKey("m", 100, "x"), VisibilityKey("m", 300, "b"),
      VisibilityKey("m", 300, "a"), VisibilityKey("m", 200, "z"),
      VisibilityKey("n", 999, "a"), VisibilityKey("l", 1, "a")};
  std::sort(keys.begin(), keys.end());
  std::vector<std::tuple<std::string, int64_t, std::string>> got;
  for (const std::string& k : keys) {
    absl::StatusOr<VisibilityKeyParts> p = DecodeVisibilityKey(k);
    ASSERT_TRUE(p.ok()) << p.status();
    got.emplace_back(p->machine, p->start_time_ms, p->execution_id);
  }
  std::vector<std::tuple<std::string, int64_t, std::string>> want = {
      {"l", 1, "a"},   {"m", 300, "a"}, {"m", 300, "b"},
      {"m", 200, "z"}, {"m", 100, "x"}, {"n", 999, "a"}};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(
      absl::StartsWith(VisibilityKey("m", 5, "e"), VisibilityPrefix("m")));
  EXPECT_FALSE(
      absl::StartsWith(VisibilityKey("mm", 5, "e"), VisibilityPrefix("m")));
}

TEST(KeysTest, TaskKeysSortByActivityThenExecutionThenTaskId) {
  std::vector<std::string> keys = {TaskKey("b", "e", 1), TaskKey("a", "f", 300),
                                   TaskKey("a", "e", 2), TaskKey("a", "e", 256),
                                   TaskKey("a", "ee", 1)};
  std::sort(keys.begin(), keys.end());
  std::vector<std::tuple<std::string, std::string, int64_t>> got;
  for (const std::string& k : keys) {
    absl::StatusOr<TaskKeyParts> p = DecodeTaskKey(k);
    ASSERT_TRUE(p.ok()) << p.status();
    got.emplace_back(p->activity, p->execution_id, p->task_id);
  }
  std::vector<std::tuple<std::string, std::string, int64_t>> want = {
      {"a", "e", 2}, {"a", "e", 256}, {"a", "ee", 1}, {"a", "f", 300}, {"b", "e", 1}};
  EXPECT_EQ(got, want);
}

TEST(KeysTest, TaskKeyIsTheLayoutTheEngineHasAlwaysWritten) {
  // Str(activity) . Str(execution) . Int(task id), as data directories
  // written before this builder existed hold it.
  std::string want;
  AppendString(&want, "act");
  AppendString(&want, "exec");
  AppendOrderedInt64(&want, 7);
  EXPECT_EQ(TaskKey("act", "exec", 7), want);
  EXPECT_EQ(TimerKey(5, "e", int64_t{-3}), TimerKey(5, "e", "-3"));
}

TEST(KeysTest, TimerKeysSortByDueTimeFirst) {
  std::vector<std::string> keys = {
      TimerKey(2000, "a", "t1"), TimerKey(1000, "z", "t9"),
      TimerKey(1000, "b", "t2"), TimerKey(1000, "b", "t10"),
      TimerKey(65536, "a", "t")};
  std::sort(keys.begin(), keys.end());
  std::vector<std::tuple<int64_t, std::string, std::string>> got;
  for (const std::string& k : keys) {
    absl::StatusOr<TimerKeyParts> p = DecodeTimerKey(k);
    ASSERT_TRUE(p.ok()) << p.status();
    got.emplace_back(p->due_ms, p->execution_id, p->timer_id);
  }
  std::vector<std::tuple<int64_t, std::string, std::string>> want = {
      {1000, "b", "t10"},
      {1000, "b", "t2"},
      {1000, "z", "t9"},
      {2000, "a", "t1"},
      {65536, "a", "t"}};
  EXPECT_EQ(got, want);
}

TEST(KeysTest, DecodersReportDataLossOnMalformedKeys) {
  std::string history = HistoryKey("e", 1);
  EXPECT_EQ(
      DecodeHistoryKey(history.substr(0, history.size() - 1)).status().code(),
      absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHistoryKey(history + "x").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHistoryKey("no terminator").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeVisibilityKey(VisibilityPrefix("m")).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTaskKey("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTaskKey(TaskKey("a", "e", 1) + "x").status().code(),
            absl::StatusCode::kDataLoss);
  std::string timer = TimerKey(5, "e", "t");
  absl::Status s = DecodeTimerKey(timer.substr(0, 10)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(s.message(), "timer")) << s;
}

TEST(KeysTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor("a\xff"), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), std::nullopt);
  EXPECT_EQ(PrefixSuccessor(""), std::nullopt);
}

TEST(KeysTest, ExecutionValueFraming) {
  std::string v = EncodeExecutionValue(7, "record");
  EXPECT_EQ(v.size(), 8u + 6u);
  absl::StatusOr<std::pair<int64_t, std::string>> d =
      DecodeExecutionValue("e", v);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->first, 7);
  EXPECT_EQ(d->second, "record");
  absl::Status s = DecodeExecutionValue("exec-1", "short").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(s.message(), "exec-1")) << s;
  EXPECT_EQ(
      DecodeExecutionValue("e", EncodeExecutionValue(0, "")).status().code(),
      absl::StatusCode::kDataLoss);
}

TEST(KeysTest, HistoryValueFraming) {
  absl::StatusOr<HistoryValue> d =
      DecodeHistoryValue("k", EncodeHistoryValue(42, "events"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->last_event_id, 42);
  EXPECT_EQ(d->chunk, "events");
  EXPECT_EQ(DecodeHistoryValue("k", "1234567").status().code(),
            absl::StatusCode::kDataLoss);
}

// RocksStore writes a value as its prefix and its text, unjoined: the two
// together are exactly the framed value.
TEST(KeysTest, ValuePrefixesAreTheFramedValuesFirstBytes) {
  EXPECT_EQ(ExecutionValuePrefix(0x0102030405060708) + "record",
            EncodeExecutionValue(0x0102030405060708, "record"));
  EXPECT_EQ(HistoryValuePrefix(300) + "events", EncodeHistoryValue(300, "events"));
  EXPECT_EQ(ExecutionValuePrefix(1).size(), 8u);
  EXPECT_EQ(HistoryValuePrefix(1).size(), 8u);
}

}  // namespace
}  // namespace stepwise::storage
