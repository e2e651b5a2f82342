// A stage process that a serving learner (`fulcrum-learner --serve`, StageRunner) runs for the
// orchestrator: started, polled and stopped over gRPC, like a local Child. Its log is written by
// the learner to a path on the volume both share, so the orchestrator reads it as a local one.
#ifndef FULCRUM_ORCHESTRATOR_REMOTE_STAGE_H_
#define FULCRUM_ORCHESTRATOR_REMOTE_STAGE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/child.h"
#include "fulcrum/v1/stage_runner.grpc.pb.h"

namespace fulcrum {

class RemoteStage : public Process {
 public:
  // Asks the learner at `runner` to run fulcrum-learner with `args` (its flags), logging to `log_path`.
  // The learner stops a stage still running there (left by an orchestrator that died) first.
  static absl::StatusOr<std::unique_ptr<RemoteStage>> Start(const std::string& runner,
                                                            const std::vector<std::string>& args,
                                                            const std::string& log_path);
  ~RemoteStage() override;  // Stops a stage still running.

  pid_t pid() const override { return pid_; }  // In the learner's container.
  // The exit code once ended. While the learner does not answer, nullopt for up to a minute, then
  // 255 (the stage is lost); a learner that restarted and holds no stage answers 255 at once.
  std::optional<int> Poll() override;
  int Stop(absl::Duration grace) override;

 private:
  RemoteStage(std::string runner, std::unique_ptr<v1::StageRunner::Stub> stub, pid_t pid)
      : runner_(std::move(runner)), stub_(std::move(stub)), pid_(pid) {}

  const std::string runner_;
  std::unique_ptr<v1::StageRunner::Stub> stub_;
  pid_t pid_;
  std::optional<int> exit_code_;
  absl::Time unreachable_since_ = absl::InfiniteFuture();
};

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_REMOTE_STAGE_H_
