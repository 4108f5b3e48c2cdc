// SecretRedactor (secret_redactor.h).
#include "integrations/http/secret_redactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace stepwise::integrations::http {

namespace {

void MaskIn(std::string& text, const std::string& secret) {
  size_t at = 0;
  while ((at = text.find(secret, at)) != std::string::npos) {
    text.replace(at, secret.size(), SecretRedactor::kMask);
    at += SecretRedactor::kMask.size();
  }
}

}  // namespace

SecretRedactor::SecretRedactor(const Connections& connections) {
  for (std::string& s : connections.Secrets()) Add(std::move(s));
}

void SecretRedactor::Add(std::string secret) {
  if (secret.size() < 4) return;
  std::lock_guard<std::mutex> l(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.push_back(std::move(secret));
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretRedactor::Redact(std::string text) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const std::string& s : secrets_) MaskIn(text, s);
  return text;
}

json::value SecretRedactor::RedactJson(json::value v) const {
  if (v.is_string()) {
    std::string s(v.get_string());
    std::string r = Redact(s);
    if (r != s) v = json::string(r);
    return v;
  }
  if (v.is_array()) {
    for (json::value& e : v.get_array()) e = RedactJson(std::move(e));
    return v;
  }
  if (v.is_object()) {
    json::object out;
    for (auto& [k, e] : v.get_object()) out[Redact(std::string(k))] = RedactJson(std::move(e));
    return out;
  }
  return v;
}

}  // namespace stepwise::integrations::http
