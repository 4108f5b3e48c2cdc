// S3's REST-XML protocol for the object calls (aws_s3_protocol.h).
#include "integrations/aws/aws_s3_protocol.h"

#include <array>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "integrations/aws/service_table.h"
#include "integrations/aws/xml_reader.h"
#include "net/sigv4.h"

namespace stepwise::integrations {

namespace {

absl::Status BadParameter(std::string_view operation, std::string_view member,
                          std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("S3 ", ToAbsl(operation), ": parameter '", ToAbsl(member), "' ", ToAbsl(why)));
}

// A scalar member's text on the wire; nullopt-like "" + false for others.
bool ScalarText(const json::value& v, std::string_view type, std::string& out) {
  if (v.is_string()) {
    out = std::string(v.get_string());
  } else if (v.is_bool()) {
    out = v.get_bool() ? "true" : "false";
  } else if (v.is_int64()) {
    out = type == "timestamp"
              ? absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::FromUnixSeconds(v.get_int64()),
                                 absl::UTCTimeZone())
              : std::to_string(v.get_int64());
  } else if (v.is_uint64()) {
    out = std::to_string(v.get_uint64());
  } else if (v.is_double()) {
    out = SerializeJson(v);
  } else {
    return false;
  }
  return true;
}

// Members S3's XML answers hold as numbers, booleans, timestamps or
// repeated (flattened) lists.
bool IsNumberMember(std::string_view n) { return n == "MaxKeys" || n == "KeyCount" || n == "Size"; }
bool IsBoolMember(std::string_view n) { return n == "IsTruncated" || n == "IsRestoreInProgress"; }
bool IsTimestampMember(std::string_view n) {
  return n == "LastModified" || n == "RestoreExpiryDate";
}
bool IsListMember(std::string_view n) {
  return n == "Contents" || n == "CommonPrefixes" || n == "ChecksumAlgorithm";
}

json::value XmlLeafValue(const XmlElement& e) {
  if (IsNumberMember(e.name)) {
    int64_t n = 0;
    if (absl::SimpleAtoi(e.text, &n)) return json::value(n);
  }
  if (IsBoolMember(e.name)) return json::value(e.text == "true");
  if (IsTimestampMember(e.name)) return json::value(IsoTimestamp(e.text));
  return json::value(e.text);
}

json::object XmlToObject(const XmlElement& e);

json::value XmlValue(const XmlElement& e) {
  if (e.children.empty()) return XmlLeafValue(e);
  return XmlToObject(e);
}

// Members in name order, repeated list members gathered into arrays.
json::object XmlToObject(const XmlElement& e) {
  std::map<std::string, json::value> members;
  for (const XmlElement& c : e.children) {
    json::value v = XmlValue(c);
    if (IsListMember(c.name)) {
      json::value& list = members[c.name];
      if (!list.is_array()) list = json::array();
      list.get_array().push_back(std::move(v));
    } else {
      members[c.name] = std::move(v);
    }
  }
  json::object o;
  for (auto& [k, v] : members) o[k] = std::move(v);
  return o;
}

}  // namespace

std::string IsoTimestamp(std::string_view text) {
  absl::Time t;
  std::string err;
  std::string s(absl::StripAsciiWhitespace(ToAbsl(text)));
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", s, &t, &err) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", s, &t, &err) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", s, &t, &err)) {
    absl::Time whole = absl::FromUnixSeconds(absl::ToUnixSeconds(t));
    if (whole == t) return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
  }
  return std::string(text);
}

std::string Utf8Text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    auto b = static_cast<unsigned char>(bytes[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= bytes.size();
    uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; ok && k < n; ++k) {
      auto c = static_cast<unsigned char>(bytes[i + k]);
      ok = (c >> 6) == 0x2;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid.
    if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) {
      ok = false;
    }
    if (ok) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string Crc32Base64(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : data) crc = kTable[(crc ^ ch) & 0xFF] ^ (crc >> 8);
  crc ^= 0xFFFFFFFFu;
  const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                         static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return absl::Base64Escape(absl::string_view(bytes, 4));
}

absl::StatusOr<net::HttpClientRequest> S3Request(const AwsEndpoint& endpoint,
                                                 std::string_view operation,
                                                 const json::value& parameters,
                                                 const std::string* body_bytes) {
  static const json::object kEmpty;
  const json::object* params = parameters.is_null() ? &kEmpty : parameters.if_object();
  if (params == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("S3 ", ToAbsl(operation), ": parameters must be an object"));
  }
  net::HttpClientRequest r;
  r.method = operation == "PutObject" ? "PUT" : operation == "HeadObject" ? "HEAD" : "GET";
  std::string bucket, key, query;
  bool has_key = false;
  if (operation == "ListObjectsV2") query = "list-type=2";
  bool checksum_given = false;
  for (const auto& [name, value] : *params) {
    const S3Member* binding = nullptr;
    std::string_view member_name = name;  // a structured binding cannot be captured (C++20)
    ForEachS3Member(operation, "in", [&](const S3Member& m) {
      if (m.member == member_name) binding = &m;
    });
    if (binding == nullptr) return BadParameter(operation, name, "is not a member of its request");
    if (binding->location == "uri") {
      if (!value.is_string()) return BadParameter(operation, name, "must be a string");
      (name == "Bucket" ? bucket : key) = std::string(value.get_string());
      if (name == "Key") has_key = true;
    } else if (binding->location == "headers") {  // Metadata
      const json::object* meta = value.if_object();
      if (meta == nullptr) return BadParameter(operation, name, "must be an object of strings");
      for (const auto& [mk, mv] : *meta) {
        std::string text;
        if (!ScalarText(mv, "string", text)) {
          return BadParameter(operation, name, "must be an object of strings");
        }
        r.headers[absl::AsciiStrToLower(absl::StrCat(ToAbsl(binding->wire_name), ToAbsl(std::string_view(mk))))] =
            text;
      }
    } else if (binding->location == "header" || binding->location == "querystring") {
      if (name == "ContentLength") continue;  // the body's own length is sent
      std::string text;
      if (!ScalarText(value, binding->type, text)) {
        return BadParameter(operation, name, "must be a string, number or boolean");
      }
      if (binding->location == "header") {
        r.headers[absl::AsciiStrToLower(ToAbsl(binding->wire_name))] = text;
        if (absl::StartsWith(ToAbsl(binding->wire_name), "x-amz-checksum-") ||
            binding->wire_name == "x-amz-sdk-checksum-algorithm") {
          checksum_given = true;
        }
      } else {
        absl::StrAppend(&query, query.empty() ? "" : "&", net::UriEncode(binding->wire_name, false),
                        "=", net::UriEncode(text, false));
      }
    } else {  // PutObject's Body
      // Step Functions writes the Body's JSON text, a string's quotes
      // included (test_s3_put_object: "text data" is stored as
      // "\"text data\"", 11 bytes).
      r.body = SerializeJson(value);
    }
  }
  if (body_bytes != nullptr) {
    if (operation != "PutObject" || params->contains("Body")) {
      return BadParameter(operation, "Body", "is given twice");
    }
    r.body = *body_bytes;
  }
  if (bucket.empty()) return BadParameter(operation, "Bucket", "must not be null");
  if (operation != "ListObjectsV2" && (!has_key || key.empty())) {
    return BadParameter(operation, "Key", "must not be null");
  }
  if (operation == "PutObject" && r.headers.count("content-type") == 0) {
    r.headers["content-type"] = "text/plain; charset=UTF-8";
  }
  if (operation == "PutObject" && !checksum_given) {
    r.headers["x-amz-sdk-checksum-algorithm"] = "CRC32";
    r.headers["x-amz-checksum-crc32"] = Crc32Base64(r.body);
  }
  r.url = AwsEndpoints::S3Url(endpoint, bucket, key, query);
  return r;
}

void ReadS3Answer(std::string_view operation, const net::HttpClientResponse& answer,
                  AwsApiResponse& out) {
  if (answer.status < 200 || answer.status >= 300) {
    absl::StatusOr<XmlElement> doc = absl::StripAsciiWhitespace(answer.body).empty()
                                         ? absl::StatusOr<XmlElement>(XmlElement{})
                                         : ParseXml(answer.body);
    if (doc.ok() && doc->name == "Error") {
      out.error_code = doc->ChildText("Code");
      out.error_message = doc->ChildText("Message");
      if (out.request_id.empty()) out.request_id = doc->ChildText("RequestId");
    }
    if (out.error_code.empty()) {
      // No error document (HEAD answers have no body): S3's SDK names the
      // error by the status.
      if (answer.status == 404) {
        out.error_code = operation == "ListObjectsV2" ? "NoSuchBucket" : "NoSuchKey";
        out.error_message = "Not Found";
      } else if (answer.status == 403) {
        out.error_code = "AccessDenied";
        out.error_message = "Forbidden";
      } else if (answer.status == 304) {
        out.error_code = "NotModified";
        out.error_message = "Not Modified";
      } else if (answer.status == 412) {
        out.error_code = "PreconditionFailed";
        out.error_message = "Precondition Failed";
      }
    }
    return;
  }
  std::map<std::string, json::value> members;
  if (operation == "ListObjectsV2") {
    absl::StatusOr<XmlElement> doc = ParseXml(answer.body);
    if (!doc.ok()) {
      out.transport_failed = true;
      out.transport_error = absl::StrCat("Unable to unmarshall response (", doc.status().message(),
                                         "). Response Code: ", answer.status);
      return;
    }
    for (auto& [k, v] : XmlToObject(*doc)) members[std::string(k)] = std::move(v);
  }
  json::object metadata;
  bool has_metadata = false;
  ForEachS3Member(operation, "out", [&](const S3Member& m) {
    if (m.location == "headers") {
      has_metadata = true;
      std::string prefix = absl::AsciiStrToLower(ToAbsl(m.wire_name));
      for (const auto& [h, v] : answer.headers) {
        if (absl::StartsWith(h, prefix)) metadata[h.substr(prefix.size())] = v;
      }
      return;
    }
    if (m.location != "header") return;
    auto it = answer.headers.find(absl::AsciiStrToLower(ToAbsl(m.wire_name)));
    if (it == answer.headers.end()) return;
    const std::string& v = it->second;
    int64_t n = 0;
    if ((m.type == "long" || m.type == "integer") && absl::SimpleAtoi(v, &n)) {
      members[std::string(m.member)] = n;
    } else if (m.type == "boolean") {
      members[std::string(m.member)] = absl::EqualsIgnoreCase(v, "true");
    } else if (m.type == "timestamp") {
      members[std::string(m.member)] = IsoTimestamp(v);
    } else {
      members[std::string(m.member)] = v;
    }
  });
  if (has_metadata) members["Metadata"] = std::move(metadata);
  json::object o;
  for (auto& [k, v] : members) o[k] = std::move(v);
  if (operation == "GetObject") {
    o["Body"] = Utf8Text(answer.body);
    out.raw_body = answer.body;
  }
  out.output = std::move(o);
}

}  // namespace stepwise::integrations
