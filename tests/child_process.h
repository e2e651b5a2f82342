// Runs a Fulcrum binary as a child process for multi-process tests: its stdout and stderr come back
// through one pipe, so a test waits on the line a server prints once it serves (readiness, never a
// sleep) and can read every line a failing binary printed. The destructor kills a child still running.
#ifndef FULCRUM_TESTS_CHILD_PROCESS_H_
#define FULCRUM_TESTS_CHILD_PROCESS_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fulcrum::testing {

class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv);
  ~ChildProcess();

  // Reads lines until one starts with `prefix` and returns what follows it on that line; an error
  // (with everything read so far) when the child closes its output first.
  absl::StatusOr<std::string> WaitForLine(const std::string& prefix);
  // Reads lines until one contains `text` and returns that line; an error as WaitForLine.
  absl::StatusOr<std::string> WaitForText(const std::string& text);
  // Everything the child prints until it closes its output.
  std::string ReadAll();
  void Signal(int signal_number);
  // Waits for the child to end; its exit code, or 128 + the signal that ended it.
  int Wait();

 private:
  ChildProcess(int pid, FILE* output) : pid_(pid), output_(output) {}
  absl::StatusOr<std::string> ReadUntil(const std::function<bool(const std::string&)>& wanted,
                                        const std::string& what);
  int pid_;
  FILE* output_;
  bool reaped_ = false;
  int exit_code_ = 0;
};

// Where the build put the binaries (FULCRUM_BIN_DIR, set by CMake for the test binaries).
std::string BinaryPath(const std::string& name);

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_CHILD_PROCESS_H_
