// ClusterForwarder (see cluster_forwarder.h). Forward: any thread; its
// completion: a gRPC callback thread.
#include "server/cluster_forwarder.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/strings.h"
#include "engine/service_error.h"
#include "server/cluster_router.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::server {

namespace {

// One call in flight: what gRPC needs alive until its completion.
struct ForwardedCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

// The owner's gRPC status as an absl::Status carrying the same code,
// message and AWS error name (so either front end answers exactly what the
// owner said) and the shard-moved marker.
absl::Status FromOwner(const grpc::Status& s, const grpc::ClientContext& context) {
  if (s.ok()) return absl::OkStatus();
  int code = static_cast<int>(s.error_code());
  if (code < 0 || code > 16) code = static_cast<int>(absl::StatusCode::kUnknown);
  std::string aws_error;
  if (!s.error_details().empty()) {
    v1::ErrorInfo info;
    if (info.ParseFromString(s.error_details())) aws_error = info.error();
  }
  absl::Status out = aws_error.empty()
                         ? absl::Status(static_cast<absl::StatusCode>(code), s.error_message())
                         : engine::ServiceError(aws_error, s.error_message());
  if (out.code() != static_cast<absl::StatusCode>(code)) {
    // ServiceError picks a code by name; keep the owner's.
    absl::Status same(static_cast<absl::StatusCode>(code), s.error_message());
    out.ForEachPayload([&same](absl::string_view url, const absl::Cord& payload) {
      same.SetPayload(url, payload);
    });
    out = std::move(same);
  }
  const auto& trailers = context.GetServerTrailingMetadata();
  if (trailers.find(kShardMovedMetadataKey) != trailers.end()) out = MarkShardMoved(out);
  return out;
}

}  // namespace

ClusterForwarder::ClusterForwarder(ClusterForwarderOptions options)
    : options_(std::move(options)) {}

ClusterForwarder::~ClusterForwarder() = default;

grpc::GenericStub* ClusterForwarder::StubFor(const std::string& address) {
  std::lock_guard<std::mutex> l(mu_);
  auto& stub = stubs_[address];
  if (stub == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    std::shared_ptr<grpc::ChannelCredentials> creds =
        options_.credentials != nullptr ? options_.credentials
                                        : grpc::InsecureChannelCredentials();
    stub = std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(address, creds, args));
  }
  return stub.get();
}

void ClusterForwarder::Forward(const std::string& address, std::string_view method,
                               const google::protobuf::Message& request,
                               google::protobuf::Message* response, const std::string& caller,
                               std::function<void(absl::Status)> done,
                               std::chrono::milliseconds timeout) {
  auto call = std::make_shared<ForwardedCall>();
  std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  call->request = grpc::ByteBuffer(&slice, 1);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             (timeout.count() > 0 ? timeout : options_.timeout));
  const int64_t now_s = SystemClock().NowMs() / 1000;
  call->context.AddMetadata(kForwardedMetadataKey, options_.auth->Sign(options_.node_id, now_s));
  if (!caller.empty()) call->context.AddMetadata(kForwardedCallerMetadataKey, caller);
  const std::string path = absl::StrCat("/stepwise.v1.States/", ToAbsl(method));
  StubFor(address)->UnaryCall(
      &call->context, path, grpc::StubOptions(), &call->request, &call->response,
      [call, response, address, done = std::move(done)](grpc::Status s) {
        if (!s.ok()) {
          absl::Status out = FromOwner(s, call->context);
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE && s.error_details().empty() &&
              !IsShardMoved(out)) {
            // gRPC's own (the owner never answered): say where we tried.
            out = absl::UnavailableError(absl::StrCat("cannot reach the owner node at ", address,
                                                      ": ", s.error_message()));
          }
          return done(std::move(out));
        }
        std::vector<grpc::Slice> slices;
        if (!call->response.Dump(&slices).ok()) {
          return done(absl::InternalError("cannot read the owner node's response"));
        }
        std::string body;
        for (const grpc::Slice& sl : slices) {
          body.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        }
        if (!response->ParseFromString(body)) {
          return done(absl::InternalError("the owner node's response does not decode"));
        }
        done(absl::OkStatus());
      });
}

}  // namespace stepwise::server
