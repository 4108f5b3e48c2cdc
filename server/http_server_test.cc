#include "server/http_server.h"

#include <string>

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

TEST(HttpServerTest, PortInUseIsUnavailable) {
  HttpServer a;
  ASSERT_TRUE(a.Start("127.0.0.1", 0).ok());
  HttpServer b;
  absl::Status s = b.Start("127.0.0.1", a.port());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stepwise::server
