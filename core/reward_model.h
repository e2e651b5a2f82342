// What a reward model is in Fulcrum, shared by the RM stage that trains one and the reward_model
// scorer that serves one: a Gpt with a score head whose score of a sequence [BOS] prompt response
// [EOS] is the head's output at the last real token, plus the held-out score statistics the trainer
// stores next to each checkpoint as score_stats.json so that scores can be normalized.
#ifndef FULCRUM_CORE_REWARD_MODEL_H_
#define FULCRUM_CORE_REWARD_MODEL_H_

#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "core/gpt.h"

namespace fulcrum {

inline constexpr char kScoreStatsFile[] = "score_stats.json";

// tokens [B, T] right-padded int64, last_index [B] int64 (index of each row's last real token).
// Returns the score head's output at those positions, [B], differentiable. Right padding needs no
// key mask: under the causal mask a real token never sees the pads that follow it.
torch::Tensor LastTokenScores(Gpt& model, const torch::Tensor& tokens, const torch::Tensor& last_index);

// Mean and (population) standard deviation of a model's scores over a held-out set.
struct ScoreStats {
  double mean = 0.0;
  double std = 1.0;
  int64_t count = 0;  // Scores the statistics were taken over.
};

ScoreStats ComputeScoreStats(const torch::Tensor& scores);

// The contents of score_stats.json: {"mean", "std", "count"}.
std::string ScoreStatsJson(const ScoreStats& stats);

// Reads `checkpoint_dir`/score_stats.json. NOT_FOUND when the checkpoint has none; DATA_LOSS naming
// the file when it is malformed or its std is not a positive finite number.
absl::StatusOr<ScoreStats> ReadScoreStats(const std::string& checkpoint_dir);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_REWARD_MODEL_H_
