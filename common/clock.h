// Clock is the only source of time in Stepwise. SystemClock reads the wall
// clock; ManualClock is advanced by hand; ScaledClock runs faster than
// another clock. All implementations are thread-safe.
#ifndef SW_COMMON_CLOCK_H_
#define SW_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepwise {

// Milliseconds since the Unix epoch, UTC.
using TimeMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time in milliseconds since the epoch.
  virtual TimeMs NowMs() const = 0;
};

// SystemClock reads std::chrono::system_clock.
class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override;
  // Returns a process-wide instance that lives forever.
  static SystemClock* Get();
};

// ManualClock only moves when told to; used by the local runner to skip
// Waits and back-offs, and by tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs NowMs() const override { return now_.load(); }
  void Set(TimeMs t) { now_.store(t); }
  void Advance(TimeMs delta) { now_.fetch_add(delta); }

 private:
  std::atomic<TimeMs> now_;
};

// ScaledClock runs `scale` times faster than `base` from the moment it is
// constructed: NowMs() = start + (base->NowMs() - start) * scale, where start
// is base->NowMs() at construction. Used by the dev mode so Waits and
// back-offs need not be slept through. `base` must outlive the clock; it is
// thread-safe if `base` is. A scale <= 0 freezes time at start.
class ScaledClock final : public Clock {
 public:
  ScaledClock(const Clock* base, double scale);
  TimeMs NowMs() const override;
  double scale() const { return scale_; }

 private:
  const Clock* base_;
  double scale_;
  TimeMs start_;
};

// Returns the days since 1970-01-01 of the proleptic Gregorian date y-m-d
// (m in 1..12, d in 1..31; negative before the epoch). Pure.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// Formats `t` as ISO-8601 UTC with milliseconds, e.g. 2024-02-07T13:49:36.123Z.
std::string FormatIso8601(TimeMs t);

// Parses an RFC 3339 timestamp as AWS accepts it (uppercase T, Z or +hh:mm
// offset, optional fraction) into nanoseconds since the epoch. Returns
// nullopt when `text` is not one, or when it lies outside what int64
// nanoseconds can hold (before 1677-09-21 or after 2262-04-11).
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

}  // namespace stepwise

#endif  // SW_COMMON_CLOCK_H_
