// StatesService: the tag RPCs (TagResource, UntagResource,
// ListTagsForResource; see states_service.h). Blocking engine calls on the
// service's pool, like the catalog's other RPCs; Tag and Untag are audited.
#include <string>
#include <vector>

#include "server/proto_tags.h"
#include "server/states_service.h"

namespace stepwise::server {

grpc::ServerUnaryReactor* StatesService::TagResource(grpc::CallbackServerContext* ctx,
                                                     const v1::TagResourceRequest* req,
                                                     v1::TagResourceResponse* /*resp*/) {
  return RunBlocking(
      ctx,
      [this, req]() -> absl::Status {
        return engine_->TagResource(req->resource_arn(), TagsFromProto(req->tags()));
      },
      {"TagResource", req->resource_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::UntagResource(grpc::CallbackServerContext* ctx,
                                                       const v1::UntagResourceRequest* req,
                                                       v1::UntagResourceResponse* /*resp*/) {
  return RunBlocking(
      ctx,
      [this, req]() -> absl::Status {
        std::vector<std::string> keys(req->tag_keys().begin(), req->tag_keys().end());
        return engine_->UntagResource(req->resource_arn(), keys);
      },
      {"UntagResource", req->resource_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::ListTagsForResource(
    grpc::CallbackServerContext* ctx, const v1::ListTagsForResourceRequest* req,
    v1::ListTagsForResourceResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto tags = engine_->ListTagsForResource(req->resource_arn());
    if (!tags.ok()) return tags.status();
    TagsToProto(*tags, resp->mutable_tags());
    return absl::OkStatus();
  });
}

}  // namespace stepwise::server
