#include "learner/rl_update.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/scoring.h"
#include "core/torch_status.h"
#include "learner/advantages.h"

namespace fulcrum {
namespace {

double OrDefault(double value, double fallback) { return value > 0 ? value : fallback; }

double MaskedMean(const torch::Tensor& values, const torch::Tensor& mask) {
  return ((values * mask).sum() / mask.sum().clamp_min(1)).item<double>();
}

// Advantages whitened over the tokens that count, as PPO implementations do before the surrogate.
torch::Tensor Whiten(const torch::Tensor& values, const torch::Tensor& mask) {
  const torch::Tensor count = mask.sum().clamp_min(1);
  const torch::Tensor mean = (values * mask).sum() / count;
  const torch::Tensor var = ((values - mean).pow(2) * mask).sum() / count;
  return (values - mean) * torch::rsqrt(var + 1e-8) * mask;
}

}  // namespace

absl::StatusOr<RlUpdateOptions> RlUpdateOptions::FromConfig(const v1::RlConfig& c) {
  RlUpdateOptions o;
  if (c.algorithm() != "grpo" && c.algorithm() != "ppo") {
    return absl::InvalidArgumentError(absl::StrCat("rl.algorithm must be grpo or ppo, got '", c.algorithm(), "'"));
  }
  o.ppo = c.algorithm() == "ppo";
  o.clip.clip_low = OrDefault(c.clip_low(), 0.2);
  o.clip.clip_high = OrDefault(c.clip_high(), o.clip.clip_low);
  if (c.loss_aggregation().empty() || c.loss_aggregation() == "token_mean") {
    o.aggregation = LossAggregation::kTokenMean;
  } else if (c.loss_aggregation() == "sequence_mean") {
    o.aggregation = LossAggregation::kSequenceMean;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("rl.loss_aggregation must be token_mean or sequence_mean, got '", c.loss_aggregation(), "'"));
  }
  o.importance_cap = OrDefault(c.importance_cap(), 2.0);
  o.temperature = OrDefault(c.sampling().temperature(), 1.0);
  o.epochs = std::max(1, c.epochs());
  o.minibatches = std::max(1, c.minibatches());
  o.scale_by_std = !c.grpo().no_std_scaling();
  o.drop_zero_variance_groups = c.grpo().drop_zero_variance_groups();
  o.gamma = OrDefault(c.ppo().gamma(), 1.0);
  o.lambda = OrDefault(c.ppo().lambda(), 0.95);
  o.value_clip = OrDefault(c.ppo().value_clip(), 0.2);
  o.vf_coef = OrDefault(c.ppo().vf_coef(), 0.5);
  o.entropy_coef = c.ppo().entropy_coef();
  o.seed = c.seed();
  return o;
}

RlUpdater::RlUpdater(Gpt policy, Optimizer* optimizer, Gpt critic, Optimizer* critic_optimizer,
                     RlUpdateOptions options)
    : policy_(std::move(policy)),
      optimizer_(optimizer),
      critic_(std::move(critic)),
      critic_optimizer_(critic_optimizer),
      options_(options),
      generator_(at::detail::createCPUGenerator(options.seed)) {}

absl::StatusOr<RlUpdateStats> RlUpdater::Update(const RlBatch& b, double lr, double critic_lr, double kl_coef) {
  return TorchCall("RL update", [&]() -> RlUpdateStats {
    RlUpdateStats stats;
    const int64_t n = b.tokens.size(0);
    const torch::Tensor present = b.reward_present.to(torch::kFloat32);
    torch::Tensor mask = b.completion_mask * present.unsqueeze(1);
    stats.samples = n;
    stats.missing = n - present.sum().item<int64_t>();
    stats.response_length = static_cast<double>(b.completion_tokens) / std::max<int64_t>(1, n);
    if (stats.missing == n) return stats;
    stats.reward_mean = ((b.rewards * present).sum() / present.sum()).item<double>();
    const bool has_reference = b.reference_logprobs.defined();
    const bool shared_critic = options_.ppo && critic_.is_empty();

    // π_old: the policy before this update (and the critic's values), without gradients. One pass
    // of one minibatch needs no separate forward: π_old is the first forward's detached output.
    const bool single_pass = !options_.ppo && options_.epochs * options_.minibatches == 1;
    torch::Tensor old_logprobs, old_values;
    if (!single_pass) {
      torch::NoGradGuard no_grad;
      TokenScores old = ScoreTokens(policy_, b.tokens, options_.temperature, false, shared_critic);
      old_logprobs = old.logprobs;
      if (options_.ppo) {
        old_values = shared_critic ? old.values : ScoreTokens(critic_, b.tokens, 1.0, false, true).values;
      }
    }

    torch::Tensor advantages, returns;
    if (!options_.ppo) {
      const torch::Tensor group_present = b.reward_present.view({b.num_groups, b.group_size});
      const torch::Tensor rewards = b.rewards.view({b.num_groups, b.group_size});
      torch::Tensor per_sample = GroupAdvantages(rewards, options_.scale_by_std, 1e-6, group_present);
      const torch::Tensor big = torch::full_like(rewards, 1e30);
      const torch::Tensor spread = torch::where(group_present, rewards, -big).amax(1) -
                                   torch::where(group_present, rewards, big).amin(1);
      const torch::Tensor flat = spread <= 0;  // one reward, or all equal
      stats.zero_variance_groups = flat.sum().item<int64_t>();
      if (options_.drop_zero_variance_groups) {
        const torch::Tensor keep = (~flat).to(torch::kFloat32).repeat_interleave(b.group_size);
        mask = mask * keep.unsqueeze(1);
      }
      advantages = per_sample.reshape({n, 1}).expand_as(mask);
    } else {
      torch::NoGradGuard no_grad;
      torch::Tensor token_rewards = b.last_token * b.rewards.unsqueeze(1);
      if (has_reference && kl_coef > 0) {
        token_rewards = token_rewards - kl_coef * KlPerToken(old_logprobs, b.reference_logprobs, KlEstimator::kK1) * mask;
      }
      GaeResult gae = Gae(token_rewards, old_values, mask, options_.gamma, options_.lambda);
      advantages = Whiten(gae.advantages, mask);
      returns = gae.returns;
    }

    double grad_norm_sum = 0;
    int steps = 0;
    const int64_t per_minibatch = (n + options_.minibatches - 1) / options_.minibatches;
    for (int epoch = 0; epoch < options_.epochs; ++epoch) {
      const torch::Tensor order =
          options_.minibatches == 1 ? torch::arange(n) : torch::randperm(n, generator_, torch::kInt64);
      for (int64_t begin = 0; begin < n; begin += per_minibatch) {
        const torch::Tensor idx = order.slice(0, begin, std::min(n, begin + per_minibatch));
        const torch::Tensor m = mask.index_select(0, idx);
        if (m.sum().item<double>() == 0) continue;
        const torch::Tensor tokens = b.tokens.index_select(0, idx);
        TokenScores now = ScoreTokens(policy_, tokens, options_.temperature, true, shared_critic);
        const torch::Tensor old = single_pass ? now.logprobs.detach() : old_logprobs.index_select(0, idx);
        const torch::Tensor weights =
            TruncatedImportanceWeights(old, b.behaviour_logprobs.index_select(0, idx), options_.importance_cap);
        PolicyLoss policy = ClippedPolicyLoss(now.logprobs, old, advantages.index_select(0, idx), m, options_.clip,
                                              options_.aggregation, weights);
        torch::Tensor loss = policy.loss;
        if (has_reference) {
          const torch::Tensor ref = b.reference_logprobs.index_select(0, idx);
          if (!options_.ppo && kl_coef > 0) {
            loss = loss + kl_coef * Aggregate(KlPerToken(now.logprobs, ref, KlEstimator::kK3), m, options_.aggregation);
          }
          // Reported as k1: unbiased like k3, without k3's heavy tail when the policy has left the
          // reference far behind on a token it still samples now and then.
          stats.kl += MaskedMean(KlPerToken(now.logprobs.detach(), ref, KlEstimator::kK1), m);
        }
        if (options_.ppo && options_.entropy_coef > 0) {
          loss = loss - options_.entropy_coef * Aggregate(now.entropy, m, options_.aggregation);
        }
        torch::Tensor value_loss;
        if (options_.ppo) {
          const torch::Tensor values =
              shared_critic ? now.values : ScoreTokens(critic_, tokens, 1.0, false, true).values;
          value_loss = ClippedValueLoss(values, old_values.index_select(0, idx), returns.index_select(0, idx), m,
                                        options_.value_clip, options_.aggregation);
          stats.value_loss += value_loss.item<double>();
          if (shared_critic) loss = loss + options_.vf_coef * value_loss;
        }
        optimizer_->ZeroGrad();
        if (critic_optimizer_ != nullptr) critic_optimizer_->ZeroGrad();
        loss.backward();
        if (options_.ppo && !shared_critic) value_loss.backward();
        grad_norm_sum += optimizer_->Step(lr);
        if (critic_optimizer_ != nullptr) critic_optimizer_->Step(critic_lr);
        stats.loss += loss.item<double>();
        stats.policy_loss += policy.loss.item<double>();
        stats.clip_fraction += policy.clip_fraction.item<double>();
        stats.entropy += MaskedMean(now.entropy.detach(), m);
        stats.importance_weight += MaskedMean(weights, m);
        ++steps;
      }
    }
    if (steps == 0) return stats;  // Every sample with a reward was in a dropped group.
    stats.trained = true;
    for (double* v : {&stats.loss, &stats.policy_loss, &stats.value_loss, &stats.kl, &stats.entropy,
                      &stats.clip_fraction, &stats.importance_weight}) {
      *v /= steps;
    }
    stats.grad_norm = grad_norm_sum / steps;
    return stats;
  });
}

}  // namespace fulcrum
