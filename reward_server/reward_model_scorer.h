// Scores completions with a trained reward model (the RM stage's checkpoint, core/reward_model.h):
// each item becomes [BOS] prompt completion [EOS], tokenized with the checkpoint's tokenizer as in
// training, and its reward is the score head's output at EOS, optionally normalized to
// (score - mean) / std with the held-out statistics stored in the checkpoint's score_stats.json.
// The raw score is also reported as component "score". A request is scored in batched forward
// passes; items that cannot be tokenized or do not fit the model come back missing with a reason.
// Built by MakeScorer for scorer "reward_model". Thread-safe: scoring only reads the model.
#ifndef FULCRUM_REWARD_SERVER_REWARD_MODEL_SCORER_H_
#define FULCRUM_REWARD_SERVER_REWARD_MODEL_SCORER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/gpt.h"
#include "core/reward_model.h"
#include "core/tokenizer.h"
#include "reward_server/scorer.h"

namespace fulcrum {

class RewardModelScorer final : public Scorer {
 public:
  struct Options {
    std::string checkpoint;  // A checkpoint directory, or a root whose LATEST names one.
    bool normalize = false;  // Needs score_stats.json in the checkpoint.
    int max_forward_batch = 64;  // Sequences per forward pass; the deadline is checked between passes.
  };

  // Errors name the checkpoint: not found, not a model, no score head, or (with normalize) no
  // usable score_stats.json.
  static absl::StatusOr<std::unique_ptr<RewardModelScorer>> Create(const Options& options);

  std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items, absl::Time deadline) const override;

  const ScoreStats& stats() const { return stats_; }

 private:
  RewardModelScorer(Gpt model, std::unique_ptr<Tokenizer> tokenizer, bool normalize, ScoreStats stats,
                    int max_forward_batch);

  // [BOS] prompt completion [EOS], or why the item cannot be scored.
  absl::StatusOr<std::vector<int>> Sequence(const fulcrum::v1::ScoreItem& item) const;

  // Forward passes only read the weights (under NoGradGuard), so concurrent ScoreBatch calls may
  // share the module; LibTorch's Module API is simply not const.
  mutable Gpt model_;
  const std::unique_ptr<Tokenizer> tokenizer_;
  const bool normalize_;
  const ScoreStats stats_;
  const int max_forward_batch_;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_REWARD_MODEL_SCORER_H_
