#include "asl/payload_template.h"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/intrinsics.h"
#include "asl/path.h"

namespace stepwise::asl {

namespace {

absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

struct Field;

struct Node {
  enum class Kind { kLiteral, kObject, kArray, kPath, kIntrinsic };
  Kind kind = Kind::kLiteral;
  json::value literal;                              // kLiteral
  std::vector<Field> fields;                        // kObject (output keys)
  std::vector<Node> items;                          // kArray
  std::optional<JsonPath> path;                     // kPath
  std::optional<IntrinsicCall> call;                // kIntrinsic
  std::string field;  // the key as written ("x.$"), for causes
};

// One output key of an object template (a struct, not a pair, so that the
// vector above may name it while Node is still incomplete).
struct Field {
  std::string name;
  Node child;
};

bool EndsWithDollar(std::string_view key) {
  return key.size() > 2 && key.substr(key.size() - 2) == ".$";
}

absl::Status CompileNode(const json::value& v, Node& out) {
  if (const json::object* obj = v.if_object()) {
    bool dynamic = false;
    std::set<std::string_view> names;
    out.kind = Node::Kind::kObject;
    out.fields.reserve(obj->size());
    for (const auto& kv : *obj) {
      std::string_view key = kv.key();
      Node child;
      std::string_view name = key;
      if (EndsWithDollar(key)) {
        name = key.substr(0, key.size() - 2);
        dynamic = true;
        child.field = std::string(key);
        const json::string* expr = kv.value().if_string();
        absl::Status bad = absl::InvalidArgumentError(absl::StrCat(
            "The value for the field '", AV(key),
            "' must be a valid JSONPath or a valid intrinsic function call"));
        if (!expr) return bad;
        std::string_view text = *expr;
        if (LooksLikeIntrinsic(text)) {
          absl::StatusOr<IntrinsicCall> call = IntrinsicCall::Parse(text);
          if (!call.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(bad.message(), ": ", call.status().message()));
          }
          child.kind = Node::Kind::kIntrinsic;
          child.call = *std::move(call);
        } else {
          absl::StatusOr<JsonPath> path = JsonPath::Parse(text);
          if (!path.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(bad.message(), ": ", path.status().message()));
          }
          child.kind = Node::Kind::kPath;
          child.path = *std::move(path);
        }
      } else {
        absl::Status st = CompileNode(kv.value(), child);
        if (!st.ok()) return st;
        if (child.kind != Node::Kind::kLiteral) dynamic = true;
      }
      if (!names.insert(name).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "The field '", AV(name), "' appears more than once in the payload template"));
      }
      out.fields.push_back(Field{std::string(name), std::move(child)});
    }
    if (!dynamic) {
      out = Node();
      out.literal = v;
    }
    return absl::OkStatus();
  }
  if (const json::array* arr = v.if_array()) {
    bool dynamic = false;
    out.kind = Node::Kind::kArray;
    out.items.resize(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      absl::Status st = CompileNode((*arr)[i], out.items[i]);
      if (!st.ok()) return st;
      if (out.items[i].kind != Node::Kind::kLiteral) dynamic = true;
    }
    if (!dynamic) {
      out = Node();
      out.literal = v;
    }
    return absl::OkStatus();
  }
  out.kind = Node::Kind::kLiteral;
  out.literal = v;
  return absl::OkStatus();
}

absl::StatusOr<json::value> EvalNode(const Node& n, const EvalContext& env) {
  switch (n.kind) {
    case Node::Kind::kLiteral: return n.literal;
    case Node::Kind::kObject: {
      json::object out;
      out.reserve(n.fields.size());
      for (const auto& [name, child] : n.fields) {
        absl::StatusOr<json::value> v = EvalNode(child, env);
        if (!v.ok()) return v.status();
        out.emplace(name, *std::move(v));
      }
      return json::value(std::move(out));
    }
    case Node::Kind::kArray: {
      json::array out;
      out.reserve(n.items.size());
      for (const Node& child : n.items) {
        absl::StatusOr<json::value> v = EvalNode(child, env);
        if (!v.ok()) return v.status();
        out.push_back(*std::move(v));
      }
      return json::value(std::move(out));
    }
    case Node::Kind::kPath: {
      if (const json::value* p = n.path->Find(env)) return *p;
      std::optional<json::value> v = n.path->Evaluate(env);
      if (v) return *std::move(v);
      return RuntimeError(
          kStatesRuntime,
          absl::StrCat("The JSONPath '", n.path->text(), "' specified for the field '",
                       n.field, "' could not be found in the input '",
                       env.input ? SerializeJson(*env.input) : "null", "'"));
    }
    case Node::Kind::kIntrinsic: return n.call->Evaluate(env);
  }
  return absl::InternalError("unknown payload template node");
}

}  // namespace

struct PayloadTemplate::Impl {
  Node root;
};

absl::StatusOr<PayloadTemplate> PayloadTemplate::Compile(const json::value& tmpl) {
  auto impl = std::make_shared<Impl>();
  absl::Status st = CompileNode(tmpl, impl->root);
  if (!st.ok()) return st;
  return PayloadTemplate(std::move(impl));
}

PayloadTemplate::PayloadTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
PayloadTemplate::~PayloadTemplate() = default;

absl::StatusOr<json::value> PayloadTemplate::Evaluate(const EvalContext& env) const {
  return EvalNode(impl_->root, env);
}

}  // namespace stepwise::asl
