// CheckOutputShape (service_shapes.h): a service's rows of
// service_shapes.inc read into a table on first use, and a mocked result
// walked against its operation's output shape.
#include "integrations/aws/service_shapes.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"
#include "integrations/aws/service_table.h"

namespace stepwise::integrations {

namespace {

struct ServiceShapesRow {
  std::string_view name;
  std::string_view rows;
};

#include "integrations/aws/service_shapes.inc"

const ServiceShapesRow kShapes[] = {SW_AWS_OUTPUT_SHAPES};

constexpr char kSep = '\037';

// One shape: a structure, list, map or enum; scalars are "@type" targets.
struct Shape {
  char kind = 'S';  // S | L | M | E
  std::vector<std::string_view> required;
  std::vector<std::pair<std::string_view, std::string_view>> members;  // S
  std::string_view target;               // L: the member's, M: the value's
  std::vector<std::string_view> values;  // E
};

struct ServiceShapes {
  std::map<std::string_view, std::string_view> outputs;  // action -> shape
  std::map<std::string_view, Shape> shapes;
};

// `text` cut at each `sep` (an empty text has no parts).
std::vector<std::string_view> Cut(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  for (size_t at = text.find(sep); at != std::string_view::npos;
       at = text.find(sep, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::vector<std::string_view> Items(std::string_view list) {
  return Cut(list, kSep);
}

std::unique_ptr<ServiceShapes> Read(std::string_view rows) {
  auto out = std::make_unique<ServiceShapes>();
  for (std::string_view row : Cut(rows, '\n')) {
    std::vector<std::string_view> f = Cut(row, '\t');
    if (f.size() < 3) continue;
    if (f[0] == "op") {
      out->outputs[f[1]] = f[2];
      continue;
    }
    Shape s;
    s.kind = f[0].empty() ? 'S' : f[0][0];
    if (s.kind == 'S') {
      s.required = Items(f[2]);
      if (f.size() > 3) {
        for (std::string_view m : Items(f[3])) {
          size_t eq = m.find('=');
          if (eq != std::string_view::npos)
            s.members.emplace_back(m.substr(0, eq), m.substr(eq + 1));
        }
      }
    } else if (s.kind == 'E') {
      s.values = Items(f[2]);
    } else {
      s.target = f[2];
    }
    out->shapes[f[1]] = std::move(s);
  }
  return out;
}

// The shapes of `service`, read on first use; null when the table has none.
const ServiceShapes* ShapesOf(std::string_view service) {
  static std::mutex mu;
  static std::map<std::string_view, std::unique_ptr<ServiceShapes>> cache;
  std::lock_guard<std::mutex> l(mu);
  auto it = cache.find(service);
  if (it != cache.end()) return it->second.get();
  for (const ServiceShapesRow& row : kShapes) {
    if (row.name != service) continue;
    return (cache[row.name] = Read(row.rows)).get();
  }
  return nullptr;
}

absl::Status Invalid(std::string_view what) {
  return engine::ServiceError(
      "ValidationException",
      absl::StrCat("Mock result schema validation error: ", ToAbsl(what)));
}

class Checker {
 public:
  Checker(const ServiceShapes& shapes, bool strict, bool pascal)
      : shapes_(shapes), strict_(strict), pascal_(pascal) {}

  absl::Status Check(std::string_view target, const json::value& v,
                     std::string_view field) const {
    auto must = [&](std::string_view type) {
      return Invalid(
          absl::StrCat("Field '", ToAbsl(field), "' must be ", ToAbsl(type)));
    };
    if (target.starts_with('@')) {
      std::string_view t = target.substr(1);
      if (t == "document") return absl::OkStatus();
      if (t == "string" || t == "timestamp" || t == "blob") {
        return v.is_string() ? absl::OkStatus() : must("a string");
      }
      if (t == "boolean")
        return v.is_bool() ? absl::OkStatus() : must("a boolean");
      if (t == "double" || t == "float" || t == "bigdecimal") {
        return v.is_number() ? absl::OkStatus() : must("a number");
      }
      return IsIntegral(v) ? absl::OkStatus() : must("a number");
    }
    auto it = shapes_.shapes.find(target);
    if (it == shapes_.shapes.end()) return absl::OkStatus();
    const Shape& s = it->second;
    switch (s.kind) {
      case 'E':
        if (!v.is_string()) return must("a string");
        for (std::string_view e : s.values) {
          if (e == v.get_string()) return absl::OkStatus();
        }
        return Invalid(absl::StrCat("Field '", ToAbsl(field),
                                    "' is not an expected value"));
      case 'L':
        if (!v.is_array()) return must("an array");
        for (const json::value& item : v.get_array()) {
          if (absl::Status st = Check(s.target, item, field); !st.ok())
            return st;
        }
        return absl::OkStatus();
      case 'M':
        if (!v.is_object()) return must("an object");
        for (const auto& kv : v.get_object()) {
          if (absl::Status st = Check(s.target, kv.value(), field); !st.ok())
            return st;
        }
        return absl::OkStatus();
      default:
        break;
    }
    if (!v.is_object()) {
      if (field.empty()) return Invalid("the result must be a JSON object");
      return must("an object");
    }
    const json::object& o = v.get_object();
    if (strict_) {
      for (std::string_view r : s.required) {
        std::string name = Shown(r);
        if (!o.contains(name)) {
          return Invalid(
              absl::StrCat("Required field '", name, "' is missing"));
        }
      }
    }
    for (const auto& [member, member_target] : s.members) {
      std::string name = Shown(member);
      const json::value* present = o.if_contains(name);
      if (present == nullptr) continue;
      if (absl::Status st = Check(member_target, *present, name); !st.ok())
        return st;
    }
    return absl::OkStatus();
  }

 private:
  // A member as Step Functions shows it: camelCase APIs in PascalCase.
  std::string Shown(std::string_view member) const {
    std::string s(member);
    if (pascal_ && !s.empty() && s[0] >= 'a' && s[0] <= 'z')
      s[0] = static_cast<char>(s[0] - 32);
    return s;
  }

  const ServiceShapes& shapes_;
  const bool strict_;
  const bool pascal_;
};

}  // namespace

absl::Status CheckOutputShape(std::string_view service, std::string_view action,
                              const json::value& result, bool strict) {
  const ServiceShapes* shapes = ShapesOf(service);
  if (shapes == nullptr) return absl::OkStatus();
  auto op = shapes->outputs.find(action);
  if (op == shapes->outputs.end()) return absl::OkStatus();
  const AwsServiceInfo* info = FindAwsService(service);
  bool pascal = info != nullptr && !info->camel_members.empty();
  return Checker(*shapes, strict, pascal).Check(op->second, result, "");
}

}  // namespace stepwise::integrations
