// ResultWriterConfig: a Distributed Map's `ResultWriter` as the Map Run's
// result writer (result_writer.h) uses it, read from the state's field
// (Resource, WriterConfig {OutputType, Transformation}) and its
// Parameters / Arguments as the caller evaluated them (Bucket, Prefix).
// Errors are kInvalidArgument naming the field in AWS's vocabulary; the
// caller fails the state with States.ResultWriterFailed and the message as
// its cause. Pure functions: any thread.
#ifndef SW_ENGINE_MAP_RUN_RESULT_WRITER_CONFIG_H_
#define SW_ENGINE_MAP_RUN_RESULT_WRITER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::engine::map_run {

// The one Resource a ResultWriter may name.
inline constexpr char kResultWriterResource[] = "arn:aws:states:::s3:putObject";

enum class ResultOutputType { kJson, kJsonl };
enum class ResultTransformation { kNone, kCompact, kFlatten };

struct ResultWriterConfig {
  // Resource and Parameters/Arguments given: the results go to S3.
  // WriterConfig alone only shapes the inline result.
  bool writes_to_s3 = false;
  std::string bucket;
  std::string prefix;  // as given ("" when absent)
  ResultOutputType output_type = ResultOutputType::kJson;
  // NONE when exporting without a WriterConfig; COMPACT is AWS's default
  // for the inline result.
  ResultTransformation transformation = ResultTransformation::kNone;
};

// `result_writer` is the state's ResultWriter field; `arguments` its
// Parameters (JSONPath) or Arguments (JSONata) after evaluation (null when
// the field has neither).
absl::StatusOr<ResultWriterConfig> ReadResultWriterConfig(const json::value& result_writer,
                                                          const json::value& arguments);

// "JSON" / "JSONL", "NONE" / "COMPACT" / "FLATTEN".
const char* OutputTypeName(ResultOutputType t);
const char* TransformationName(ResultTransformation t);

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_RESULT_WRITER_CONFIG_H_
