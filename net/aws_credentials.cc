// The AWS credentials chain (aws_credentials.h).
#include "net/aws_credentials.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace stepwise::net {

namespace {

using Section = std::map<std::string, std::string>;

// Reads an INI file's sections (names as written between the brackets,
// trimmed); keys lower-cased. Empty when the file cannot be read.
std::map<std::string, Section> ReadIni(const std::string& path) {
  std::map<std::string, Section> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  Section* current = nullptr;
  while (std::getline(in, line)) {
    absl::string_view v = absl::StripAsciiWhitespace(line);
    if (v.empty() || v[0] == '#' || v[0] == ';') continue;
    if (v.front() == '[') {
      size_t close = v.find(']');
      if (close == absl::string_view::npos) {
        current = nullptr;
        continue;
      }
      current = &out[std::string(absl::StripAsciiWhitespace(v.substr(1, close - 1)))];
      continue;
    }
    size_t eq = v.find('=');
    if (current == nullptr || eq == absl::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v.substr(0, eq)));
    (*current)[key] = std::string(absl::StripAsciiWhitespace(v.substr(eq + 1)));
  }
  return out;
}

std::string Get(const Section& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? std::string() : it->second;
}

// The profile's keys in `section`: nullopt when it names no key id.
absl::StatusOr<std::optional<AwsCredentials>> FromSection(const Section& section,
                                                          const std::string& where) {
  AwsCredentials c;
  c.access_key_id = Get(section, "aws_access_key_id");
  c.secret_access_key = Get(section, "aws_secret_access_key");
  c.session_token = Get(section, "aws_session_token");
  if (c.access_key_id.empty()) return std::optional<AwsCredentials>();
  if (c.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has aws_access_key_id but no aws_secret_access_key"));
  }
  c.source = where;
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace

std::string AwsCredentials::Describe() const {
  return absl::StrCat(access_key_id, " from ", source);
}

absl::StatusOr<AwsCredentials> ResolveAwsCredentials(const AwsCredentialsOptions& options) {
  if (options.static_credentials) {
    AwsCredentials c = *options.static_credentials;
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return absl::InvalidArgumentError("static AWS credentials need a key id and a secret");
    }
    if (c.source.empty()) c.source = "configuration";
    return c;
  }
  EnvLookup env = options.env;
  if (!env) {
    env = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
  auto var = [&env](const char* name) {
    std::optional<std::string> v = env(name);
    return v ? *v : std::string();
  };

  AwsCredentials c;
  c.access_key_id = var("AWS_ACCESS_KEY_ID");
  c.secret_access_key = var("AWS_SECRET_ACCESS_KEY");
  if (!c.access_key_id.empty() && !c.secret_access_key.empty()) {
    c.session_token = var("AWS_SESSION_TOKEN");
    c.source = "environment";
    return c;
  }

  std::string profile = options.profile;
  if (profile.empty()) profile = var("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::string home = var("HOME");
  std::string credentials_file = var("AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_file.empty() && !home.empty()) credentials_file = home + "/.aws/credentials";
  std::string config_file = var("AWS_CONFIG_FILE");
  if (config_file.empty() && !home.empty()) config_file = home + "/.aws/config";

  if (!credentials_file.empty()) {
    auto sections = ReadIni(credentials_file);
    if (auto it = sections.find(profile); it != sections.end()) {
      auto found = FromSection(
          it->second, absl::StrCat("profile ", profile, " of ", credentials_file));
      if (!found.ok()) return found.status();
      if (*found) return **found;
    }
  }
  if (!config_file.empty()) {
    auto sections = ReadIni(config_file);
    auto it = sections.find("profile " + profile);
    if (it == sections.end() && profile == "default") it = sections.find("default");
    if (it != sections.end()) {
      auto found =
          FromSection(it->second, absl::StrCat("profile ", profile, " of ", config_file));
      if (!found.ok()) return found.status();
      if (*found) return **found;
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and profile ",
      profile, " has no keys in ", credentials_file.empty() ? "(no credentials file)" : credentials_file,
      " or ", config_file.empty() ? "(no config file)" : config_file));
}

absl::StatusOr<AwsCredentials> AwsCredentialsProvider::Get() {
  std::lock_guard<std::mutex> l(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!cached_ || now - resolved_at_ >= refresh_) {
    cached_ = ResolveAwsCredentials(options_);
    resolved_at_ = now;
  }
  return *cached_;
}

}  // namespace stepwise::net
