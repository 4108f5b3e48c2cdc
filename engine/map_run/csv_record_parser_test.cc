// Unit tests of ParseCsvRecord: quoting, escapes, delimiters, records cut
// at a buffer's end, line numbers in errors.
#include "engine/map_run/csv_record_parser.h"

#include <gtest/gtest.h>

namespace stepwise::engine::map_run {
namespace {

using Fields = std::vector<std::string>;

// All records of `text`, parsed as a file read whole.
std::vector<Fields> All(std::string_view text, char delim = ',') {
  std::vector<Fields> out;
  CsvRecord r;
  long line = 1;
  while (true) {
    auto p = ParseCsvRecord(text, true, delim, line, &r);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok() || *p == CsvParse::kEnd) break;
    EXPECT_EQ(*p, CsvParse::kRecord);
    out.push_back(r.fields);
    text.remove_prefix(r.consumed);
    line += r.newlines;
  }
  return out;
}

TEST(CsvRecordParserTest, Rfc4180Quoting) {
  auto rows = All("abc,123,\"has, comma and \"\"quote\"\" and\nnewline\",{\"\"k\"\":\"\"v\"\"},\"[1,2,3]\"\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Fields{"abc", "123", "has, comma and \"quote\" and\nnewline",
                             "{\"k\":\"v\"}", "[1,2,3]"}));
}

TEST(CsvRecordParserTest, EmptyFieldsCrlfAndBlankLines) {
  auto rows = All("a,,c\r\n\r\n\n,\"\",x\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (Fields{"a", "", "c"}));
  EXPECT_EQ(rows[1], (Fields{"", "", "x"}));
}

TEST(CsvRecordParserTest, LastRecordWithoutNewline) {
  auto rows = All("a,b\nc,d");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (Fields{"c", "d"}));
}

TEST(CsvRecordParserTest, BackslashEscapes) {
  auto rows = All("C:\\\\Program Files\\\\App.exe,a\\,b,q\\\"x,\\drop\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Fields{"C:\\Program Files\\App.exe", "a,b", "q\"x", "drop"}));
}

TEST(CsvRecordParserTest, OtherDelimiters) {
  EXPECT_EQ(All("a|b,c|d\n", '|')[0], (Fields{"a", "b,c", "d"}));
  EXPECT_EQ(All("a\tb c\n", '\t')[0], (Fields{"a", "b c"}));
  EXPECT_EQ(All("a b \"c d\"\n", ' ')[0], (Fields{"a", "b", "c d"}));
  EXPECT_EQ(All("a;b\n", ';')[0], (Fields{"a", "b"}));
}

TEST(CsvRecordParserTest, NeedsMoreWhenCutInsideARecord) {
  CsvRecord r;
  for (std::string_view cut : {"a,b", "a,\"b\nc", "a,\"b\"", "a,b\r", "a\\"}) {
    auto p = ParseCsvRecord(cut, false, ',', 1, &r);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, CsvParse::kNeedMore) << cut;
  }
  auto p = ParseCsvRecord("a,b\nc", false, ',', 1, &r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, CsvParse::kRecord);
  EXPECT_EQ(r.consumed, 4u);
  EXPECT_EQ(r.newlines, 1);
}

TEST(CsvRecordParserTest, UnterminatedQuoteNamesTheLine) {
  CsvRecord r;
  auto p = ParseCsvRecord("\n\nx,\"open\n", true, ',', 4, &r);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.status().message()).find("line 6"), std::string_view::npos) << p.status();
}

}  // namespace
}  // namespace stepwise::engine::map_run
