// A mock-config test case's time scale (ExecutionInfo::time_scale, from the
// mock config's StepwiseTestCaseOptions): the engine arms each timer of such
// an execution (Wait, retry back-off, execution and task timeouts,
// heartbeats) `scale` times sooner. Pure functions; any thread.
#ifndef SW_ENGINE_MOCK_CONFIG_TIME_SCALE_H_
#define SW_ENGINE_MOCK_CONFIG_TIME_SCALE_H_

#include <cmath>
#include <cstdint>

#include "common/clock.h"

namespace stepwise::engine {

// `delay_ms` shortened by `scale` (> 0; 1 leaves it), rounded up to whole
// milliseconds so a positive delay stays positive.
inline int64_t ScaledDelayMs(int64_t delay_ms, double scale) {
  if (scale == 1.0 || delay_ms <= 0) return delay_ms;
  return static_cast<int64_t>(std::ceil(static_cast<double>(delay_ms) / scale));
}

// A timer due at `due`, armed at `now`, under `scale`: now + (due - now) / scale.
inline TimeMs ScaledDue(TimeMs due, TimeMs now, double scale) {
  return due <= now ? due : now + ScaledDelayMs(due - now, scale);
}

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MOCK_CONFIG_TIME_SCALE_H_
