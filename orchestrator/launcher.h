// Where a run's services come from. `local` starts them as supervised child processes on loopback
// ports the services pick themselves, one log file each, and reuses a service for every stage that
// needs the same one (the same argv). `external` uses the addresses the pipeline gives, as set up
// by docker compose or Kubernetes, and checks that they answer before a stage relies on them.
// A reward given as an `address` is used as is by both.
#ifndef FULCRUM_ORCHESTRATOR_LAUNCHER_H_
#define FULCRUM_ORCHESTRATOR_LAUNCHER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "fulcrum/v1/config.pb.h"
#include "orchestrator/service.h"

namespace fulcrum {

class Launcher {
 public:
  struct Options {
    std::string bin_dir;  // Where fulcrum-reward etc. are.
    int threads = 1;      // Cores to split among local processes.
    int metrics_port = 0;  // The orchestrator's metrics port; the processes it starts get the next ones.
  };
  Launcher(v1::LauncherConfig config, Options options);
  ~Launcher() { StopAll(); }

  bool local() const { return config_.kind().empty() || config_.kind() == "local"; }
  int threads() const { return options_.threads; }

  // host:port of a Reward server for `reward` (a scorer of `task`, an RM checkpoint, or an address).
  absl::StatusOr<std::string> Reward(const v1::RewardConfig& reward, const v1::TaskConfig& task,
                                     const std::string& log_dir);
  // host:port of a Reference server holding `checkpoint`.
  absl::StatusOr<std::string> Reference(const std::string& checkpoint, const std::string& log_dir);

  // The --metrics_port flag for the process `name` ("learner", "actor-2", "reward"): the same port
  // for the same name in every stage; none when the orchestrator serves no metrics.
  std::vector<std::string> MetricsFlag(const std::string& name);
  // Every process given a metrics port so far, and the orchestrator's own, as Prometheus file_sd
  // targets on 127.0.0.1 labelled with role and process.
  nlohmann::json MetricsTargets() const;

  // External with launcher.learner_agent: OK once that learner answers (waiting for it a while).
  absl::Status CheckLearnerAgent() const;

  // Restarts crashed local services; an error when one is lost for good.
  absl::Status Supervise();
  // The local services: name, address, pid and log, for run state.
  std::vector<const Service*> services() const;
  void StopAll();

 private:
  absl::StatusOr<std::string> LocalService(const std::string& name, std::vector<std::string> argv,
                                           const std::string& log_dir);

  const v1::LauncherConfig config_;
  const Options options_;
  std::map<std::string, std::unique_ptr<Service>> services_;  // by argv
  std::map<std::string, int> metrics_ports_;                   // by process name
};

// OK when a Reward / Reference / Learner server at `address` answers its health check, asking
// again for up to `patience`; otherwise an error that names the address and `role` and says what
// to check.
absl::Status CheckReachable(const std::string& role, const std::string& address,
                            absl::Duration patience = absl::ZeroDuration());

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_LAUNCHER_H_
