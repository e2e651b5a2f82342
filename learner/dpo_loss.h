// The DPO objective (Rafailov et al. 2023): a policy and a frozen reference score both sides of a
// preference pair, and the loss -log sigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r))) pushes the
// policy's log-prob ratio toward the chosen response. Pure tensor math plus the sequence log-probs
// it consumes; the DPO trainer and its tests call it.
#ifndef FULCRUM_LEARNER_DPO_LOSS_H_
#define FULCRUM_LEARNER_DPO_LOSS_H_

#include <torch/torch.h>

#include "core/gpt.h"
#include "learner/preference_data.h"

namespace fulcrum {

// Sum of each row's response-token log-probs under `model`: [2B] (chosen rows first, as in the
// batch). Differentiable unless called under a NoGradGuard.
torch::Tensor ResponseLogProbs(Gpt& model, const PairBatch& batch);

struct DpoLossResult {
  torch::Tensor loss;              // Scalar: mean over pairs; differentiable in the policy log-probs.
  torch::Tensor chosen_rewards;    // [B] implicit rewards beta * (pi_c - ref_c), detached.
  torch::Tensor rejected_rewards;  // [B] beta * (pi_r - ref_r), detached.
};

// All inputs are [B] summed sequence log-probs; the reference ones carry no gradient.
DpoLossResult DpoLoss(const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                      const torch::Tensor& reference_chosen, const torch::Tensor& reference_rejected, double beta);

// Means over the pairs of one batch, as plain numbers for logs.
struct DpoStats {
  double loss = 0;
  double preference_accuracy = 0;  // Fraction of pairs whose chosen reward is strictly the larger.
  double reward_margin = 0;        // Mean chosen_reward - rejected_reward.
  double chosen_reward = 0;
  double rejected_reward = 0;
};
DpoStats SummarizeDpo(const DpoLossResult& result);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_DPO_LOSS_H_
