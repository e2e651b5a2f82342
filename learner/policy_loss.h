// The RL losses, as pure tensor functions: the clipped policy surrogate (PPO / GRPO, with DAPO's
// asymmetric clip and a truncated importance weight for stale samples), the clipped value loss, and
// the KL estimators. All take [B, T] tensors and a mask of the tokens that count.
#ifndef FULCRUM_LEARNER_POLICY_LOSS_H_
#define FULCRUM_LEARNER_POLICY_LOSS_H_

#include <torch/torch.h>

namespace fulcrum {

// How per-token losses become one number: the mean over every token of the batch (DAPO's
// token-level default), or the mean over sequences of each sequence's token mean (GRPO's original).
enum class LossAggregation { kTokenMean, kSequenceMean };

torch::Tensor Aggregate(const torch::Tensor& per_token, const torch::Tensor& mask, LossAggregation how);

struct ClipOptions {
  double clip_low = 0.2;    // ratio floor 1 - clip_low
  double clip_high = 0.2;   // ratio ceiling 1 + clip_high (DAPO clip-higher: 0.28)
};

struct PolicyLoss {
  torch::Tensor loss;           // scalar, differentiable
  torch::Tensor clip_fraction;  // scalar: share of tokens whose ratio was clipped
};

// -min(ρ A, clip(ρ, 1-ε_low, 1+ε_high) A) per token, with ρ = exp(logprobs - old_logprobs).
// `weights` (may be undefined) multiply each token's loss: the truncated importance weight between
// the policy the learner updates from and the actor's behaviour policy.
PolicyLoss ClippedPolicyLoss(const torch::Tensor& logprobs, const torch::Tensor& old_logprobs,
                             const torch::Tensor& advantages, const torch::Tensor& mask,
                             const ClipOptions& clip, LossAggregation how,
                             const torch::Tensor& weights = torch::Tensor());

// 0.5 * max((V - R)^2, (clip(V, V_old ± ε) - R)^2), aggregated as the policy loss is.
torch::Tensor ClippedValueLoss(const torch::Tensor& values, const torch::Tensor& old_values,
                               const torch::Tensor& returns, const torch::Tensor& mask, double clip,
                               LossAggregation how);

// Per-token estimators of KL(π || π_ref) from samples of π (Schulman's k1, k2, k3):
// k1 = log π - log π_ref, k2 = ½ (log π - log π_ref)^2, k3 = exp(log π_ref - log π) - 1 - (log π_ref - log π).
enum class KlEstimator { kK1, kK2, kK3 };
torch::Tensor KlPerToken(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs, KlEstimator estimator);

// min(exp(old - behaviour), cap), without gradient: the truncated importance weight of samples drawn
// by a stale behaviour policy (IMPALA / AReaL's decoupled objective).
torch::Tensor TruncatedImportanceWeights(const torch::Tensor& old_logprobs, const torch::Tensor& behaviour_logprobs,
                                         double cap);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_POLICY_LOSS_H_
