// Tests of ReadResultWriterConfig: the field combinations AWS accepts, the
// defaults, and errors naming the field.
#include "engine/map_run/result_writer_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::engine::map_run {
namespace {

using ::testing::HasSubstr;

json::value J(const std::string& text) { return *ParseJson(text); }

TEST(ResultWriterConfig, ResourceAndParametersExportWithNoneAsJson) {
  auto c = ReadResultWriterConfig(J(R"({"Resource":"arn:aws:states:::s3:putObject"})"),
                                  J(R"({"Bucket":"b","Prefix":"jobs"})"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->writes_to_s3);
  EXPECT_EQ(c->bucket, "b");
  EXPECT_EQ(c->prefix, "jobs");
  EXPECT_EQ(c->output_type, ResultOutputType::kJson);
  EXPECT_EQ(c->transformation, ResultTransformation::kNone);
}

TEST(ResultWriterConfig, AllThreeFields) {
  auto c = ReadResultWriterConfig(
      J(R"({"Resource":"arn:aws:states:::s3:putObject",
            "WriterConfig":{"OutputType":"JSONL","Transformation":"FLATTEN"}})"),
      J(R"({"Bucket":"b"})"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->writes_to_s3);
  EXPECT_EQ(c->prefix, "");
  EXPECT_EQ(c->output_type, ResultOutputType::kJsonl);
  EXPECT_EQ(c->transformation, ResultTransformation::kFlatten);
  EXPECT_STREQ(OutputTypeName(c->output_type), "JSONL");
  EXPECT_STREQ(TransformationName(c->transformation), "FLATTEN");
}

TEST(ResultWriterConfig, WriterConfigAloneStaysInlineAndDefaultsToCompact) {
  auto c = ReadResultWriterConfig(J(R"({"WriterConfig":{"OutputType":"JSON"}})"), json::value());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->writes_to_s3);
  EXPECT_EQ(c->transformation, ResultTransformation::kCompact);
}

TEST(ResultWriterConfig, ErrorsNameTheField) {
  struct Case {
    const char* writer;
    const char* args;
    const char* field;
  } cases[] = {
      {R"({})", "null", "must contain WriterConfig"},
      {R"([])", "null", "ResultWriter must be a JSON object"},
      {R"({"Resource":"arn:aws:states:::s3:getObject"})", R"({"Bucket":"b"})",
       "ResultWriter.Resource must be arn:aws:states:::s3:putObject"},
      {R"({"Resource":"arn:aws:states:::s3:putObject"})", "null", "ResultWriter.Parameters"},
      {R"({"Resource":"arn:aws:states:::s3:putObject"})", R"({"Prefix":"p"})",
       "must contain the field Bucket"},
      {R"({"Resource":"arn:aws:states:::s3:putObject"})", R"({"Bucket":7})",
       "ResultWriter.Parameters.Bucket"},
      {R"({"Resource":"arn:aws:states:::s3:putObject"})", R"({"Bucket":"b","Prefix":1})",
       "ResultWriter.Parameters.Prefix"},
      {R"({"Resource":"arn:aws:states:::s3:putObject"})", R"({"Bucket":"b","Key":"k"})",
       "unknown field: Key"},
      {R"({"WriterConfig":{"OutputType":"CSV"}})", "null",
       "ResultWriter.WriterConfig.OutputType must be one of [JSON, JSONL]"},
      {R"({"WriterConfig":{"Transformation":"SQUASH"}})", "null",
       "ResultWriter.WriterConfig.Transformation must be one of [NONE, COMPACT, FLATTEN]"},
      {R"({"WriterConfig":{"Format":"JSON"}})", "null", "unknown field: Format"},
      {R"({"WriterConfig":{}})", R"({"Bucket":"b"})", "ResultWriter.Parameters need a Resource"},
  };
  for (const Case& c : cases) {
    auto r = ReadResultWriterConfig(J(c.writer), J(c.args));
    ASSERT_FALSE(r.ok()) << c.writer << " " << c.args;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.field)) << c.writer;
  }
}

}  // namespace
}  // namespace stepwise::engine::map_run
