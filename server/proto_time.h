// Engine times (TimeMs, milliseconds since the epoch) as
// google.protobuf.Timestamp, for the gRPC front end. Pure: any thread.
#ifndef SW_SERVER_PROTO_TIME_H_
#define SW_SERVER_PROTO_TIME_H_

#include <cstdint>

#include "common/clock.h"
#include "google/protobuf/timestamp.pb.h"

namespace stepwise::server {

inline void SetTime(TimeMs ms, google::protobuf::Timestamp* ts) {
  int64_t secs = ms / 1000;
  int64_t rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    secs -= 1;
  }
  ts->set_seconds(secs);
  ts->set_nanos(static_cast<int32_t>(rem * 1000000));
}

// The inverse: a Timestamp as TimeMs.
inline TimeMs MsOfTime(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1000000;
}

}  // namespace stepwise::server

#endif  // SW_SERVER_PROTO_TIME_H_
