// The reward-model stage: Bradley–Terry on preference pairs, -log sigmoid(s_chosen - s_rejected),
// where s is the score head at each sequence's last token (core/reward_model.h). The trunk starts
// from init_from's checkpoint and the score head is new. AdamW with warmup + cosine, periodic
// held-out pairwise accuracy, checkpoints every N steps, resume from LATEST that continues exactly
// where the run stopped.
//
// Writes into out_dir: checkpoints/step_N/ (LATEST; each with score_stats.json, the held-out score
// mean and std of its weights), metrics.jsonl (one record per step and per evaluation) and
// summary.json.
#ifndef FULCRUM_LEARNER_RM_TRAINER_H_
#define FULCRUM_LEARNER_RM_TRAINER_H_

#include <memory>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "core/data_cursor.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/metrics_log.h"
#include "learner/optimizer.h"
#include "learner/preference_data.h"

namespace fulcrum {

class RmTrainer {
 public:
  // Validates the config, loads data and the model, and resumes from out_dir's LATEST checkpoint
  // when there is one. Progress lines go to `progress` (nullptr: silent).
  static absl::StatusOr<std::unique_ptr<RmTrainer>> Create(const v1::RmConfig& config, std::ostream* progress);

  // Trains to config.steps and returns the summary it also writes to out_dir/summary.json.
  absl::StatusOr<nlohmann::json> Run();

  int64_t step() const { return step_; }
  Gpt& model() { return model_; }

 private:
  RmTrainer() = default;
  absl::Status Resume(const std::string& checkpoint_dir);
  absl::Status SaveCheckpoint(const nlohmann::json& eval);
  // Held-out record: pairwise accuracy, loss, margin and the score mean / std, at step_.
  nlohmann::json Evaluate();
  struct StepResult {
    double loss, accuracy, margin, lr, grad_norm;
  };
  StepResult TrainStep();

  v1::RmConfig config_;
  std::ostream* progress_ = nullptr;
  std::unique_ptr<Tokenizer> tokenizer_;
  Gpt model_{nullptr};
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<TokenizedPair> train_, heldout_;
  std::unique_ptr<DataCursor> cursor_;
  std::unique_ptr<MetricsLog> metrics_;
  int64_t step_ = 0;
  nlohmann::json accuracy_before_;  // held-out pairwise accuracy of the initial model
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_RM_TRAINER_H_
