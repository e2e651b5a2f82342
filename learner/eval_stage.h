// The eval stage: how good a policy checkpoint is on held-out prompts, read three ways, each judged
// by the task's gold verifier:
//   accuracy     greedy decoding, exact match;
//   pass_at_k    N sampled completions per prompt, the unbiased pass@k estimator (pass_at_k.h);
//   best_of_n    for each selector (any Reward service: a verifier, a rule, a reward model), the
//                completion it scores highest among a prompt's N, judged by the verifier.
// A completion cut off at max_new_tokens never gave a final answer: it counts as wrong and is never
// a selector's pick (it is not sent to selectors). Selectors are checked for reachability before
// any generation, so a wrong address fails in seconds, not after the sampling.
//
// Writes into out_dir: metrics.jsonl (one record, kind "eval") and summary.json.
#ifndef FULCRUM_LEARNER_EVAL_STAGE_H_
#define FULCRUM_LEARNER_EVAL_STAGE_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "actor/cancellation.h"
#include "actor/reward_client.h"
#include "core/examples.h"
#include "core/gpt.h"
#include "core/progress.h"
#include "core/sampling.h"
#include "core/tokenizer.h"
#include "fulcrum/v1/config.pb.h"
#include "tasks/task.h"

namespace fulcrum {

class EvalStage {
 public:
  // Validates the config, loads the prompts and the checkpoint, and connects to every selector;
  // a selector that cannot be reached is UNAVAILABLE naming it and its address. Progress lines go
  // to `progress` (nullptr: silent).
  static absl::StatusOr<std::unique_ptr<EvalStage>> Create(const v1::EvalConfig& config, std::ostream* progress);

  // Measures everything and returns the summary it also writes to out_dir/summary.json.
  absl::StatusOr<nlohmann::json> Run();

 private:
  struct Selector {
    std::string name;
    std::string address;
    std::unique_ptr<RewardClient> client;
  };
  // One sampled completion and the gold verifier's verdict on it.
  struct Sample {
    std::string text;
    bool finished = false;
    bool correct = false;
  };
  struct SelectorResult {
    double accuracy = 0;
    int64_t missing = 0;  // Rewards the selector did not give, of those asked for.
  };

  EvalStage() = default;
  absl::StatusOr<double> GreedyAccuracy(const ProgressMeter& meter);
  // Fills samples_ (prompt-major, n_ per prompt).
  absl::Status SampleCompletions(const ProgressMeter& meter);
  absl::StatusOr<SelectorResult> BestOfN(Selector& selector);

  v1::EvalConfig config_;
  std::ostream* progress_ = nullptr;
  std::string checkpoint_dir_;
  std::unique_ptr<Task> task_;
  Gpt model_{nullptr};
  std::unique_ptr<Tokenizer> tokenizer_;
  std::vector<RlPrompt> prompts_;
  std::vector<std::vector<int>> encoded_;
  int n_ = 0;
  std::vector<int> ks_;
  SamplingParams sampling_;
  Cancellation cancellation_;  // Never fired: the stage runs to completion or fails.
  std::vector<Selector> selectors_;
  std::vector<Sample> samples_;
};

// The index of the candidate a best-of-N selector picks: the highest score, the first of equal
// ones; a candidate without a score (missing, or NaN) never wins. -1 when none has a score.
int PickBestOfN(const std::vector<std::optional<double>>& scores);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_EVAL_STAGE_H_
