#include "jsonata/jsonata.h"

#include <cctype>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "jsonata/ast.h"
#include "jsonata/evaluator.h"

namespace stepwise::jsonata {
namespace internal {

absl::Status JsonataError(std::string_view code, int position, std::string_view token,
                          std::string_view detail) {
  std::string msg(code);
  msg += ": ";
  if (!detail.empty()) {
    msg += detail;
  } else {
    msg += "jsonata error";
  }
  if (!token.empty()) absl::StrAppend(&msg, " (token '", ToAbsl(token), "')");
  if (position >= 0) absl::StrAppend(&msg, " at position ", position);
  absl::Status s = absl::InvalidArgumentError(msg);
  s.SetPayload("stepwise.jsonata/code", absl::Cord(ToAbsl(code)));
  if (!token.empty()) s.SetPayload("stepwise.jsonata/token", absl::Cord(ToAbsl(token)));
  if (!detail.empty()) s.SetPayload("stepwise.jsonata/detail", absl::Cord(ToAbsl(detail)));
  return s;
}

}  // namespace internal

std::string ErrorCode(const absl::Status& status) {
  if (status.ok()) return "";
  auto payload = status.GetPayload("stepwise.jsonata/code");
  if (payload) return std::string(*payload);
  return "";
}

std::string ErrorToken(const absl::Status& status) {
  auto payload = status.GetPayload("stepwise.jsonata/token");
  return payload ? std::string(*payload) : std::string();
}

std::string ErrorDetail(const absl::Status& status) {
  auto payload = status.GetPayload("stepwise.jsonata/detail");
  return payload ? std::string(*payload) : std::string();
}

absl::StatusOr<Expression> Expression::Compile(std::string_view text, Dialect dialect) {
  auto root = internal::Parse(text);
  if (!root.ok()) return root.status();
  internal::ShareLiterals(root->get());
  return Expression(std::string(text), std::move(*root), dialect);
}

struct PreparedBindings::Impl {
  std::vector<std::pair<std::string, internal::Value>> values;
  // The bindings and `$` (undefined) over the AWS library, made on first
  // use and shared by the expressions that cannot bind in it.
  internal::FramePtr frame;
};

PreparedBindings::PreparedBindings(const std::map<std::string, json::value>& bindings)
    : impl_(std::make_unique<Impl>()) {
  impl_->values.reserve(bindings.size());
  for (const auto& [name, value] : bindings) {
    impl_->values.emplace_back(name, internal::FromJsonLazy(value));
  }
}
PreparedBindings::~PreparedBindings() = default;
PreparedBindings::PreparedBindings(PreparedBindings&&) noexcept = default;
PreparedBindings& PreparedBindings::operator=(PreparedBindings&&) noexcept = default;

absl::StatusOr<std::optional<json::value>> Expression::Evaluate(
    const json::value* input, const std::map<std::string, json::value>& bindings,
    const EvalLimits& limits) const {
  return Evaluate(input, PreparedBindings(bindings), limits);
}

absl::StatusOr<std::optional<json::value>> Expression::Evaluate(
    const json::value* input, const PreparedBindings& bindings,
    const EvalLimits& limits, bool* is_function) const {
  using internal::Value;
  internal::FrameRegistryScope frames;  // frees closures' cycles at the end
  internal::Evaluator ev(limits);
  Value in;
  internal::FramePtr own_env;
  const internal::FramePtr* env = &own_env;
  if (input == nullptr && dialect_ == Dialect::kAws && !root_->binds_in_frame) {
    // No input and nothing bound at the top: the template's expressions
    // share one frame of the bindings ($eval, which could bind in it, is
    // not in this dialect).
    internal::FramePtr& shared = bindings.impl_->frame;
    if (shared == nullptr) {
      shared = std::make_shared<internal::Frame>();
      shared->parent = internal::Evaluator::GlobalFrame();
      shared->vars.reserve(bindings.impl_->values.size() + 1);
      for (const auto& [name, value] : bindings.impl_->values) shared->Bind(name, value);
      shared->Bind("$", Value());
    }
    env = &shared;
  } else {
    own_env = internal::NewFrame(dialect_ == Dialect::kReference
                                     ? internal::Evaluator::ReferenceFrame()
                                     : internal::Evaluator::GlobalFrame());
    own_env->vars.reserve(bindings.impl_->values.size() + 1);
    for (const auto& [name, value] : bindings.impl_->values) own_env->Bind(name, value);
    if (input != nullptr) in = internal::FromJsonLazy(*input);
    own_env->Bind("$", in);
    if (in.IsArray()) {
      Value wrapped = internal::CreateSequence(in);
      wrapped.AsArray().outer_wrapper = true;
      in = wrapped;
    }
  }
  auto result = ev.Evaluate(root_.get(), in, *env);
  if (!result.ok()) return result.status();
  if (result->IsUndefined()) return std::optional<json::value>();
  if (is_function != nullptr) *is_function = result->IsFunction();
  SW_RETURN_IF_ERROR(ev.CheckOutputSize(*result));
  return std::optional<json::value>(internal::ToJson(*result));
}

absl::StatusOr<std::optional<json::value>> EvaluateOnce(
    std::string_view text, const json::value* input,
    const std::map<std::string, json::value>& bindings, const EvalLimits& limits) {
  auto expr = Expression::Compile(text);
  if (!expr.ok()) return expr.status();
  return expr->Evaluate(input, bindings, limits);
}

namespace {

void AppendJs(const json::value& v, bool pretty, int indent, std::string& out) {
  auto newline = [&](int level) {
    if (!pretty) return;
    out.push_back('\n');
    out.append(static_cast<size_t>(level * 2), ' ');
  };
  switch (v.kind()) {
    case json::kind::double_:
      // As JSON.stringify: NaN and infinities are null.
      out += std::isfinite(v.get_double()) ? internal::FormatJsNumber(v.get_double()) : "null";
      return;
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < a.size(); ++i) {
        if (i > 0) out.push_back(',');
        newline(indent + 1);
        AppendJs(a[i], pretty, indent + 1, out);
      }
      newline(indent);
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out.push_back('{');
      bool first = true;
      for (const auto& kv : o) {
        if (!first) out.push_back(',');
        first = false;
        newline(indent + 1);
        out += json::serialize(json::value(kv.key()));
        out += pretty ? ": " : ":";
        AppendJs(kv.value(), pretty, indent + 1, out);
      }
      newline(indent);
      out.push_back('}');
      return;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string ToJsString(const json::value& v, bool pretty) {
  std::string out;
  AppendJs(v, pretty, 0, out);
  return out;
}

}  // namespace stepwise::jsonata
