// Test helpers for the hostile-input and security suites: a real stepwised
// child process on ephemeral loopback ports with a temporary data directory
// (Daemon, from tests/stepwised_process.h), a raw-socket HTTP/1.1 client, an
// AWS JSON 1.0 caller, an OpenSSL HTTPS client (optionally with a client
// certificate) and a snapshot of everything stored (read over gRPC) to
// prove that refused calls changed nothing. Header-only; each test binary
// includes it once.
#ifndef SW_TESTS_HOSTILE_DAEMON_H_
#define SW_TESTS_HOSTILE_DAEMON_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "boost/json.hpp"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "tests/stepwised_process.h"

namespace stepwise::hostile {

namespace v1 = stepwise::v1;
namespace json = boost::json;
using namespace std::chrono_literals;
using testproc::Daemon;
using testproc::MakeTempDir;
using testproc::ReadFile;

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Runs a shell command; true when it exits 0.
inline bool Shell(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

inline std::string ErrorName(const grpc::Status& s) {
  v1::ErrorInfo info;
  if (!info.ParseFromString(s.error_details())) return "<no ErrorInfo>";
  return info.error();
}

inline std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::milliseconds timeout = 30s,
                                                const std::string& token = "") {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token.empty()) c->AddMetadata("authorization", "Bearer " + token);
  return c;
}

// Sends `wire` as the raw request bytes of gRPC method `method` (e.g.
// "/stepwise.v1.States/StartExecution") and returns the call's status:
// requests no typed stub can build (malformed protobuf, invalid UTF-8).
inline grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& method, const std::string& wire,
                            const std::string& token = "") {
  grpc::GenericStub generic(channel);
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1), response;
  std::unique_ptr<grpc::ClientContext> ctx = Ctx(10s, token);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> l(mu);
                      status = s;
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  return status;
}

// ---- plain sockets ----

// A connected TCP socket to 127.0.0.1:`port`, or -1.
inline int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Waits up to `timeout` for `fd` to become readable; reads what is there.
// Returns the bytes read, "" with *closed = true on EOF/reset, "" on timeout.
inline std::string ReadSome(int fd, std::chrono::milliseconds timeout, bool* closed) {
  *closed = false;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
  char buf[65536];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  if (n <= 0) {
    *closed = true;
    return "";
  }
  return std::string(buf, static_cast<size_t>(n));
}

struct HttpReply {
  int status = -1;  // -1: no reply
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Parses one HTTP/1.1 response (Content-Length framed) from `raw`; sets
// *complete when the whole body is there.
inline HttpReply ParseReply(const std::string& raw, bool* complete) {
  HttpReply r;
  *complete = false;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  std::sscanf(raw.c_str(), "HTTP/1.1 %d", &r.status);
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  size_t length = 0;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
    if (name == "content-length") length = std::stoul(value);
  }
  if (raw.size() >= end + 4 + length) {
    r.body = raw.substr(end + 4, length);
    *complete = true;
  }
  return r;
}

// Reads one response from `fd` (up to `timeout` in all).
inline HttpReply ReadReply(int fd, std::chrono::milliseconds timeout) {
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool closed = false;
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    std::string got = ReadSome(fd, std::max(left, 1ms), &closed);
    raw += got;
    bool complete = false;
    HttpReply r = ParseReply(raw, &complete);
    if (complete) return r;
    if (closed) break;
  }
  return HttpReply{};
}

inline std::string HttpRequestText(const std::string& method, const std::string& path,
                                   const std::map<std::string, std::string>& headers,
                                   const std::string& body) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return req;
}

// One HTTP/1.1 request on a fresh connection.
inline HttpReply Http(int port, const std::string& method, const std::string& path,
                      const std::map<std::string, std::string>& headers = {},
                      const std::string& body = "", std::chrono::milliseconds timeout = 60s) {
  int fd = Connect(port);
  if (fd < 0) return HttpReply{};
  HttpReply r;
  if (SendAll(fd, HttpRequestText(method, path, headers, body))) r = ReadReply(fd, timeout);
  close(fd);
  return r;
}

// An AWS JSON 1.0 reply: status, error name (__type, "" on success), message, body.
struct AwsReply {
  int status = -1;
  std::string type;
  std::string message;
  json::value body;
  std::string raw;
  std::string error_type_header;
};

inline AwsReply ToAwsReply(const HttpReply& h) {
  AwsReply a;
  a.status = h.status;
  a.raw = h.body;
  auto it = h.headers.find("x-amzn-errortype");
  if (it != h.headers.end()) a.error_type_header = it->second;
  boost::system::error_code ec;
  a.body = json::parse(h.body, ec);
  if (!ec && a.body.is_object()) {
    if (auto* t = a.body.as_object().if_contains("__type"); t && t->is_string()) {
      a.type = std::string(t->as_string());
    }
    if (auto* m = a.body.as_object().if_contains("message"); m && m->is_string()) {
      a.message = std::string(m->as_string());
    }
  }
  return a;
}

inline std::map<std::string, std::string> AwsHeaders(const std::string& action,
                                                     const std::string& token = "") {
  std::map<std::string, std::string> h = {
      {"X-Amz-Target", "AWSStepFunctions." + action},
      {"Content-Type", "application/x-amz-json-1.0"}};
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  return h;
}

// POST / with `X-Amz-Target: AWSStepFunctions.<action>` and `body`.
inline AwsReply Aws(int port, const std::string& action, const std::string& body,
                    const std::string& token = "", std::chrono::milliseconds timeout = 60s) {
  return ToAwsReply(Http(port, "POST", "/", AwsHeaders(action, token), body, timeout));
}

// POST / with `X-Amz-Target: Stepwise.<action>` (an extension,
// server/aws_json_extensions.h) and `body`.
inline AwsReply StepwiseAws(int port, const std::string& action, const std::string& body,
                            const std::string& token = "") {
  std::map<std::string, std::string> h = AwsHeaders(action, token);
  h["X-Amz-Target"] = "Stepwise." + action;
  return ToAwsReply(Http(port, "POST", "/", h, body, 60s));
}

inline std::string J(const json::value& v) { return json::serialize(v); }

// ---- HTTPS (OpenSSL) ----

// One HTTPS request; `ca` is the server's CA file, `cert`/`key` an optional
// client certificate. Returns status -1 when the handshake or I/O fails.
inline HttpReply Https(int port, const std::string& ca, const std::string& cert,
                       const std::string& key, const std::string& method,
                       const std::string& path, const std::map<std::string, std::string>& headers,
                       const std::string& body) {
  HttpReply out;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return out;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  if (!cert.empty()) {
    SSL_CTX_use_certificate_chain_file(ctx, cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
  }
  int fd = Connect(port);
  SSL* ssl = fd < 0 ? nullptr : SSL_new(ctx);
  if (ssl != nullptr) {
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SSL_set_fd(ssl, fd);
    SSL_set1_host(ssl, "127.0.0.1");
    if (SSL_connect(ssl) == 1) {
      std::string req = HttpRequestText(method, path, headers, body);
      if (SSL_write(ssl, req.data(), static_cast<int>(req.size())) ==
          static_cast<int>(req.size())) {
        std::string raw;
        char buf[16384];
        int n;
        // With TLS 1.3 a refused client certificate shows up here, as an
        // alert instead of a reply.
        while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
          raw.append(buf, static_cast<size_t>(n));
          bool complete = false;
          HttpReply r = ParseReply(raw, &complete);
          if (complete) {
            out = r;
            break;
          }
        }
      }
    }
    SSL_free(ssl);
  }
  if (fd >= 0) close(fd);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return out;
}

// ---- stored data ----

// Everything the daemon stores that a client can read, as text: state
// machines, activities, every execution (description and full history).
inline std::string Snapshot(v1::States::Stub* stub, const std::string& token = "") {
  std::string out;
  v1::ListStateMachinesRequest lm;
  lm.set_max_results(1000);
  v1::ListStateMachinesResponse machines;
  grpc::Status s = stub->ListStateMachines(Ctx(30s, token).get(), lm, &machines);
  EXPECT_TRUE(s.ok()) << s.error_message();
  out += machines.DebugString();
  v1::ListActivitiesRequest la;
  la.set_max_results(1000);
  v1::ListActivitiesResponse activities;
  s = stub->ListActivities(Ctx(30s, token).get(), la, &activities);
  EXPECT_TRUE(s.ok()) << s.error_message();
  out += activities.DebugString();
  for (const auto& m : machines.state_machines()) {
    v1::DescribeStateMachineRequest dm;
    dm.set_state_machine_arn(m.state_machine_arn());
    v1::DescribeStateMachineResponse d;
    s = stub->DescribeStateMachine(Ctx(30s, token).get(), dm, &d);
    EXPECT_TRUE(s.ok()) << s.error_message();
    out += d.DebugString();
    std::string next;
    do {
      v1::ListExecutionsRequest le;
      le.set_state_machine_arn(m.state_machine_arn());
      le.set_max_results(1000);
      le.set_next_token(next);
      v1::ListExecutionsResponse l;
      s = stub->ListExecutions(Ctx(30s, token).get(), le, &l);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& e : l.executions()) {
        out += e.DebugString();
        std::string hnext;
        do {
          v1::GetExecutionHistoryRequest h;
          h.set_execution_arn(e.execution_arn());
          h.set_max_results(1000);
          h.set_next_token(hnext);
          v1::GetExecutionHistoryResponse hr;
          s = stub->GetExecutionHistory(Ctx(30s, token).get(), h, &hr);
          EXPECT_TRUE(s.ok()) << s.error_message();
          if (!s.ok()) break;
          out += hr.DebugString();
          hnext = hr.next_token();
        } while (!hnext.empty());
      }
      next = l.next_token();
    } while (!next.empty());
  }
  return out;
}

// ---- certificates ----

// Makes, in `dir`, a CA (ca.pem/ca.key), a server certificate for
// 127.0.0.1 signed by it (server.pem/server.key), a client certificate
// signed by it (client.pem/client.key, CN=worker-1) and a self-signed
// client certificate from nobody's CA (rogue.pem/rogue.key). False if the
// openssl command failed.
inline bool MakeCertificates(const std::string& dir) {
  std::string d = "'" + dir + "'";
  std::string quiet = " >/dev/null 2>&1";
  auto key = [&](const std::string& name) {
    return Shell("openssl ecparam -name prime256v1 -genkey -noout -out " + d + "/" + name +
                 ".key" + quiet);
  };
  WriteFile(dir + "/server.ext", "subjectAltName=IP:127.0.0.1\n");
  WriteFile(dir + "/client.ext", "extendedKeyUsage=clientAuth\n");
  return key("ca") && key("server") && key("client") && key("rogue") &&
         Shell("openssl req -x509 -new -key " + d + "/ca.key -subj /CN=hostile-test-ca -days 2 "
               "-out " + d + "/ca.pem" + quiet) &&
         Shell("openssl req -new -key " + d + "/server.key -subj /CN=127.0.0.1 -out " + d +
               "/server.csr" + quiet) &&
         Shell("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
               "/ca.key -CAcreateserial -days 2 -extfile " + d + "/server.ext -out " + d +
               "/server.pem" + quiet) &&
         Shell("openssl req -new -key " + d + "/client.key -subj /CN=worker-1/O=Hostile -out " +
               d + "/client.csr" + quiet) &&
         Shell("openssl x509 -req -in " + d + "/client.csr -CA " + d + "/ca.pem -CAkey " + d +
               "/ca.key -CAcreateserial -days 2 -extfile " + d + "/client.ext -out " + d +
               "/client.pem" + quiet) &&
         Shell("openssl req -x509 -new -key " + d + "/rogue.key -subj /CN=rogue -days 2 -out " +
               d + "/rogue.pem" + quiet);
}

}  // namespace stepwise::hostile

#endif  // SW_TESTS_HOSTILE_DAEMON_H_
