// See jsonata_error_text.h.
#include "asl/jsonata_error_text.h"

#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "jsonata/jsonata.h"

namespace stepwise::asl {
namespace {

// The reference's messages for the codes the evaluator raises at run time
// (parse errors never reach a running state: the validator rejects them).
// "{{token}}" takes the token as a JSON string, "{{value}}" / "{{index}}"
// the detail as is, "{{{message}}}" the detail.
const absl::flat_hash_map<std::string_view, std::string_view>& Messages() {
  static const auto* m = new absl::flat_hash_map<std::string_view, std::string_view>{
      {"T0410", "Argument {{index}} of function {{token}} does not match function signature"},
      {"T0411",
       "Context value is not a compatible type with argument {{index}} of function {{token}}"},
      {"D1001", "Number out of range: {{value}}"},
      {"D1002", "Cannot negate a non-numeric value: {{value}}"},
      {"T1003", "Key in object structure must evaluate to a string; got: {{value}}"},
      {"D1004", "Regular expression matches zero length string"},
      {"T1005", "Attempted to invoke a non-function. Did you mean ${{{token}}}?"},
      {"T1006", "Attempted to invoke a non-function"},
      {"T1007", "Attempted to partially apply a non-function. Did you mean ${{{token}}}?"},
      {"T1008", "Attempted to partially apply a non-function"},
      {"D1009", "Multiple key definitions evaluate to same key: {{value}}"},
      {"T2001", "The left side of the {{token}} operator must evaluate to a number"},
      {"T2002", "The right side of the {{token}} operator must evaluate to a number"},
      {"T2003", "The left side of the range operator (..) must evaluate to an integer"},
      {"T2004", "The right side of the range operator (..) must evaluate to an integer"},
      {"T2006", "The right side of the function application operator ~> must be a function"},
      {"T2008",
       "The expressions within an order-by clause must evaluate to numeric or string values"},
      {"T2010",
       "The expressions either side of operator {{token}} must evaluate to numeric or string "
       "values"},
      {"D3001", "Attempting to invoke string function on Infinity or NaN"},
      {"D3010", "Second argument of replace function cannot be an empty string"},
      {"D3011", "Fourth argument of replace function must evaluate to a positive number"},
      {"D3012", "Attempted to replace a matched string with a non-string value"},
      {"D3020", "Third argument of split function must evaluate to a positive number"},
      {"D3030", "Unable to cast value to a number: {{value}}"},
      {"D3040", "Third argument of match function must evaluate to a positive number"},
      {"D3050",
       "The second argument of reduce function must be a function with at least two arguments"},
      {"D3060", "The sqrt function cannot be applied to a negative number: {{value}}"},
      {"D3070",
       "The single argument form of the sort function can only be applied to an array of "
       "strings or an array of numbers.  Use the second argument to specify a comparison "
       "function"},
      {"D3137", "{{{message}}}"},
      {"D3138",
       "The $single() function expected exactly 1 matching result.  Instead it matched more."},
      {"D3139",
       "The $single() function expected exactly 1 matching result.  Instead it matched 0."},
      {"D3141", "{{{message}}}"},
  };
  return *m;
}

// Fills the placeholders of `tmpl`; false when one has nothing to take,
// except a last one ("...: {{value}}"), which is left out with its ": ".
bool Fill(std::string_view tmpl, const std::string& token, const std::string& detail,
          std::string& out) {
  while (!tmpl.empty()) {
    size_t open = tmpl.find("{{");
    if (open == std::string_view::npos) {
      out.append(tmpl);
      return true;
    }
    out.append(tmpl.substr(0, open));
    bool raw = tmpl.substr(open, 3) == "{{{";
    size_t name_at = open + (raw ? 3 : 2);
    size_t close = tmpl.find(raw ? "}}}" : "}}", name_at);
    if (close == std::string_view::npos) return false;
    std::string_view name = tmpl.substr(name_at, close - name_at);
    const std::string& with = name == "token" ? token : detail;
    size_t end = close + (raw ? 3 : 2);
    if (with.empty()) {
      if (end != tmpl.size() || !absl::EndsWith(out, ": ")) return false;
      out.resize(out.size() - 2);
      return true;
    }
    out += name == "token" && !raw ? SerializeJson(json::value(json::string(with))) : with;
    tmpl.remove_prefix(end);
  }
  return true;
}

}  // namespace

std::string JsonataErrorText(const absl::Status& status) {
  std::string code = jsonata::ErrorCode(status);
  std::string token = jsonata::ErrorToken(status);
  std::string detail = jsonata::ErrorDetail(status);
  auto it = Messages().find(code);
  if (it != Messages().end()) {
    std::string text;
    if (Fill(it->second, token, detail, text)) return absl::StrCat(code, ": ", text);
  }
  return std::string(ToStd(status.message()));
}

}  // namespace stepwise::asl
