// A child process of the orchestrator: one Fulcrum binary whose stdout and stderr are appended to a
// log file. The child gets its own process group (a Ctrl-C reaches only the orchestrator, which
// stops children in order), an empty signal mask, and SIGTERM when the orchestrator dies, so no
// child outlives it even after a kill -9. Not thread-safe; the orchestrator's main thread owns it.
#ifndef FULCRUM_ORCHESTRATOR_CHILD_H_
#define FULCRUM_ORCHESTRATOR_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fulcrum {

class Child {
 public:
  // argv[0] is the binary's path. The log file is created or appended to.
  static absl::StatusOr<std::unique_ptr<Child>> Start(const std::vector<std::string>& argv,
                                                      const std::string& log_path);
  ~Child();  // Stops a child still running (Stop with a short grace).

  pid_t pid() const { return pid_; }

  // The exit code once the child ended (128 + signal when a signal ended it), without blocking.
  std::optional<int> Poll();
  // Blocks until the child ends; its exit code as Poll's.
  int Wait();
  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int Stop(absl::Duration grace);

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_code_;
};

// "exit code 3", "killed by SIGKILL".
std::string DescribeExit(int exit_code);

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_CHILD_H_
