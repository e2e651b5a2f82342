// A child process: one Fulcrum binary (a role the orchestrator starts, or a stage a serving learner
// runs) whose stdout and stderr are appended to a log file. The child gets its own process group (a
// Ctrl-C reaches only the parent, which stops children in order), an empty signal mask, and SIGTERM
// when the parent dies, so no child outlives it even after a kill -9. Not thread-safe: one thread
// of the parent owns it.
#ifndef FULCRUM_CORE_CHILD_H_
#define FULCRUM_CORE_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fulcrum {

// A process a parent supervises: a local Child, or a stage a serving learner runs for the orchestrator.
class Process {
 public:
  virtual ~Process() = default;
  virtual pid_t pid() const = 0;
  // The exit code once the process ended (128 + signal when a signal ended it), without blocking.
  virtual std::optional<int> Poll() = 0;
  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  virtual int Stop(absl::Duration grace) = 0;
};

class Child : public Process {
 public:
  // argv[0] is the binary's path. The log file is created or appended to.
  static absl::StatusOr<std::unique_ptr<Child>> Start(const std::vector<std::string>& argv,
                                                      const std::string& log_path);
  ~Child() override;  // Stops a child still running (Stop with a short grace).

  pid_t pid() const override { return pid_; }
  std::optional<int> Poll() override;
  // Blocks until the child ends; its exit code as Poll's.
  int Wait();
  int Stop(absl::Duration grace) override;

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_code_;
};

// "exit code 3", "killed by SIGKILL".
std::string DescribeExit(int exit_code);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_CHILD_H_
