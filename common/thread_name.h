// Names the calling thread as `top -H`, `ps -L`, gdb and perf show it, so an
// operator can tell the committer from a shard or a gRPC thread. Linux keeps
// at most 15 bytes of a name; longer names are cut.
#ifndef SW_COMMON_THREAD_NAME_H_
#define SW_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace stepwise {

inline void SetThreadName(std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace stepwise

#endif  // SW_COMMON_THREAD_NAME_H_
