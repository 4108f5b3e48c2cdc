// A small XML reader for AWS's answers (S3's REST-XML, the query
// protocol's responses, their error documents): elements, text, character
// and entity references, CDATA; attributes, comments, processing
// instructions and doctypes are read past. Enough for documents AWS
// services write, not a validating parser. Pure functions: any thread.
#ifndef SW_INTEGRATIONS_AWS_XML_READER_H_
#define SW_INTEGRATIONS_AWS_XML_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::integrations {

struct XmlElement {
  std::string name;  // without namespace prefix
  std::string text;  // the element's own character data, decoded
  std::vector<XmlElement> children;

  // The first child named `name`, or null.
  const XmlElement* Child(std::string_view name) const;
  // The text of the first child named `name`, "" when absent.
  std::string ChildText(std::string_view name) const;
};

// Parses `text` into its root element. kInvalidArgument naming the offset
// when it is not well-formed enough to read, or nests deeper than 64.
absl::StatusOr<XmlElement> ParseXml(std::string_view text);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string XmlEscape(std::string_view text);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_XML_READER_H_
