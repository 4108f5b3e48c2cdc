// dynalite (DynamoDB) and s3rver (S3) for the live conformance runner's AWS
// cases: each started as `node serve.js MODULES_DIR KIND …`
// (tests/integrations/servers/serve.js, the servers installed by
// scripts/install-aws-servers.sh) on 127.0.0.1 and a port the kernel picks,
// stopped with SIGTERM when the object goes. Also FreeLoopbackPort, for a
// stepwised that must know its own AWS endpoint before it starts
// (`--aws-endpoint sfn=…`). Start and the destructor run on one thread; the
// URLs may then be read from any.
#ifndef SW_TESTS_CONFORMANCE_AWS_COMPATIBLE_SERVERS_H_
#define SW_TESTS_CONFORMANCE_AWS_COMPATIBLE_SERVERS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace stepwise::conformance {

class AwsCompatibleServers {
 public:
  AwsCompatibleServers(std::string serve_js, std::string modules_dir, std::string work_dir)
      : serve_js_(std::move(serve_js)),
        modules_dir_(std::move(modules_dir)),
        work_dir_(std::move(work_dir)) {}
  ~AwsCompatibleServers();
  AwsCompatibleServers(const AwsCompatibleServers&) = delete;
  AwsCompatibleServers& operator=(const AwsCompatibleServers&) = delete;

  // Starts both servers, s3rver with `buckets` made; false (and `error`
  // says why) when one did not announce its port within 30 s.
  bool Start(const std::vector<std::string>& buckets, std::string* error);

  const std::string& dynamodb_url() const { return dynamodb_url_; }
  const std::string& s3_url() const { return s3_url_; }

 private:
  // Spawns one server; its URL, or "" on failure.
  std::string Spawn(const std::vector<std::string>& args, std::string* error);

  const std::string serve_js_, modules_dir_, work_dir_;
  std::vector<pid_t> pids_;
  std::string dynamodb_url_, s3_url_;
};

// A loopback TCP port free at the time of the call (bound, then released).
int FreeLoopbackPort();

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_AWS_COMPATIBLE_SERVERS_H_
