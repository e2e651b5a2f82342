#include "learner/policy_loss.h"

namespace fulcrum {

torch::Tensor Aggregate(const torch::Tensor& per_token, const torch::Tensor& mask, LossAggregation how) {
  torch::Tensor m = mask.to(per_token.scalar_type());
  if (how == LossAggregation::kTokenMean) return (per_token * m).sum() / m.sum().clamp_min(1);
  torch::Tensor per_sequence = (per_token * m).sum(1) / m.sum(1).clamp_min(1);
  torch::Tensor has_tokens = (m.sum(1) > 0).to(per_token.scalar_type());
  return (per_sequence * has_tokens).sum() / has_tokens.sum().clamp_min(1);
}

PolicyLoss ClippedPolicyLoss(const torch::Tensor& logprobs, const torch::Tensor& old_logprobs,
                             const torch::Tensor& advantages, const torch::Tensor& mask,
                             const ClipOptions& clip, LossAggregation how, const torch::Tensor& weights) {
  torch::Tensor ratio = torch::exp(logprobs - old_logprobs.detach());
  torch::Tensor clipped = ratio.clamp(1.0 - clip.clip_low, 1.0 + clip.clip_high);
  torch::Tensor adv = advantages.detach();
  torch::Tensor per_token = -torch::min(ratio * adv, clipped * adv);
  if (weights.defined()) per_token = per_token * weights.detach();
  torch::Tensor loss = Aggregate(per_token, mask, how);
  torch::NoGradGuard no_grad;
  torch::Tensor was_clipped = (ratio * adv > clipped * adv).to(torch::kFloat32);
  return {loss, Aggregate(was_clipped, mask, LossAggregation::kTokenMean)};
}

torch::Tensor ClippedValueLoss(const torch::Tensor& values, const torch::Tensor& old_values,
                               const torch::Tensor& returns, const torch::Tensor& mask, double clip,
                               LossAggregation how) {
  torch::Tensor old = old_values.detach(), target = returns.detach();
  torch::Tensor clipped = old + (values - old).clamp(-clip, clip);
  torch::Tensor per_token = 0.5 * torch::max((values - target).pow(2), (clipped - target).pow(2));
  return Aggregate(per_token, mask, how);
}

torch::Tensor KlPerToken(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs, KlEstimator estimator) {
  torch::Tensor log_ratio = logprobs - ref_logprobs.detach();
  switch (estimator) {
    case KlEstimator::kK1:
      return log_ratio;
    case KlEstimator::kK2:
      return 0.5 * log_ratio.pow(2);
    case KlEstimator::kK3:
      return torch::exp(-log_ratio) - 1 + log_ratio;
  }
  return log_ratio;
}

torch::Tensor TruncatedImportanceWeights(const torch::Tensor& old_logprobs, const torch::Tensor& behaviour_logprobs,
                                         double cap) {
  torch::NoGradGuard no_grad;
  return torch::exp(old_logprobs - behaviour_logprobs).clamp_max(cap);
}

}  // namespace fulcrum
