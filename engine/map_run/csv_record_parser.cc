// The streaming CSV record parser; see csv_record_parser.h.
#include "engine/map_run/csv_record_parser.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stepwise::engine::map_run {

absl::StatusOr<CsvParse> ParseCsvRecord(std::string_view buffer, bool at_end, char delimiter,
                                        long first_line, CsvRecord* out) {
  out->fields.clear();
  out->consumed = 0;
  out->newlines = 0;
  size_t i = 0;
  // Skip empty lines.
  while (true) {
    if (i < buffer.size() && buffer[i] == '\n') {
      ++i;
      ++out->newlines;
    } else if (i + 1 < buffer.size() && buffer[i] == '\r' && buffer[i + 1] == '\n') {
      i += 2;
      ++out->newlines;
    } else if (i + 1 == buffer.size() && buffer[i] == '\r' && !at_end) {
      return CsvParse::kNeedMore;
    } else {
      break;
    }
  }
  if (i == buffer.size()) {
    if (!at_end) return CsvParse::kNeedMore;
    out->consumed = i;
    return CsvParse::kEnd;
  }
  const int skipped_newlines = out->newlines;
  std::string field;
  bool quoted = false;
  bool field_started = false;  // a byte or a quote seen in this field
  while (true) {
    if (i == buffer.size()) {
      if (!at_end) return CsvParse::kNeedMore;
      if (quoted) {
        return absl::InvalidArgumentError(
            absl::StrCat("unterminated quoted field in the record starting at line ",
                         first_line + skipped_newlines));
      }
      out->fields.push_back(std::move(field));
      out->consumed = i;
      return CsvParse::kRecord;
    }
    char c = buffer[i];
    auto next = [&](size_t k) -> int {
      return i + k < buffer.size() ? static_cast<unsigned char>(buffer[i + k]) : -1;
    };
    const bool last = i + 1 == buffer.size();
    if (c == '\\') {
      if (last && !at_end) return CsvParse::kNeedMore;
      if (!last) {
        char e = buffer[i + 1];
        if (e == '\n') ++out->newlines;
        field.push_back(e);  // escaped, or the backslash dropped before it
      }
      i += 2;
      field_started = true;
      continue;
    }
    if (c == '"') {
      if (last && !at_end) return CsvParse::kNeedMore;
      if (quoted) {
        if (next(1) == '"') {
          field.push_back('"');
          i += 2;
        } else {
          quoted = false;
          ++i;
        }
      } else if (field_started && next(1) == '"') {
        field.push_back('"');
        i += 2;
      } else {
        quoted = true;
        field_started = true;
        ++i;
      }
      continue;
    }
    if (!quoted) {
      if (c == delimiter) {
        out->fields.push_back(std::move(field));
        field.clear();
        field_started = false;
        ++i;
        continue;
      }
      if (c == '\n' || (c == '\r' && next(1) == '\n')) {
        out->fields.push_back(std::move(field));
        i += c == '\n' ? 1 : 2;
        ++out->newlines;
        out->consumed = i;
        return CsvParse::kRecord;
      }
      if (c == '\r' && last && !at_end) return CsvParse::kNeedMore;
    } else if (c == '\n') {
      ++out->newlines;
    }
    field.push_back(c);
    field_started = true;
    ++i;
  }
}

}  // namespace stepwise::engine::map_run
