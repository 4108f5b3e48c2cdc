// libFuzzer target: task-token decoding (engine/task_token.*). The input is
// decoded as a token text under a fixed key; a token that verifies must
// re-encode to exactly the same text (one accepted text per claim set). The
// input is also read as claims (attempt, task id, execution id), encoded,
// and the token must decode to the same claims, fail under another key,
// and fail once any one character is changed or the text is cut short.
// Any broken property aborts (a finding).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/task_token.h"

namespace {

using stepwise::engine::TaskTokenClaims;
using stepwise::engine::TaskTokenCodec;

const TaskTokenCodec& Codec() {
  static const TaskTokenCodec* codec =
      new TaskTokenCodec(std::string("fuzz-key-0123456789abcdef0123456789abcdef"));
  return *codec;
}

const TaskTokenCodec& OtherCodec() {
  static const TaskTokenCodec* codec =
      new TaskTokenCodec(std::string("another-data-directory-key-0123456789abcdef"));
  return *codec;
}

[[noreturn]] void Fail(const char* what, std::string_view token) {
  std::fprintf(stderr, "task token property broken: %s: %.*s\n", what,
               static_cast<int>(token.size()), token.data());
  std::abort();
}

int64_t ReadInt64(const uint8_t* p) {
  uint64_t u = 0;
  std::memcpy(&u, p, sizeof(u));
  return static_cast<int64_t>(u);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = Codec().Decode(text);
  if (decoded.ok() && Codec().Encode(*decoded) != text) Fail("non-canonical text accepted", text);
  if (OtherCodec().Decode(text).ok() && decoded.ok()) Fail("accepted under two keys", text);

  if (size < 16) return 0;
  TaskTokenClaims c;
  c.attempt = ReadInt64(data);
  c.task_id = ReadInt64(data + 8);
  c.execution_id.assign(reinterpret_cast<const char*>(data + 16), size - 16);
  std::string token = Codec().Encode(c);
  auto back = Codec().Decode(token);
  if (token.size() <= TaskTokenCodec::kMaxTokenLength) {
    if (!back.ok()) Fail("own token rejected", token);
    if (!(*back == c)) Fail("claims changed in a round trip", token);
  } else if (back.ok()) {
    Fail("over-long token accepted", token);
  }
  if (OtherCodec().Decode(token).ok()) Fail("token verified under another key", token);
  // One changed character (picked by the input) must not verify.
  std::string changed = token;
  size_t at = static_cast<size_t>(data[0]) * 131 % changed.size();
  changed[at] = changed[at] == 'A' ? 'B' : 'A';
  if (Codec().Decode(changed).ok()) Fail("altered token accepted", changed);
  std::string cut = token.substr(0, token.size() - 1 - (data[1] % 8 < token.size() - 1 ? data[1] % 8 : 0));
  if (Codec().Decode(cut).ok()) Fail("truncated token accepted", cut);
  return 0;
}
