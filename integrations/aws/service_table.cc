// The service table (service_table.h); its rows are service_table.inc.
#include "integrations/aws/service_table.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace stepwise::integrations {

namespace {

#include "integrations/aws/service_table.inc"

const AwsServiceInfo kServices[] = {SW_AWS_SERVICES};
const S3Member kS3Members[] = {SW_S3_MEMBERS};

// Drops a JSON error type's namespace ("com.amazonaws.sfn#InvalidToken")
// and a header's suffix ("InvalidToken:http://...").
std::string_view BareCode(std::string_view code) {
  if (size_t hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return code;
}

// Whether the space-separated `list` holds `word`.
bool ListHolds(std::string_view list, std::string_view word) {
  if (word.empty()) return false;
  for (size_t at = list.find(word); at != std::string_view::npos; at = list.find(word, at + 1)) {
    bool starts = at == 0 || list[at - 1] == ' ';
    bool ends = at + word.size() == list.size() || list[at + word.size()] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

bool AwsServiceInfo::IsCamelMember(std::string_view member) const {
  return ListHolds(camel_members, member);
}

bool AwsServiceInfo::IsTimestampMember(std::string_view member) const {
  return ListHolds(timestamp_members, member);
}

bool AwsServiceInfo::HasAction(std::string_view action) const {
  return ListHolds(operations, action);
}

const AwsServiceInfo* FindAwsService(std::string_view name) {
  auto it = std::lower_bound(std::begin(kServices), std::end(kServices), name,
                             [](const AwsServiceInfo& s, std::string_view n) { return s.name < n; });
  return it != std::end(kServices) && it->name == name ? &*it : nullptr;
}

std::string AwsServicesText(std::string_view indent, size_t width) {
  std::string out, line(indent);
  for (const AwsServiceInfo& s : kServices) {
    std::string word(s.name);
    if (s.protocol == AwsProtocol::kRestXml) word += " (getObject, putObject, listObjectsV2, headObject)";
    if (s.protocol == AwsProtocol::kQuery) word += " (publish)";
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      absl::StrAppend(&out, line, "\n");
      line = std::string(indent);
    }
    if (line.size() > indent.size()) line += ' ';
    line += word;
  }
  if (line.size() > indent.size()) absl::StrAppend(&out, line, "\n");
  return out;
}

bool AwsServiceInfo::Supports(std::string_view operation) const {
  switch (protocol) {
    case AwsProtocol::kJson:
      return !operation.empty();
    case AwsProtocol::kRestXml:
      return name == "s3" && (operation == "GetObject" || operation == "PutObject" ||
                              operation == "ListObjectsV2" || operation == "HeadObject");
    case AwsProtocol::kQuery:
      return name == "sns" && operation == "Publish";
  }
  return false;
}

std::string_view SupportedOperationsText(const AwsServiceInfo& service) {
  if (service.protocol == AwsProtocol::kJson) return "every operation";
  if (service.name == "s3") return "getObject, putObject, listObjectsV2 and headObject";
  if (service.name == "sns") return "publish";
  return "none";
}

std::string AwsServiceInfo::ErrorName(std::string_view code) const {
  std::string_view bare = BareCode(code);
  std::string_view shape;
  for (absl::string_view e : absl::StrSplit(ToAbsl(exceptions), ' ', absl::SkipEmpty())) {
    std::string_view entry = ToStd(e);
    size_t eq = entry.find('=');
    std::string_view shape_name = entry.substr(0, eq);
    std::string_view wire = eq == std::string_view::npos ? shape_name : entry.substr(eq + 1);
    if (!bare.empty() && (bare == shape_name || bare == wire)) {
      shape = shape_name;
      break;
    }
  }
  if (shape.empty()) return absl::StrCat(ToAbsl(sdk_name), ".", ToAbsl(sdk_name), "Exception");
  return absl::StrCat(ToAbsl(sdk_name), ".", ToAbsl(shape),
                      absl::EndsWith(ToAbsl(shape), "Exception") ? "" : "Exception");
}

std::string OperationName(std::string_view action) {
  std::string op(action);
  if (!op.empty()) op[0] = absl::ascii_toupper(static_cast<unsigned char>(op[0]));
  return op;
}

const S3Member* S3MembersBegin() { return std::begin(kS3Members); }
const S3Member* S3MembersEnd() { return std::end(kS3Members); }

}  // namespace stepwise::integrations
