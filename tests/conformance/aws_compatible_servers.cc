// dynalite and s3rver child processes for the live conformance runner; see
// aws_compatible_servers.h.
#include "tests/conformance/aws_compatible_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "tests/conformance/cat.h"

extern char** environ;

namespace stepwise::conformance {

AwsCompatibleServers::~AwsCompatibleServers() {
  for (pid_t pid : pids_) {
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
  }
}

bool AwsCompatibleServers::Start(const std::vector<std::string>& buckets,
                                 std::string* error) {
  dynamodb_url_ = Spawn({"dynalite"}, error);
  if (dynamodb_url_.empty()) return false;
  std::string data = work_dir_ + "/s3rver";
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  std::vector<std::string> args = {"s3rver", data};
  args.insert(args.end(), buckets.begin(), buckets.end());
  s3_url_ = Spawn(args, error);
  return !s3_url_.empty();
}

std::string AwsCompatibleServers::Spawn(const std::vector<std::string>& args,
                                        std::string* error) {
  std::vector<std::string> argv = {"node", serve_js_, modules_dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string log = Cat(work_dir_, "/", args[0], ".log");
  int out[2];
  if (pipe(out) != 0) {
    *error = "pipe failed";
    return "";
  }
  pid_t pid = fork();
  if (pid < 0) {
    *error = "fork failed";
    return "";
  }
  if (pid == 0) {
    dup2(out[1], 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) dup2(fd, 2);
    close(out[0]);
    // s3rver's ListObjectsV2 continuation tokens use a cipher Node 17+ only
    // has with the legacy OpenSSL provider.
    if (args[0] == "s3rver") setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
    execvp("node", cargv.data());
    _exit(127);
  }
  close(out[1]);
  pids_.push_back(pid);
  // "port=N\n" once it listens.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[64];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  if (line.rfind("port=", 0) != 0) {
    *error = Cat(args[0], " did not start (see ", log, ")");
    return "";
  }
  return Cat("http://127.0.0.1:", std::stoi(line.substr(5)));
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace stepwise::conformance
