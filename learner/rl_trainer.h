// The RL stage of the learner (GRPO or PPO): publishes policy versions, hands out work through the
// RolloutCoordinator (served to actors by LearnerServer), takes batches of scored rollouts, updates
// the policy with RlUpdater, runs held-out evaluation through the actors (greedy, judged by the
// task's verifier here), checkpoints and resumes.
//
// Writes into out_dir: checkpoints/step_N/ (LATEST), metrics.jsonl (one record per update and per
// evaluation) and summary.json.
#ifndef FULCRUM_LEARNER_RL_TRAINER_H_
#define FULCRUM_LEARNER_RL_TRAINER_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "core/examples.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/kl_controller.h"
#include "learner/metrics_log.h"
#include "learner/optimizer.h"
#include "learner/rl_update.h"
#include "learner/rollout_coordinator.h"
#include "learner/weight_publisher.h"
#include "tasks/task.h"

namespace fulcrum {

class RlTrainer {
 public:
  // Validates the config, loads prompts and the policy (from out_dir's LATEST checkpoint when there
  // is one, else from policy_init). Progress lines go to `progress` (nullptr: silent).
  static absl::StatusOr<std::unique_ptr<RlTrainer>> Create(const v1::RlConfig& config, std::ostream* progress);

  // What LearnerServer serves.
  RolloutCoordinator& coordinator() { return *coordinator_; }
  WeightPublisher& publisher() { return publisher_; }

  // Trains to config.steps and returns the summary it also writes to out_dir/summary.json. Ends the
  // stage for the actors (stage_finished) when it returns, successfully or not.
  absl::StatusOr<nlohmann::json> Run();

  // Makes Run return CANCELLED soon, from any thread (a shutdown signal).
  void Stop() { coordinator_->Finish(); }

 private:
  RlTrainer() = default;
  absl::Status Resume(const std::string& checkpoint_dir);
  absl::Status SaveCheckpoint();
  absl::Status Publish();
  double Accuracy(const std::vector<EvalSample>& samples) const;
  absl::StatusOr<double> Evaluate();  // Blocking: a full round at the current version.
  void CollectFinishedEvals();
  absl::Status TrainStep(int* missing_streak);

  v1::RlConfig config_;
  std::ostream* progress_ = nullptr;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Task> task_;
  Gpt policy_{nullptr}, critic_{nullptr};
  std::unique_ptr<Optimizer> optimizer_, critic_optimizer_;
  std::unique_ptr<RlUpdater> updater_;
  std::unique_ptr<KlController> kl_;
  std::vector<RlPrompt> heldout_;
  std::unique_ptr<RolloutCoordinator> coordinator_;
  WeightPublisher publisher_;
  std::unique_ptr<MetricsLog> metrics_;

  int64_t step_ = 0;
  std::optional<double> accuracy_before_;
  std::vector<double> rewards_;                          // reward_mean of every update
  std::vector<std::pair<int64_t, int64_t>> eval_rounds_;  // (step, round) not yet back
  double last_kl_ = 0;
  std::optional<double> last_accuracy_;
  int64_t samples_trained_ = 0;
  double wait_s_ = 0, learn_s_ = 0, publish_s_ = 0, eval_s_ = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_RL_TRAINER_H_
