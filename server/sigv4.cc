#include "server/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"

namespace stepwise::server {

namespace {

constexpr std::string_view kAlgorithm = net::kSigV4Algorithm;
constexpr int64_t kMaxSkewSeconds = 15 * 60;

using net::CanonicalHeaderValue;
using net::FormatAmzDate;
using net::ParseAmzDate;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

absl::Status Incomplete(std::string_view message) {
  return engine::ServiceError("IncompleteSignatureException", message);
}

}  // namespace

std::string SigV4Authorization::scope() const {
  return absl::StrCat(date, "/", region, "/", service, "/aws4_request");
}

absl::StatusOr<SigV4Authorization> ParseSigV4Authorization(std::string_view header) {
  header = Trim(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm ||
      (header.size() > kAlgorithm.size() && header[kAlgorithm.size()] != ' ')) {
    return Incomplete("Authorization header must use the AWS4-HMAC-SHA256 algorithm");
  }
  header.remove_prefix(kAlgorithm.size());
  SigV4Authorization a;
  std::string credential, signed_headers;
  bool have_signature = false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view part = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = Trim(part.substr(0, eq));
    std::string_view v = Trim(part.substr(eq + 1));
    if (k == "Credential") credential = std::string(v);
    if (k == "SignedHeaders") signed_headers = std::string(v);
    if (k == "Signature") {
      a.signature = absl::AsciiStrToLower(ToAbsl(v));
      have_signature = true;
    }
  }
  if (credential.empty()) {
    return Incomplete("Authorization header requires 'Credential' parameter");
  }
  if (signed_headers.empty()) {
    return Incomplete("Authorization header requires 'SignedHeaders' parameter");
  }
  if (!have_signature || a.signature.empty()) {
    return Incomplete("Authorization header requires 'Signature' parameter");
  }
  // AKID/date/region/service/aws4_request
  std::vector<std::string> parts;
  std::string_view c = credential;
  while (true) {
    size_t slash = c.find('/');
    parts.emplace_back(c.substr(0, slash));
    if (slash == std::string_view::npos) break;
    c.remove_prefix(slash + 1);
  }
  if (parts.size() != 5 || parts[4] != "aws4_request" || parts[0].empty()) {
    return Incomplete(absl::StrCat("Credential should be of the form "
                                   "<key>/<date>/<region>/<service>/aws4_request, got '",
                                   credential, "'"));
  }
  a.access_key_id = parts[0];
  a.date = parts[1];
  a.region = parts[2];
  a.service = parts[3];
  std::string_view sh = signed_headers;
  while (!sh.empty()) {
    size_t semi = sh.find(';');
    std::string_view h = Trim(sh.substr(0, semi));
    if (!h.empty()) a.signed_headers.push_back(absl::AsciiStrToLower(ToAbsl(h)));
    sh = semi == std::string_view::npos ? std::string_view() : sh.substr(semi + 1);
  }
  return a;
}

std::string SigV4CanonicalRequest(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash) {
  return net::SigV4CanonicalRequest(request.method, request.target, request.headers,
                                    signed_headers, payload_hash);
}

absl::Status VerifySigV4(const HttpRequest& request,
                         const std::map<std::string, std::string>& secrets,
                         std::string_view service, int64_t now_unix_seconds) {
  auto auth_it = request.headers.find("authorization");
  if (auth_it == request.headers.end() || Trim(auth_it->second).empty()) {
    return engine::ServiceError("MissingAuthenticationTokenException",
                                "Missing Authentication Token");
  }
  absl::StatusOr<SigV4Authorization> a = ParseSigV4Authorization(auth_it->second);
  if (!a.ok()) return a.status();
  auto key_it = secrets.find(a->access_key_id);
  if (key_it == secrets.end()) {
    return engine::ServiceError("UnrecognizedClientException",
                                "The security token included in the request is invalid.");
  }
  auto date_it = request.headers.find("x-amz-date");
  if (date_it == request.headers.end()) {
    return Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or "
                      "a 'Date' header");
  }
  std::string amz_date = CanonicalHeaderValue(date_it->second);
  int64_t when = 0;
  if (!ParseAmzDate(amz_date, &when)) {
    return Incomplete(absl::StrCat("X-Amz-Date '", amz_date,
                                   "' must be in the form YYYYMMDD'T'HHMMSS'Z'"));
  }
  if (std::find(a->signed_headers.begin(), a->signed_headers.end(), "host") ==
      a->signed_headers.end()) {
    return engine::ServiceError("InvalidSignatureException",
                                "'Host' must be a signed header");
  }
  for (const std::string& h : a->signed_headers) {
    if (request.headers.count(h) == 0) {
      return Incomplete(absl::StrCat("signed header '", h, "' is missing from the request"));
    }
  }
  if (a->service != service) {
    return engine::ServiceError(
        "InvalidSignatureException",
        absl::StrCat("Credential should be scoped to correct service: '", ToAbsl(service), "'. "));
  }
  if (a->date != amz_date.substr(0, 8)) {
    return engine::ServiceError(
        "InvalidSignatureException",
        absl::StrCat("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                     "date from HTTP: '", a->date, "' != '", amz_date.substr(0, 8), "'"));
  }
  if (when < now_unix_seconds - kMaxSkewSeconds) {
    return engine::ServiceError(
        "InvalidSignatureException",
        absl::StrCat("Signature expired: ", amz_date, " is now earlier than ",
                     FormatAmzDate(now_unix_seconds - kMaxSkewSeconds), " (",
                     FormatAmzDate(now_unix_seconds), " - 15 min.)"));
  }
  if (when > now_unix_seconds + kMaxSkewSeconds) {
    return engine::ServiceError(
        "InvalidSignatureException",
        absl::StrCat("Signature not yet current: ", amz_date, " is still later than ",
                     FormatAmzDate(now_unix_seconds + kMaxSkewSeconds), " (",
                     FormatAmzDate(now_unix_seconds), " + 15 min.)"));
  }
  std::string canonical = SigV4CanonicalRequest(request, a->signed_headers,
                                                Sha256Hex(request.body));
  std::string expected =
      SigV4Signature(key_it->second, a->date, a->region, a->service,
                     SigV4StringToSign(amz_date, a->scope(), canonical));
  if (!ConstantTimeEquals(expected, a->signature)) {
    return engine::ServiceError(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");
  }
  return absl::OkStatus();
}

bool HasBearerToken(const HttpRequest& request, const std::vector<std::string>& tokens) {
  auto it = request.headers.find("authorization");
  if (it == request.headers.end()) return false;
  std::string_view v = Trim(it->second);
  constexpr std::string_view kBearer = "Bearer ";
  if (v.substr(0, kBearer.size()) != kBearer) return false;
  v = Trim(v.substr(kBearer.size()));
  bool match = false;
  for (const std::string& t : tokens) match |= ConstantTimeEquals(v, t);
  return match;
}

}  // namespace stepwise::server
