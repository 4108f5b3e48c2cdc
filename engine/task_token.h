// TaskTokenCodec turns the identity of one attempt of a task into the
// opaque task token handed to workers or passed to callbacks, and back. A
// token carries its purpose (worker or callback), the execution id, the
// task's sequence number and the attempt, followed by an
// HMAC-SHA256 over them under a server key (kept in the store's meta table),
// all in URL-safe base64 without padding. Without the key a token cannot be
// forged or altered; Decode checks the MAC before trusting anything in it.
// A verified token still only names a task: the engine must check that the
// stored task is still open. Encoding is deterministic: the same claims
// under the same key always give the same token, so the engine can rebuild
// a token (e.g. after a restart) without storing it.
// The codec is immutable after construction and thread-safe.
#ifndef SW_ENGINE_TASK_TOKEN_H_
#define SW_ENGINE_TASK_TOKEN_H_

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stepwise::engine {

struct TaskTokenClaims {
  std::string execution_id;
  int64_t task_id = 0;
  int64_t attempt = 0;
  // A .waitForTaskToken Task's callback token ($$.Task.Token), which
  // completes the task; otherwise a worker's hand-out token, whose answer
  // goes through the task's dispatcher (it may only submit the task).
  bool callback = false;

  friend bool operator==(const TaskTokenClaims&, const TaskTokenClaims&) = default;
};

class TaskTokenCodec {
 public:
  // Tokens longer than this are rejected without decoding (AWS's limit too).
  static constexpr size_t kMaxTokenLength = 2048;
  static constexpr size_t kMinKeyLength = 32;

  // `key` is a secret of >= 32 bytes (the engine keeps it in the store's meta
  // table). A shorter key is a bug in the caller and aborts (SW_CHECK).
  explicit TaskTokenCodec(std::string key);

  // Returns a fresh 32-byte random key from OpenSSL's RAND_bytes. Aborts if
  // the system has no entropy to give (nothing sensible can be done then).
  static std::string NewKey();

  // Returns the token for `c`: URL-safe base64 (no padding) of a version
  // byte, task_id, attempt, execution_id and an HMAC-SHA256 over all of them.
  // Deterministic. An execution_id longer than 1,487 bytes gives a
  // token over kMaxTokenLength that Decode rejects; engine ids are far
  // shorter.
  std::string Encode(const TaskTokenClaims& c) const;

  // Verifies `token` and returns its claims. Returns kInvalidArgument
  // ("invalid task token") for anything that is empty, longer than
  // kMaxTokenLength, not canonical URL-safe base64, of an unknown version or
  // layout, or whose MAC does not verify under this key (compared in
  // constant time). The message never says which check failed.
  absl::StatusOr<TaskTokenClaims> Decode(std::string_view token) const;

 private:
  // HMAC-SHA256 of `data` under the key. The SHA-256 states after the key's
  // inner and outer pads are computed once (RFC 2104), so each MAC costs two
  // context copies and three hash blocks instead of OpenSSL 3's one-shot
  // HMAC(), which looks its algorithm up again on every call.
  std::array<unsigned char, 32> Mac(const unsigned char* data, size_t size) const;

  std::string key_;
  std::shared_ptr<EVP_MD_CTX> inner_;  // after absorbing key ^ ipad
  std::shared_ptr<EVP_MD_CTX> outer_;  // after absorbing key ^ opad
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TASK_TOKEN_H_
