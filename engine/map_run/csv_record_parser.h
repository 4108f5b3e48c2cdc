// ParseCsvRecord: one record of a delimited text file as Step Functions
// parses ItemReader CSV input: fields split by the delimiter, records by
// newlines (\n or \r\n); double quotes around a field let it hold
// delimiters and newlines; a doubled quote is one quote (inside or outside
// quotes); a backslash escapes a backslash, a quote or the delimiter, and is
// dropped before any other character; every value a string. Empty lines are
// skipped. Works on a buffer that may end mid-record (kNeedMore) so a file
// can be streamed page by page.
// Pure function: any thread.
#ifndef SW_ENGINE_MAP_RUN_CSV_RECORD_PARSER_H_
#define SW_ENGINE_MAP_RUN_CSV_RECORD_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::engine::map_run {

enum class CsvParse {
  kRecord,    // `fields` holds one record
  kNeedMore,  // `buffer` ends inside a record and more bytes follow
  kEnd,       // no record left (only empty lines, at the end of the input)
};

struct CsvRecord {
  std::vector<std::string> fields;
  size_t consumed = 0;   // bytes of `buffer` the record (and skipped empty lines) took
  int newlines = 0;      // newlines among them (for line numbers)
};

// Parses the first record of `buffer`. `at_end`: no byte follows `buffer`.
// kInvalidArgument ("unterminated quoted field") when the input ends inside
// quotes; `first_line` (1-based) names the line.
absl::StatusOr<CsvParse> ParseCsvRecord(std::string_view buffer, bool at_end, char delimiter,
                                        long first_line, CsvRecord* out);

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_CSV_RECORD_PARSER_H_
