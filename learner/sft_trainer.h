// The SFT stage: masked cross-entropy on response tokens with AdamW, warmup + cosine schedule,
// clipping and gradient accumulation; periodic held-out loss and exact-match accuracy; checkpoints
// every N steps; resume from LATEST that continues exactly where the run stopped.
//
// Writes into out_dir: checkpoints/step_N/ (LATEST), metrics.jsonl (one record per step and per
// evaluation) and summary.json.
#ifndef FULCRUM_LEARNER_SFT_TRAINER_H_
#define FULCRUM_LEARNER_SFT_TRAINER_H_

#include <memory>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "core/data_cursor.h"
#include "core/examples.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/metrics_log.h"
#include "learner/optimizer.h"
#include "learner/sft_data.h"
#include "tasks/task.h"

namespace fulcrum {

class SftTrainer {
 public:
  // Validates the config, loads data and the model, and resumes from out_dir's LATEST checkpoint
  // when there is one. Progress lines go to `progress` (nullptr: silent).
  static absl::StatusOr<std::unique_ptr<SftTrainer>> Create(const v1::SftConfig& config,
                                                            std::ostream* progress);

  // Trains to config.steps and returns the summary it also writes to out_dir/summary.json.
  absl::StatusOr<nlohmann::json> Run();

  int64_t step() const { return step_; }
  Gpt& model() { return model_; }

 private:
  SftTrainer() = default;
  absl::Status Resume(const std::string& checkpoint_dir);
  absl::Status SaveCheckpoint();
  absl::StatusOr<nlohmann::json> Evaluate();
  struct StepResult {
    double loss, lr, grad_norm;
  };
  StepResult TrainStep();

  v1::SftConfig config_;
  std::ostream* progress_ = nullptr;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Task> task_;
  Gpt model_{nullptr};
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<TokenizedExample> train_, heldout_;
  std::vector<RlPrompt> heldout_prompts_;
  std::unique_ptr<DataCursor> cursor_;
  std::unique_ptr<MetricsLog> metrics_;
  int64_t step_ = 0;
  int64_t tokens_seen_ = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_SFT_TRAINER_H_
