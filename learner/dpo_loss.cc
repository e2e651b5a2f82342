#include "learner/dpo_loss.h"

#include "core/scoring.h"

namespace fulcrum {

torch::Tensor ResponseLogProbs(Gpt& model, const PairBatch& batch) {
  return (SequenceLogProbs(model, batch.tokens) * batch.response_mask).sum(1);
}

DpoLossResult DpoLoss(const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                      const torch::Tensor& reference_chosen, const torch::Tensor& reference_rejected, double beta) {
  torch::Tensor chosen_ratio = policy_chosen - reference_chosen.detach();
  torch::Tensor rejected_ratio = policy_rejected - reference_rejected.detach();
  torch::Tensor loss = -torch::nn::functional::logsigmoid(beta * (chosen_ratio - rejected_ratio)).mean();
  return {loss, beta * chosen_ratio.detach(), beta * rejected_ratio.detach()};
}

DpoStats SummarizeDpo(const DpoLossResult& result) {
  torch::Tensor margin = result.chosen_rewards - result.rejected_rewards;
  DpoStats stats;
  stats.loss = result.loss.item<double>();
  stats.preference_accuracy = (margin > 0).to(torch::kFloat64).mean().item<double>();
  stats.reward_margin = margin.to(torch::kFloat64).mean().item<double>();
  stats.chosen_reward = result.chosen_rewards.to(torch::kFloat64).mean().item<double>();
  stats.rejected_reward = result.rejected_rewards.to(torch::kFloat64).mean().item<double>();
  return stats;
}

}  // namespace fulcrum
