#include "server/http_server.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace stepwise::server {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct Client {
  boost::asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  explicit Client(int port) {
    beast::error_code ec;
    socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                 static_cast<unsigned short>(port)),
                   ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  http::response<http::string_body> Send(http::verb verb, const std::string& target,
                                         std::string body = "") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "localhost");
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();
    beast::error_code ec;
    http::write(socket, req, ec);
    EXPECT_FALSE(ec) << ec.message();
    http::response<http::string_body> res;
    http::read(socket, buffer, res, ec);
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
};

TEST(HttpServerTest, RoutesByMethodAndPathWithKeepAlive) {
  HttpServer server;
  server.Handle("GET", "/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", {}, "ok\n"};
  });
  server.HandleAsync("POST", "/", [](const HttpRequest& r, HttpReplyFn reply) {
    std::string echo = r.headers.count("x-amz-target") ? r.headers.at("x-amz-target") : "";
    reply(HttpResponse{200, "application/x-amz-json-1.0", {}, echo + ":" + r.body});
  });
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  ASSERT_GT(server.port(), 0);

  Client c(server.port());
  auto res = c.Send(http::verb::get, "/healthz?verbose=1");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "ok\n");
  // Same connection (keep-alive).
  res = c.Send(http::verb::get, "/nope");
  EXPECT_EQ(res.result_int(), 404);
  res = c.Send(http::verb::post, "/healthz");
  EXPECT_EQ(res.result_int(), 405);
  res = c.Send(http::verb::post, "/", "{}");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), ":{}");
  server.Stop();
}

TEST(HttpServerTest, RejectsBodiesOverTheLimit) {
  HttpServerOptions opts;
  opts.max_body_bytes = 1024;
  HttpServer server(opts);
  server.Handle("POST", "/", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  Client c(server.port());
  auto res = c.Send(http::verb::post, "/", std::string(4096, 'x'));
  EXPECT_EQ(res.result_int(), 413);
}

TEST(HttpServerTest, ErrorFormatterShapesTheLimitReply) {
  HttpServerOptions opts;
  opts.max_body_bytes = 1024;
  HttpServer server(opts);
  server.Handle("POST", "/", [](const HttpRequest&) { return HttpResponse{}; });
  server.HandleErrors("/", [](int status, const std::string& message) {
    return HttpResponse{status, "application/json", {}, "{\"m\":\"" + message + "\"}"};
  });
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  Client c(server.port());
  auto res = c.Send(http::verb::post, "/", std::string(4096, 'x'));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res.body(), "{\"m\":\"request body exceeds 1024 bytes\"}");
}

TEST(HttpServerTest, ReportsAClientThatHungUp) {
  HttpServer server;
  std::mutex mu;
  std::condition_variable cv;
  std::function<bool()> gone;
  HttpReplyFn pending;
  server.HandleAsync("POST", "/", [&](const HttpRequest& r, HttpReplyFn reply) {
    std::lock_guard<std::mutex> l(mu);
    gone = r.client_gone;
    pending = std::move(reply);
    cv.notify_all();
  });
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  {
    Client c(server.port());
    http::request<http::string_body> req{http::verb::post, "/", 11};
    req.set(http::field::host, "localhost");
    req.body() = "{}";
    req.prepare_payload();
    beast::error_code ec;
    http::write(c.socket, req, ec);
    ASSERT_FALSE(ec);
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(5), [&] { return gone != nullptr; }));
    EXPECT_FALSE(gone());
  }  // the client closes its socket
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    seen = gone();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(seen);
  pending(HttpResponse{});  // writing to the closed connection is harmless
  server.Stop();
}

TEST(HttpServerTest, BadTlsKeyIsInvalidArgument) {
  HttpServerOptions opts;
  opts.tls_cert_pem = "not a certificate";
  opts.tls_key_pem = "not a key";
  HttpServer server(opts);
  EXPECT_EQ(server.Start("127.0.0.1", 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, PortInUseIsUnavailable) {
  HttpServer a;
  ASSERT_TRUE(a.Start("127.0.0.1", 0).ok());
  HttpServer b;
  absl::Status s = b.Start("127.0.0.1", a.port());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stepwise::server
