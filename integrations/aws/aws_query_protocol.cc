// The AWS query protocol (aws_query_protocol.h).
#include "integrations/aws/aws_query_protocol.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "integrations/aws/xml_reader.h"
#include "net/sigv4.h"

namespace stepwise::integrations {

namespace {

void Add(std::string& body, std::string_view name, std::string_view value) {
  absl::StrAppend(&body, body.empty() ? "" : "&", net::UriEncode(name, false), "=",
                  net::UriEncode(value, false));
}

absl::Status Flatten(std::string_view prefix, const json::value& v, std::string& body,
                     int depth) {
  if (depth > 16) return absl::InvalidArgumentError(absl::StrCat("parameter '", ToAbsl(prefix), "' nests too deeply"));
  switch (v.kind()) {
    case json::kind::string:
      Add(body, prefix, v.get_string());
      return absl::OkStatus();
    case json::kind::bool_:
      Add(body, prefix, v.get_bool() ? "true" : "false");
      return absl::OkStatus();
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      Add(body, prefix, SerializeJson(v));
      return absl::OkStatus();
    case json::kind::null:
      return absl::OkStatus();
    case json::kind::array: {
      int n = 0;
      for (const json::value& item : v.get_array()) {
        if (absl::Status s = Flatten(absl::StrCat(ToAbsl(prefix), ".member.", ++n), item, body, depth + 1);
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    case json::kind::object: {
      // A map: entries of Name and Value (SNS's MessageAttributes).
      int n = 0;
      for (const auto& [k, item] : v.get_object()) {
        std::string entry = absl::StrCat(ToAbsl(prefix), ".entry.", ++n);
        Add(body, absl::StrCat(entry, ".Name"), k);
        if (item.is_object()) {
          for (const auto& [mk, mv] : item.get_object()) {
            if (absl::Status s =
                    Flatten(absl::StrCat(entry, ".Value.", ToAbsl(std::string_view(mk))), mv, body, depth + 1);
                !s.ok()) {
              return s;
            }
          }
        } else if (absl::Status s = Flatten(absl::StrCat(entry, ".Value"), item, body, depth + 1);
                   !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

json::value ResultValue(const XmlElement& e) {
  if (e.children.empty()) return json::value(e.text);
  // A list of <member> elements, or a structure.
  bool list = true;
  for (const XmlElement& c : e.children) list = list && (c.name == "member");
  if (list) {
    json::array a;
    for (const XmlElement& c : e.children) a.push_back(ResultValue(c));
    return a;
  }
  json::object o;
  for (const XmlElement& c : e.children) o[c.name] = ResultValue(c);
  return o;
}

}  // namespace

absl::StatusOr<net::HttpClientRequest> QueryProtocolRequest(const AwsServiceInfo& service,
                                                            const AwsEndpoint& endpoint,
                                                            std::string_view operation,
                                                            const json::value& parameters) {
  static const json::object kEmpty;
  const json::object* params = parameters.is_null() ? &kEmpty : parameters.if_object();
  if (params == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(service.sdk_name), " ", ToAbsl(operation), ": parameters must be an object"));
  }
  net::HttpClientRequest r;
  r.method = "POST";
  r.url = absl::StrCat(endpoint.url, "/");
  r.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
  Add(r.body, "Action", operation);
  Add(r.body, "Version", service.api_version);
  for (const auto& [name, value] : *params) {
    if (name == "Message" && !value.is_string()) {
      Add(r.body, name, SerializeJson(value));
      continue;
    }
    if (absl::Status s = Flatten(name, value, r.body, 0); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(service.sdk_name), " ", ToAbsl(operation), ": ", s.message()));
    }
  }
  return r;
}

void ReadQueryProtocolAnswer(std::string_view operation, const net::HttpClientResponse& answer,
                             AwsApiResponse& out) {
  absl::StatusOr<XmlElement> doc = ParseXml(answer.body);
  bool ok = answer.status >= 200 && answer.status < 300;
  if (!doc.ok()) {
    if (ok) {
      out.transport_failed = true;
      out.transport_error = absl::StrCat("Unable to unmarshall response (", doc.status().message(),
                                         "). Response Code: ", answer.status);
    }
    return;
  }
  if (!ok) {
    const XmlElement* error = doc->name == "Error" ? &*doc : doc->Child("Error");
    if (error != nullptr) {
      out.error_code = error->ChildText("Code");
      out.error_message = error->ChildText("Message");
    }
    if (out.request_id.empty()) out.request_id = doc->ChildText("RequestId");
    return;
  }
  json::object o;
  if (const XmlElement* result = doc->Child(absl::StrCat(ToAbsl(operation), "Result"))) {
    for (const XmlElement& c : result->children) o[c.name] = ResultValue(c);
  }
  if (out.request_id.empty()) {
    if (const XmlElement* meta = doc->Child("ResponseMetadata")) {
      out.request_id = meta->ChildText("RequestId");
    }
  }
  out.output = std::move(o);
}

}  // namespace stepwise::integrations
