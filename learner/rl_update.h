// One policy update of the RL stage from a batch of rollouts: the old policy's log-probs (and the
// critic's values), advantages (GRPO group-normalized, or GAE with the KL penalty in the reward for
// PPO), then `epochs` passes of `minibatches` optimizer steps on the clipped surrogate, weighted by
// the truncated importance ratio between the old policy and the actors' behaviour policy. Samples
// whose reward is missing are masked out of every loss.
#ifndef FULCRUM_LEARNER_RL_UPDATE_H_
#define FULCRUM_LEARNER_RL_UPDATE_H_

#include <memory>
#include <string>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "core/gpt.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/optimizer.h"
#include "learner/policy_loss.h"
#include "learner/rl_batch.h"

namespace fulcrum {

// The RlConfig fields an update needs, with defaults resolved (see RlConfig's comments).
struct RlUpdateOptions {
  bool ppo = false;
  ClipOptions clip;
  LossAggregation aggregation = LossAggregation::kTokenMean;
  double importance_cap = 2.0;
  double temperature = 1.0;
  int epochs = 1;
  int minibatches = 1;
  bool scale_by_std = true;                 // GRPO
  bool drop_zero_variance_groups = false;   // GRPO
  double gamma = 1.0, lambda = 0.95;        // PPO
  double value_clip = 0.2, vf_coef = 0.5, entropy_coef = 0.0;
  uint64_t seed = 0;

  static absl::StatusOr<RlUpdateOptions> FromConfig(const v1::RlConfig& config);
};

struct RlUpdateStats {
  bool trained = false;       // false when no sample had a reward: nothing was updated
  double loss = 0, policy_loss = 0, value_loss = 0;
  double kl = 0;              // k1 estimate of KL(π || π_ref) per token; 0 without reference log-probs
  double entropy = 0;         // per token
  double clip_fraction = 0;
  double importance_weight = 0;  // mean truncated π_old / π_behaviour over completion tokens
  double grad_norm = 0;
  double reward_mean = 0;     // over samples with a reward
  int64_t samples = 0, missing = 0, zero_variance_groups = 0;
  double response_length = 0;
};

class RlUpdater {
 public:
  // `critic` (with a value head) is a separate model, or nullptr when PPO's critic is the policy's
  // own value head. The optimizers are not owned.
  RlUpdater(Gpt policy, Optimizer* optimizer, Gpt critic, Optimizer* critic_optimizer, RlUpdateOptions options);

  // `kl_coef`: GRPO's β for k3 in the loss; PPO's coefficient of k1 in the reward.
  absl::StatusOr<RlUpdateStats> Update(const RlBatch& batch, double lr, double critic_lr, double kl_coef);

 private:
  Gpt policy_;
  Optimizer* optimizer_;
  Gpt critic_;
  Optimizer* critic_optimizer_;
  RlUpdateOptions options_;
  torch::Generator generator_;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_RL_UPDATE_H_
