// The StageRunner service of a long-lived learner (`fulcrum-learner --serve`): runs the stages the
// orchestrator hands it one at a time, each as a child `fulcrum-learner` process with the
// orchestrator's flags plus this learner's own --host, --port (the stage port actors reach) and
// --metrics_port. Stopping the service stops a stage still running.
#ifndef FULCRUM_LEARNER_STAGE_RUNNER_H_
#define FULCRUM_LEARNER_STAGE_RUNNER_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/child.h"
#include "fulcrum/v1/stage_runner.grpc.pb.h"

namespace fulcrum {

class StageRunner final : public v1::StageRunner::CallbackService {
 public:
  struct Options {
    std::string binary;    // The fulcrum-learner to run stages with.
    std::string host;      // --host of every stage process.
    int stage_port = 0;    // --port of every stage process.
    int metrics_port = 0;  // --metrics_port of every stage process.
  };
  explicit StageRunner(Options options);
  ~StageRunner() override;

  grpc::ServerUnaryReactor* StartStage(grpc::CallbackServerContext* context, const v1::StartStageRequest* request,
                                       v1::StageState* response) override;
  grpc::ServerUnaryReactor* GetStage(grpc::CallbackServerContext* context, const v1::GetStageRequest* request,
                                     v1::StageState* response) override;
  grpc::ServerUnaryReactor* StopStage(grpc::CallbackServerContext* context, const v1::StopStageRequest* request,
                                      v1::StageState* response) override;

 private:
  struct ForkRequest {
    std::vector<std::string> argv;
    std::string log_path;
    std::optional<absl::StatusOr<std::unique_ptr<Child>>> result;
  };

  absl::StatusOr<v1::StageState> Start(const v1::StartStageRequest& request);
  v1::StageState State() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the child on forker_: a child gets SIGTERM when the thread that forked it ends
  // (PR_SET_PDEATHSIG), and gRPC's callback threads come and go.
  absl::StatusOr<std::unique_ptr<Child>> Fork(std::vector<std::string> argv, const std::string& log_path);
  void ForkLoop();

  const Options options_;
  absl::Mutex mu_;
  std::unique_ptr<Child> child_ ABSL_GUARDED_BY(mu_);
  absl::Mutex fork_mu_;
  ForkRequest* fork_request_ ABSL_GUARDED_BY(fork_mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(fork_mu_) = false;
  std::thread forker_;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_STAGE_RUNNER_H_
