// CrashPointStore (crash_point_store.h): SIGKILL at a named group commit.
#include "storage/crash_point_store.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace stepwise::storage {
namespace {

[[noreturn]] void Die(const char* where, int64_t n) {
  // One line for the harness's log, then the same death as kill -9.
  std::fprintf(stderr, "stepwised: test crash point %s:%lld reached: SIGKILL\n", where,
               static_cast<long long>(n));
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
  for (;;) ::pause();
}

}  // namespace

absl::StatusOr<CrashPoint> ParseCrashPoint(const std::string& text) {
  absl::string_view t = text;
  CrashPoint p;
  if (absl::ConsumePrefix(&t, "after_write:")) {
    p.after_write = true;
  } else if (!absl::ConsumePrefix(&t, "before_write:")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "STEPWISE_TEST_CRASH_POINT \"", text, "\" is not before_write:N or after_write:N"));
  }
  if (!absl::SimpleAtoi(t, &p.n) || p.n < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("STEPWISE_TEST_CRASH_POINT \"", text, "\": N must be a number >= 1"));
  }
  return p;
}

absl::Status CrashPointStore::Commit(const Transition& t) {
  const Transition* one[] = {&t};
  absl::StatusOr<std::vector<absl::Status>> r = CommitBatch(one);
  if (!r.ok()) return r.status();
  return r->front();
}

absl::StatusOr<std::vector<absl::Status>> CrashPointStore::CommitBatch(
    absl::Span<const Transition* const> batch) {
  int64_t n = ++batches_;
  bool here = n == point_.n;
  if (here && !point_.after_write) Die("before_write", n);
  absl::StatusOr<std::vector<absl::Status>> r = ForwardingStore::CommitBatch(batch);
  if (here && point_.after_write) Die("after_write", n);
  return r;
}

}  // namespace stepwise::storage
