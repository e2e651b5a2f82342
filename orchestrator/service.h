// A supervised role process: a Child plus what the orchestrator knows about it. A serving role
// (learner, reward, reference) prints "<binary> listening on <host>:<port>" once it serves; Start
// waits for that line in its log and for its grpc.health.v1 answer, so nothing is used before it
// is ready. A crashed role can be restarted with backoff; a serving role comes back on its port.
#ifndef FULCRUM_ORCHESTRATOR_SERVICE_H_
#define FULCRUM_ORCHESTRATOR_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/child.h"

namespace fulcrum {

struct ServiceSpec {
  std::string name;               // "reward", "learner", "actor-1": in messages and the log's name.
  std::vector<std::string> argv;  // Binary and flags; a serving role gets --port=N appended.
  std::string log_path;
  bool serves = true;             // Waits for "listening on" and a SERVING health check.
  int port = 0;                   // A serving role's port; 0 lets it pick a free one.
  int max_restarts = 0;           // Restarts after a crash; 0: a crash is final.
  // host:port of a serving learner to run this on (argv[0] is then dropped: the learner runs its own
  // binary); empty: a local child. Its "listening on" address gets the learner's host.
  std::string runner;
  absl::Duration start_timeout = absl::Minutes(2);
};

class Service {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Start(ServiceSpec spec);

  const ServiceSpec& spec() const { return spec_; }
  const std::string& address() const { return address_; }  // host:port; empty unless it serves.
  pid_t pid() const { return child_->pid(); }
  int restarts() const { return restarts_; }  // Relaunches done so far.

  // Called often while a stage runs. OK while the process runs or after a clean exit (code 0).
  // A crash is restarted after a backoff (1 s, 2 s, 4 s, ... up to 30 s) while restarts remain;
  // otherwise the error says how it ended and where its log is.
  absl::Status Supervise();
  // The exit code once ended, as Child::Poll.
  std::optional<int> Poll() { return child_->Poll(); }
  int Stop(absl::Duration grace) { return child_->Stop(grace); }

 private:
  explicit Service(ServiceSpec spec) : spec_(std::move(spec)) {}
  absl::Status Launch(int port);

  ServiceSpec spec_;
  std::unique_ptr<Process> child_;
  std::string address_;
  int restarts_ = 0;
  absl::Time restart_at_ = absl::InfinitePast();
  bool restart_pending_ = false;
};

// The last `lines` lines of a log file, for error messages ("" when unreadable).
std::string LogTail(const std::string& path, int lines);

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_SERVICE_H_
