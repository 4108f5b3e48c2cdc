// Loading of the execution conformance corpus (shared/conformance/cases):
// the index, each case file, and how a case is scored (pure, stub, replay,
// JSONata). Used by conformance_runner. Pure functions; thread-safe.
#ifndef SW_TESTS_CONFORMANCE_CASE_FILE_H_
#define SW_TESTS_CONFORMANCE_CASE_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::conformance {

// What a case needs besides the interpreter, as the scoring groups it.
enum class CaseKind {
  kPure,    // `requires` is empty
  kStub,    // needs only Lambda and/or activity stubs
  kReplay,  // needs other integrations: answered from `task_replay`
};

struct ConformanceCase {
  std::string id;
  std::string category;
  std::string file;  // path relative to the cases directory
  bool pure_asl = false;
  bool masked = false;
  bool has_events = false;
  // The definition (or one of its states) uses QueryLanguage JSONata, which
  // Stepwise does not run yet.
  bool jsonata = false;
  CaseKind kind = CaseKind::kPure;
  json::object doc;  // the whole case file
};

// Reads a whole file. Returns kNotFound when it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// True when `definition` or any state in it (including Parallel branches and
// Map processors) sets "QueryLanguage": "JSONata".
bool UsesJsonata(const json::value& definition);

// Loads every case listed in `<cases_dir>/index.json`, in index order.
// Returns kNotFound when the index is missing and kInvalidArgument when it or
// a case file is malformed.
absl::StatusOr<std::vector<ConformanceCase>> LoadCases(
    const std::string& cases_dir);

// Finds the state called `name` anywhere in `definition` (nested states
// included). Returns nullptr when there is none. The pointer lives as long
// as `definition`.
const json::object* FindState(const json::value& definition,
                              std::string_view name);

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_CASE_FILE_H_
