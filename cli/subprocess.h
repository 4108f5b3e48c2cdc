// RunCommand: runs a program with some text on its stdin and collects its
// stdout and stderr, for `stepwise worker`. StartProcess: starts a
// long-running program (a Lambda runtime for `stepwise lambda-runtime`). The child gets its own process
// group (a terminal's Ctrl-C does not reach it: the worker finishes it) and
// an empty signal mask. The first call sets SIGPIPE to be ignored in this
// process (a child may close its stdin early). Thread-safe.
#ifndef SW_CLIENT_SUBPROCESS_H_
#define SW_CLIENT_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::client {

struct CommandResult {
  int exit_code = 0;  // the exit status, or -SIGNAL when killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `argv` (argv[0] looked up in PATH) with `input` on stdin and waits for
// it. Returns kNotFound when the program cannot be started, kInternal when
// pipes cannot be made.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& input);

// Starts `argv` (argv[0] looked up in PATH) with this process's environment
// plus `extra_env` ("NAME=value" each, replacing a variable of that name),
// stdin from /dev/null, stdout and stderr shared with this process, in a
// process group of its own (its pgid is its pid) with default signal
// handling. Returns its pid; the caller reaps it (waitpid). kNotFound when
// it cannot be started.
absl::StatusOr<pid_t> StartProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& extra_env);

}  // namespace stepwise::client

#endif  // SW_CLIENT_SUBPROCESS_H_
