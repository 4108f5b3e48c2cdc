// The XML reader (xml_reader.h).
#include "integrations/aws/xml_reader.h"

#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/utf8.h"

namespace stepwise::integrations {

namespace {

constexpr int kMaxDepth = 64;


class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  absl::StatusOr<XmlElement> Document() {
    SkipMisc();
    if (pos_ >= s_.size() || s_[pos_] != '<') return Bad("expected the root element");
    XmlElement root;
    if (absl::Status st = Element(root, 0); !st.ok()) return st;
    return root;
  }

 private:
  absl::Status Bad(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("malformed XML at offset ", pos_, ": ", ToAbsl(what)));
  }

  bool StartsWith(std::string_view p) const { return s_.substr(pos_, p.size()) == p; }

  // Skips to just past `end`; false when it never comes.
  bool SkipPast(std::string_view end) {
    size_t at = s_.find(end, pos_);
    if (at == std::string_view::npos) return false;
    pos_ = at + end.size();
    return true;
  }

  // Whitespace, <?...?>, <!-- -->, <!DOCTYPE ...> before or after the root.
  void SkipMisc() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (StartsWith("<?")) {
        if (!SkipPast("?>")) pos_ = s_.size();
      } else if (StartsWith("<!--")) {
        if (!SkipPast("-->")) pos_ = s_.size();
      } else if (StartsWith("<!")) {
        if (!SkipPast(">")) pos_ = s_.size();
      } else {
        return;
      }
    }
  }

  static bool NameChar(char c) {
    return !(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>' ||
             c == '=' || c == '<');
  }

  std::string Name() {
    size_t start = pos_;
    while (pos_ < s_.size() && NameChar(s_[pos_])) ++pos_;
    std::string_view n = s_.substr(start, pos_ - start);
    if (size_t colon = n.find(':'); colon != std::string_view::npos) n = n.substr(colon + 1);
    return std::string(n);
  }

  absl::Status Reference(std::string& out) {
    size_t semi = s_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return Bad("bad reference");
    std::string_view ref = s_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (ref == "amp") out.push_back('&');
    else if (ref == "lt") out.push_back('<');
    else if (ref == "gt") out.push_back('>');
    else if (ref == "quot") out.push_back('"');
    else if (ref == "apos") out.push_back('\'');
    else if (!ref.empty() && ref[0] == '#') {
      uint32_t cp = 0;
      bool ok = ref.size() > 1 && (ref[1] == 'x' || ref[1] == 'X')
                    ? absl::SimpleHexAtoi(ToAbsl(ref.substr(2)), &cp)
                    : absl::SimpleAtoi(ToAbsl(ref.substr(1)), &cp);
      if (!ok || cp > 0x10FFFF) return Bad("bad character reference");
      AppendUtf8(cp, out);
    } else {
      return Bad("unknown entity");
    }
    return absl::OkStatus();
  }

  // At '<' of a start tag.
  absl::Status Element(XmlElement& e, int depth) {
    if (depth >= kMaxDepth) return Bad("nested too deeply");
    ++pos_;
    e.name = Name();
    if (e.name.empty()) return Bad("expected an element name");
    // Attributes are read past (quoted values may hold '>').
    while (pos_ < s_.size() && s_[pos_] != '>' && !StartsWith("/>")) {
      char c = s_[pos_];
      if (c == '"' || c == '\'') {
        size_t close = s_.find(c, pos_ + 1);
        if (close == std::string_view::npos) return Bad("unterminated attribute value");
        pos_ = close + 1;
      } else {
        ++pos_;
      }
    }
    if (pos_ >= s_.size()) return Bad("unterminated start tag");
    if (StartsWith("/>")) {
      pos_ += 2;
      return absl::OkStatus();
    }
    ++pos_;  // '>'
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '&') {
        if (absl::Status st = Reference(e.text); !st.ok()) return st;
      } else if (c != '<') {
        e.text.push_back(c);
        ++pos_;
      } else if (StartsWith("</")) {
        pos_ += 2;
        std::string end = Name();
        if (end != e.name) return Bad(absl::StrCat("</", end, "> closes <", e.name, ">"));
        while (pos_ < s_.size() && s_[pos_] != '>') ++pos_;
        if (pos_ >= s_.size()) return Bad("unterminated end tag");
        ++pos_;
        return absl::OkStatus();
      } else if (StartsWith("<![CDATA[")) {
        size_t end = s_.find("]]>", pos_);
        if (end == std::string_view::npos) return Bad("unterminated CDATA");
        e.text.append(s_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (StartsWith("<!--")) {
        if (!SkipPast("-->")) return Bad("unterminated comment");
      } else if (StartsWith("<?")) {
        if (!SkipPast("?>")) return Bad("unterminated processing instruction");
      } else {
        XmlElement child;
        if (absl::Status st = Element(child, depth + 1); !st.ok()) return st;
        e.children.push_back(std::move(child));
      }
    }
    return Bad(absl::StrCat("<", e.name, "> is never closed"));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  return c == nullptr ? std::string() : c->text;
}

absl::StatusOr<XmlElement> ParseXml(std::string_view text) { return Reader(text).Document(); }

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace stepwise::integrations
