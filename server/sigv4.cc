#include "server/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

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

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxSkewSeconds = 15 * 60;

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Trims and collapses runs of spaces, as SigV4 canonical headers want.
std::string CanonicalValue(std::string_view v) {
  v = Trim(v);
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UriDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 encoding of everything but unreserved characters (and `/` when
// `keep_slash`).
std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    params.emplace_back(UriEncode(UriDecode(k), false), UriEncode(UriDecode(v), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    absl::StrAppend(&out, k, "=", v);
  }
  return out;
}

// Parses YYYYMMDD'T'HHMMSS'Z' into Unix seconds.
bool ParseAmzDate(std::string_view s, int64_t* out) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  auto num = [&](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  *out = static_cast<int64_t>(timegm(&tm));
  return true;
}

std::string FormatAmzDate(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
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

std::string Sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return Hex(out, sizeof(out));
}

std::string SigV4CanonicalRequest(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash) {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (path.empty()) path = "/";
  std::string out = absl::StrCat(request.method, "\n", UriEncode(path, true), "\n",
                                 CanonicalQuery(query), "\n");
  for (const std::string& h : signed_headers) {
    auto it = request.headers.find(h);
    absl::StrAppend(&out, h, ":",
                    it == request.headers.end() ? std::string() : CanonicalValue(it->second),
                    "\n");
  }
  out += "\n";
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out += ';';
    out += signed_headers[i];
  }
  absl::StrAppend(&out, "\n", ToAbsl(payload_hash));
  return out;
}

std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  return absl::StrCat(ToAbsl(kAlgorithm), "\n", ToAbsl(amz_date), "\n", ToAbsl(scope), "\n",
                      Sha256Hex(canonical_request));
}

std::string SigV4Signature(std::string_view secret, std::string_view date,
                           std::string_view region, std::string_view service,
                           std::string_view string_to_sign) {
  std::string k = Hmac(absl::StrCat("AWS4", ToAbsl(secret)), date);
  k = Hmac(k, region);
  k = Hmac(k, service);
  k = Hmac(k, "aws4_request");
  std::string sig = Hmac(k, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
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
  std::string amz_date = CanonicalValue(date_it->second);
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
