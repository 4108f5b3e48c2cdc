// Indexed fields of a state machine (Stepwise.PutIndexedFields): checking a
// declaration, keeping it in the machine's record, and evaluating it over an
// execution's input, output or variables when the engine writes the
// execution's visibility row. A value is indexed as its JSON text (strings,
// numbers, booleans, null); a path or expression that matches nothing, or
// matches an array or an object, indexes nothing for that execution. A
// number that is a whole number is written as an integer ("42", never
// "42.0"), so `field = 42` finds it however the input spelled it.
// Pure functions; a CompiledIndexedFields is immutable and may be shared by
// any threads.
#ifndef SW_ENGINE_SEARCH_INDEXED_FIELDS_H_
#define SW_ENGINE_SEARCH_INDEXED_FIELDS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/api_types.h"

namespace stepwise::engine {

inline constexpr size_t kMaxIndexedFields = 20;

// ValidationException naming the offending member
// (indexedFields.N.member) when `fields` is not a valid declaration: a bad
// or repeated name, an unknown source, not exactly one of path and
// expression, a path or expression that does not parse, more than 20.
absl::Status CheckIndexedFields(const std::vector<IndexedField>& fields);

// The declaration as kept in the machine's record, and back. Reading
// returns kDataLoss when the stored value is malformed.
json::array IndexedFieldsRecord(const std::vector<IndexedField>& fields);
absl::StatusOr<std::vector<IndexedField>> IndexedFieldsFromRecord(const json::value& v);

// What an execution offers the fields at one write: each source may be
// unknown (null) at this write; then the fields reading it keep the values
// they had.
struct IndexSources {
  const json::value* input = nullptr;
  const json::value* output = nullptr;
  bool output_known = false;  // closed: no output means the fields are absent
  const json::value* variables = nullptr;
};

// A declaration parsed once (paths and expressions compiled).
class CompiledIndexedFields {
 public:
  // `fields` must have passed CheckIndexedFields.
  static absl::StatusOr<std::shared_ptr<const CompiledIndexedFields>> Compile(
      const std::vector<IndexedField>& fields);
  ~CompiledIndexedFields();

  bool empty() const { return fields_.empty(); }
  bool reads_output() const;
  // The values of the fields (name → JSON text) given `sources`; a field
  // whose source is unknown keeps its value in `previous`.
  std::map<std::string, std::string> Evaluate(
      const IndexSources& sources, const std::map<std::string, std::string>& previous) const;

 private:
  struct Field;
  std::vector<std::unique_ptr<Field>> fields_;
};

// The indexed text of one value: nullopt for arrays, objects and undefined.
std::optional<std::string> IndexedValueText(const json::value& v);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_SEARCH_INDEXED_FIELDS_H_
