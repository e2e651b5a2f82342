// Advantage estimators of the RL stage, as pure tensor functions tested against hand-computed cases.
#ifndef FULCRUM_LEARNER_ADVANTAGES_H_
#define FULCRUM_LEARNER_ADVANTAGES_H_

#include <torch/torch.h>

namespace fulcrum {

// GRPO: rewards [num_groups, G] → advantages [num_groups, G], the reward minus its group's mean,
// divided by the group's standard deviation (unbiased, + eps) when scale_by_std (Dr. GRPO turns it
// off). A group whose rewards are all equal gets advantage 0 everywhere. `present` [num_groups, G]
// (bool, optional) marks the rewards that exist: missing ones take no part in their group's mean
// and std and get advantage 0.
torch::Tensor GroupAdvantages(const torch::Tensor& rewards, bool scale_by_std, double eps = 1e-6,
                              const torch::Tensor& present = torch::Tensor());

// GAE(γ, λ) over [B, T] per-token rewards and values; mask [B, T] marks real tokens, the value after
// a sequence's last real token is 0 (episodes end there). Returns {advantages, returns = adv + values},
// both 0 on padding.
struct GaeResult {
  torch::Tensor advantages;
  torch::Tensor returns;
};
GaeResult Gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& mask,
              double gamma, double lambda);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_ADVANTAGES_H_
