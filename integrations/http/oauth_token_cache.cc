// OAuthTokenCache (oauth_token_cache.h).
#include "integrations/http/oauth_token_cache.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "net/sigv4.h"

namespace stepwise::integrations::http {

namespace {

std::string Encode(std::string_view s) { return net::UriEncode(s, false); }

std::string OriginOf(const std::string& url) {
  absl::StatusOr<net::Url> u = net::ParseUrl(url);
  return u.ok() ? u->Origin() : std::string("the authorization endpoint");
}

}  // namespace

OAuthTokenCache::OAuthTokenCache(HttpSend send, SecretRedactor& redactor, Clock clock)
    : send_(std::move(send)), redactor_(redactor), clock_(std::move(clock)) {}

net::HttpClientRequest OAuthTokenCache::TokenRequest(const Connection& connection) {
  const OAuthParameters& o = connection.oauth;
  net::HttpClientRequest r;
  r.method = o.http_method;
  std::vector<std::string> form = {"grant_type=client_credentials"};
  for (const ConnectionParameter& b : o.http.body) {
    form.push_back(absl::StrCat(Encode(b.key), "=", Encode(b.value)));
  }
  std::vector<std::string> query;
  for (const ConnectionParameter& q : o.http.query) {
    query.push_back(absl::StrCat(Encode(q.key), "=", Encode(q.value)));
  }
  if (r.method == "GET") {
    query.insert(query.end(), form.begin(), form.end());
  } else {
    r.body = absl::StrJoin(form, "&");
    r.headers["content-type"] = "application/x-www-form-urlencoded";
  }
  r.url = o.authorization_endpoint;
  if (!query.empty()) {
    absl::StrAppend(&r.url, r.url.find('?') == std::string::npos ? "?" : "&",
                    absl::StrJoin(query, "&"));
  }
  for (const ConnectionParameter& h : o.http.headers) {
    r.headers[absl::AsciiStrToLower(h.key)] = h.value;
  }
  r.headers["accept"] = "application/json";
  r.headers["authorization"] =
      absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(o.client_id, ":", o.client_secret)));
  return r;
}

void OAuthTokenCache::Get(const Connection& connection, const std::string& stale,
                          int64_t timeout_ms, TokenDone done) {
  std::string token;
  {
    std::lock_guard<std::mutex> l(mu_);
    Entry& e = entries_[connection.arn];
    bool fresh = !e.token.empty() && e.token != stale && (!e.expires || clock_() < e.expiry);
    if (fresh) {
      token = e.token;
    } else {
      e.waiters.push_back(std::move(done));
      if (e.fetching) return;
      e.fetching = true;
    }
  }
  if (!token.empty()) return done(std::move(token));
  Fetch(connection, timeout_ms);
}

void OAuthTokenCache::Fetch(const Connection& connection, int64_t timeout_ms) {
  net::HttpCallOptions options;
  options.timeout_ms = timeout_ms;
  options.max_response_bytes = 1 << 20;
  std::string arn = connection.arn;
  std::string origin = OriginOf(connection.oauth.authorization_endpoint);
  bool sent = send_(TokenRequest(connection), options,
                    [this, arn, origin](absl::StatusOr<net::HttpClientResponse> res) {
    if (!res.ok()) {
      return Finish(arn,
                    absl::UnauthenticatedError(absl::StrCat(
                        "the OAuth token request to ", origin, " failed: ",
                        redactor_.Redact(std::string(res.status().message())))),
                    0);
    }
    if (res->status < 200 || res->status >= 300) {
      return Finish(arn,
                    absl::UnauthenticatedError(absl::StrCat("the OAuth token request to ", origin,
                                                            " was refused: HTTP ", res->status,
                                                            " ", res->reason)),
                    0);
    }
    absl::StatusOr<json::value> body = ParseJson(res->body);
    const json::value* token = nullptr;
    if (body.ok() && body->is_object()) token = body->get_object().if_contains("access_token");
    if (token == nullptr || !token->is_string() || token->get_string().empty()) {
      return Finish(arn,
                    absl::UnauthenticatedError(absl::StrCat(
                        "the OAuth token response from ", origin,
                        " is not a JSON object with a string access_token")),
                    0);
    }
    int64_t expires_in = 0;
    if (const json::value* e = body->get_object().if_contains("expires_in"); e != nullptr) {
      if (e->is_int64()) expires_in = e->get_int64();
      if (e->is_uint64()) expires_in = static_cast<int64_t>(e->get_uint64());
      if (e->is_double()) expires_in = static_cast<int64_t>(e->get_double());
      if (e->is_string()) expires_in = std::atoll(std::string(e->get_string()).c_str());
    }
    Finish(arn, std::string(token->get_string()), expires_in);
  });
  if (!sent) {
    // Stopped: the waiters are never answered (their calls are made again
    // at the next start).
    std::lock_guard<std::mutex> l(mu_);
    Entry& e = entries_[arn];
    e.fetching = false;
    e.waiters.clear();
  }
}

void OAuthTokenCache::Finish(const std::string& arn, absl::StatusOr<std::string> token,
                             int64_t expires_in) {
  if (token.ok()) redactor_.Add(*token);
  std::vector<TokenDone> waiters;
  {
    std::lock_guard<std::mutex> l(mu_);
    Entry& e = entries_[arn];
    e.fetching = false;
    waiters.swap(e.waiters);
    if (token.ok()) {
      e.token = *token;
      e.expires = expires_in > 0;
      // Fetched again a little before it runs out: a call made with it
      // must still be accepted when it arrives.
      int64_t keep_ms = expires_in * 1000 - std::min<int64_t>(expires_in * 100, 30000);
      e.expiry = clock_() + std::chrono::milliseconds(keep_ms);
    } else {
      e.token.clear();
    }
  }
  for (TokenDone& w : waiters) w(token);
}

}  // namespace stepwise::integrations::http
