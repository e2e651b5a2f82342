// Teacher-forced scoring: per-token log-probs of given sequences. The learner calls the tensor
// form inside its losses; the reference server and tests call the batch form.
#ifndef FULCRUM_CORE_SCORING_H_
#define FULCRUM_CORE_SCORING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/gpt.h"

namespace fulcrum {

// Right-pads sequences into [B, T] int64 (T = longest); mask [B, T] is true on real tokens.
struct PaddedBatch {
  torch::Tensor tokens;
  torch::Tensor mask;
};
PaddedBatch RightPad(const std::vector<std::vector<int>>& sequences, int pad_id);

// Log-probs of tokens[:, 1:] given their prefixes, [B, T-1], differentiable. Right padding needs
// no key mask: under the causal mask real tokens never see the pads that follow them.
torch::Tensor SequenceLogProbs(Gpt& model, const torch::Tensor& tokens, double temperature = 1.0);

// SequenceLogProbs with more of the same forward pass: the entropy of each next-token distribution
// (temperature-scaled) and the value head's estimate at each of those positions. All [B, T-1],
// differentiable; entropy / values undefined unless asked for (values need config.value_head).
struct TokenScores {
  torch::Tensor logprobs;
  torch::Tensor entropy;
  torch::Tensor values;
};
TokenScores ScoreTokens(Gpt& model, const torch::Tensor& tokens, double temperature, bool with_entropy,
                        bool with_values);

// For each sequence, the log-probs of its tokens from prompt_lens[i] on (one per completion token).
absl::StatusOr<std::vector<std::vector<float>>> ScoreCompletions(
    Gpt& model, const std::vector<std::vector<int>>& sequences, const std::vector<int>& prompt_lens,
    double temperature = 1.0);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_SCORING_H_
