// The offline DPO stage: learns from preference pairs (prompt, chosen, rejected) without a reward
// model or sampling. The policy starts from policy_init; a frozen copy of policy_init is the
// reference whose log-probs anchor the implicit rewards beta * (log pi - log ref). AdamW with
// warmup + cosine; periodic held-out preference accuracy / reward margin and greedy exact-match
// accuracy; checkpoints every N steps; resume from LATEST that continues where the run stopped.
//
// Writes into out_dir: checkpoints/step_N/ (LATEST), metrics.jsonl (one record per step and per
// evaluation) and summary.json. See docs/dpo.md.
#ifndef FULCRUM_LEARNER_DPO_TRAINER_H_
#define FULCRUM_LEARNER_DPO_TRAINER_H_

#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "core/data_cursor.h"
#include "core/examples.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/dpo_loss.h"
#include "learner/metrics_log.h"
#include "learner/optimizer.h"
#include "learner/preference_data.h"
#include "tasks/task.h"

namespace fulcrum {

class DpoTrainer {
 public:
  // Validates the config, loads data, the policy and the reference, and resumes from out_dir's
  // LATEST checkpoint when there is one. Progress lines go to `progress` (nullptr: silent).
  static absl::StatusOr<std::unique_ptr<DpoTrainer>> Create(const v1::DpoConfig& config, std::ostream* progress);

  // Trains to config.steps and returns the summary it also writes to out_dir/summary.json.
  absl::StatusOr<nlohmann::json> Run();

  int64_t step() const { return step_; }
  Gpt& policy() { return policy_; }
  Gpt& reference() { return reference_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  DpoTrainer() = default;
  absl::Status Resume(const std::string& checkpoint_dir);
  absl::Status SaveCheckpoint();
  absl::StatusOr<nlohmann::json> Evaluate();
  struct StepResult {
    DpoStats stats;
    double lr, grad_norm;
  };
  StepResult TrainStep();

  v1::DpoConfig config_;
  double beta_ = 0.1;
  std::ostream* progress_ = nullptr;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Task> task_;
  Gpt policy_{nullptr};
  Gpt reference_{nullptr};  // Frozen: never in the optimizer, no gradients.
  std::string reference_dir_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<TokenizedPair> train_, heldout_;
  torch::Tensor heldout_reference_;  // [2N]: the reference's summed response log-probs, computed once.
  std::vector<RlPrompt> heldout_prompts_;
  std::unique_ptr<DataCursor> cursor_;
  std::unique_ptr<MetricsLog> metrics_;
  int64_t step_ = 0;
  std::deque<double> recent_losses_;  // The summary's train_loss (single steps are noisy); checkpointed.
  std::optional<double> accuracy_before_;  // Held-out exact match of policy_init, kept across resumes.
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_DPO_TRAINER_H_
