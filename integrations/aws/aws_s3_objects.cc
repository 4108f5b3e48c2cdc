// S3 reads for Distributed Map item sources through AwsApi; see
// aws_s3_objects.h.
#include "integrations/aws/aws_s3_objects.h"

#include <future>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/strings.h"

namespace stepwise::integrations {
namespace {

absl::Status ErrorOf(const AwsApiResponse& r, std::string_view what) {
  if (r.transport_failed) {
    return absl::UnavailableError(absl::StrCat(ToAbsl(what), ": ", r.transport_error));
  }
  std::string message = absl::StrCat(r.error_code.empty() ? absl::StrCat("HTTP ", r.status)
                                                          : r.error_code,
                                     ": ", r.error_message, " (", ToAbsl(what), ")");
  if (r.error_code == "NoSuchKey" || r.error_code == "NoSuchBucket" || r.status == 404) {
    return absl::NotFoundError(message);
  }
  if (r.error_code == "AccessDenied" || r.status == 403) {
    return absl::PermissionDeniedError(message);
  }
  if (r.status >= 500 || r.status == 429) return absl::UnavailableError(message);
  return absl::InvalidArgumentError(message);
}

std::string Where(const engine::map_run::S3ObjectRef& o) {
  return absl::StrCat("s3://", o.bucket, "/", o.key);
}

json::object ObjectParameters(const engine::map_run::S3ObjectRef& o) {
  json::object p;
  p["Bucket"] = o.bucket;
  p["Key"] = o.key;
  if (!o.version_id.empty()) p["VersionId"] = o.version_id;
  return p;
}

std::string StringOf(const json::value* v) {
  if (v == nullptr) return "";
  if (const json::string* s = v->if_string()) return std::string(s->data(), s->size());
  return SerializeJson(*v);
}

int64_t IntOf(const json::value* v) {
  if (v == nullptr) return 0;
  if (IsNumber(*v)) return static_cast<int64_t>(ToDouble(*v));
  int64_t n = 0;
  if (const json::string* s = v->if_string()) {
    (void)absl::SimpleAtoi(absl::string_view(s->data(), s->size()), &n);
  }
  return n;
}

}  // namespace

int64_t S3TimestampSeconds(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) return 0;
  return absl::ToUnixSeconds(t);
}

absl::StatusOr<AwsApiResponse> AwsS3Objects::Call(const char* operation,
                                                  json::object parameters) {
  AwsApiRequest request;
  request.service = "s3";
  request.operation = operation;
  request.parameters = std::move(parameters);
  request.region = region_;
  request.timeout_ms = timeout_ms_;
  std::promise<AwsApiResponse> answer;
  std::future<AwsApiResponse> got = answer.get_future();
  api_->Call(std::move(request), [&answer](AwsApiResponse r) { answer.set_value(std::move(r)); });
  return got.get();
}

absl::StatusOr<uint64_t> AwsS3Objects::Size(const engine::map_run::S3ObjectRef& object) {
  absl::StatusOr<AwsApiResponse> r = Call("HeadObject", ObjectParameters(object));
  if (!r.ok()) return r.status();
  if (!r->ok()) return ErrorOf(*r, Where(object));
  const json::object* o = r->output.if_object();
  const json::value* length = o == nullptr ? nullptr : o->if_contains("ContentLength");
  if (length == nullptr) {
    return absl::UnavailableError(absl::StrCat("HeadObject of ", Where(object),
                                               " answered without a Content-Length"));
  }
  return static_cast<uint64_t>(IntOf(length));
}

absl::StatusOr<std::string> AwsS3Objects::Read(const engine::map_run::S3ObjectRef& object,
                                               uint64_t offset, uint64_t length) {
  if (length == 0) return std::string();
  json::object p = ObjectParameters(object);
  p["Range"] = absl::StrCat("bytes=", offset, "-", offset + length - 1);
  absl::StatusOr<AwsApiResponse> r = Call("GetObject", std::move(p));
  if (!r.ok()) return r.status();
  if (r->error_code == "InvalidRange") return std::string();  // past the end
  if (!r->ok()) return ErrorOf(*r, Where(object));
  if (r->status == 200 && r->raw_body.size() > length) {
    // A server that ignores Range sends the whole object: keep the range.
    if (offset >= r->raw_body.size()) return std::string();
    return r->raw_body.substr(offset, length);
  }
  return std::move(r->raw_body);
}

absl::StatusOr<engine::map_run::S3ListPage> AwsS3Objects::List(
    const std::string& bucket, const std::string& prefix, const std::string& continuation_token,
    int max_keys) {
  json::object p;
  p["Bucket"] = bucket;
  if (!prefix.empty()) p["Prefix"] = prefix;
  if (!continuation_token.empty()) p["ContinuationToken"] = continuation_token;
  p["MaxKeys"] = max_keys;
  absl::StatusOr<AwsApiResponse> r = Call("ListObjectsV2", std::move(p));
  if (!r.ok()) return r.status();
  if (!r->ok()) return ErrorOf(*r, absl::StrCat("s3://", bucket, "/", prefix));
  engine::map_run::S3ListPage page;
  const json::object* o = r->output.if_object();
  if (o == nullptr) return page;
  auto add = [&page](const json::value& c) {
    const json::object* e = c.if_object();
    if (e == nullptr) return;
    engine::map_run::S3ObjectEntry entry;
    entry.key = StringOf(e->if_contains("Key"));
    entry.etag = StringOf(e->if_contains("ETag"));
    entry.last_modified_epoch_seconds = S3TimestampSeconds(StringOf(e->if_contains("LastModified")));
    entry.size = IntOf(e->if_contains("Size"));
    entry.storage_class = StringOf(e->if_contains("StorageClass"));
    if (entry.storage_class.empty()) entry.storage_class = "STANDARD";
    page.entries.push_back(std::move(entry));
  };
  if (const json::value* contents = o->if_contains("Contents")) {
    if (const json::array* a = contents->if_array()) {
      for (const json::value& c : *a) add(c);
    } else {
      add(*contents);
    }
  }
  const json::value* truncated = o->if_contains("IsTruncated");
  bool more = truncated != nullptr &&
              ((truncated->is_bool() && truncated->as_bool()) || StringOf(truncated) == "true");
  if (more) page.next_continuation_token = StringOf(o->if_contains("NextContinuationToken"));
  return page;
}

}  // namespace stepwise::integrations
