// RlUpdater end to end on a tiny model, without processes: sample completions, reward them, update,
// and check the policy learned what the reward asks for, against its own rate before training.
#include "learner/rl_update.h"

#include <gtest/gtest.h>

#include "core/generation.h"
#include "learner/kl_controller.h"
#include "core/tensor_proto.h"
#include "tests/core/test_models.h"

namespace fulcrum {
namespace {

constexpr int kVocab = 32;
constexpr int kBos = 1, kPad = 0;

// Reward: 1 when the first completion token is even. A random model does that about half the time.
bool Wanted(const Completion& c) { return c.tokens[0] % 2 == 0; }

SamplingParams Sampling(uint64_t seed) {
  SamplingParams p;
  p.max_new_tokens = 3;
  p.seed = seed;
  return p;
}

double WantedRate(Gpt& model, uint64_t seed) {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int>> prompts(512, std::vector<int>{kBos, 5});
  auto completions = Generate(model, prompts, Sampling(seed)).value();
  double wanted = 0;
  for (const auto& c : completions) wanted += Wanted(c) ? 1 : 0;
  return wanted / completions.size();
}

// One batch of `groups` prompts x `g` samples from the current policy, as actors would submit it.
std::vector<RolloutGroup> Rollouts(Gpt& model, int groups, int g, uint64_t seed, bool missing_rewards = false) {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int>> prompts(groups * g, std::vector<int>{kBos, 5});
  auto completions = Generate(model, prompts, Sampling(seed)).value();
  std::vector<RolloutGroup> out(groups);
  for (int i = 0; i < groups * g; ++i) {
    const Completion& c = completions[i];
    v1::Sample s;
    for (int t : prompts[i]) s.add_prompt_tokens(t);
    for (int t : c.tokens) s.add_completion_tokens(t);
    *s.mutable_behaviour_logprobs() = TensorToProto(torch::tensor(c.logprobs));
    if (missing_rewards) {
      s.mutable_reward()->set_missing(true);
    } else {
      s.mutable_reward()->set_value(Wanted(c) ? 1.0 : 0.0);
    }
    out[i / g].samples.push_back(s);
  }
  return out;
}

double Train(Gpt model, RlUpdateOptions options, int steps) {
  v1::OptimizerConfig opt;
  opt.set_lr(3e-3);
  Optimizer optimizer(model->NamedWeights(), opt);
  RlUpdater updater(model, &optimizer, Gpt(nullptr), nullptr, options);
  for (int step = 0; step < steps; ++step) {
    RlBatch batch = MakeRlBatch(Rollouts(model, 16, 8, 100 + step), kPad, 64).value();
    auto stats = updater.Update(batch, 3e-3, 3e-3, 0.0);
    if (!stats.ok()) {
      ADD_FAILURE() << stats.status();
      return 0.0;
    }
    EXPECT_TRUE(stats->trained);
  }
  return WantedRate(model, 7);
}

TEST(RlUpdaterTest, GrpoRaisesTheRewardedBehaviour) {
  Gpt model = testing::TinyGpt(kVocab);
  const double before = WantedRate(model, 7);
  RlUpdateOptions options;
  const double after = Train(model, options, 15);
  EXPECT_GT(after, before + 0.3) << "before " << before << " after " << after;
}

TEST(RlUpdaterTest, PpoWithValueHeadRaisesTheRewardedBehaviour) {
  v1::ModelConfig config = testing::TinyConfig(kVocab);
  config.set_value_head(true);
  Gpt model(config);
  const double before = WantedRate(model, 7);
  RlUpdateOptions options;
  options.ppo = true;
  options.epochs = 2;
  options.minibatches = 2;
  const double after = Train(model, options, 15);
  EXPECT_GT(after, before + 0.3) << "before " << before << " after " << after;
}

TEST(RlUpdaterTest, PpoWithSeparateCriticRaisesTheRewardedBehaviourAndTrainsTheCritic) {
  Gpt model = testing::TinyGpt(kVocab);
  const double before = WantedRate(model, 7);
  v1::ModelConfig critic_config = testing::TinyConfig(kVocab, /*seed=*/9);
  critic_config.set_value_head(true);
  Gpt critic(critic_config);
  const torch::Tensor critic_weight = critic->NamedWeights().back().second.clone();
  v1::OptimizerConfig opt;
  opt.set_lr(3e-3);
  Optimizer optimizer(model->NamedWeights(), opt), critic_optimizer(critic->NamedWeights(), opt);
  RlUpdateOptions options;
  options.ppo = true;
  RlUpdater updater(model, &optimizer, critic, &critic_optimizer, options);
  for (int step = 0; step < 15; ++step) {
    RlBatch batch = MakeRlBatch(Rollouts(model, 16, 8, 100 + step), kPad, 64).value();
    auto stats = updater.Update(batch, 3e-3, 3e-3, 0.0);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_GT(stats->value_loss, 0.0);
  }
  const double after = WantedRate(model, 7);
  EXPECT_GT(after, before + 0.3) << "before " << before << " after " << after;
  EXPECT_FALSE(torch::equal(critic->NamedWeights().back().second, critic_weight));
}

TEST(KlControllerTest, FixedWithoutTargetAndMovesTowardTheTarget) {
  KlController fixed(0.1, 0.0, 0.0);
  fixed.Update(5.0, 1000);
  EXPECT_DOUBLE_EQ(fixed.coef(), 0.1);
  // KL above target by more than 20 %: the error is clipped to 0.2, scaled by n / horizon.
  KlController adaptive(0.1, 1.0, 1000);
  adaptive.Update(3.0, 500);
  EXPECT_DOUBLE_EQ(adaptive.coef(), 0.1 * (1 + 0.2 * 0.5));
  adaptive.Update(0.9, 1000);  // 10 % below target
  EXPECT_DOUBLE_EQ(adaptive.coef(), 0.1 * 1.1 * (1 - 0.1));
}

TEST(RlUpdaterTest, BatchWithoutRewardsTrainsNothing) {
  Gpt model = testing::TinyGpt(kVocab);
  const torch::Tensor weight_before = model->NamedWeights()[0].second.clone();
  v1::OptimizerConfig opt;
  opt.set_lr(1e-2);
  Optimizer optimizer(model->NamedWeights(), opt);
  RlUpdater updater(model, &optimizer, Gpt(nullptr), nullptr, RlUpdateOptions());
  RlBatch batch = MakeRlBatch(Rollouts(model, 2, 4, 1, /*missing_rewards=*/true), kPad, 64).value();
  auto stats = updater.Update(batch, 1e-2, 1e-2, 0.0);
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->trained);
  EXPECT_EQ(stats->missing, 8);
  EXPECT_TRUE(torch::equal(model->NamedWeights()[0].second, weight_before));
}

TEST(RlBatchTest, AlignsCompletionColumnsWithSequenceLogProbs) {
  RolloutGroup group;
  v1::Sample s;
  for (int t : {1, 5, 6}) s.add_prompt_tokens(t);
  for (int t : {7, 2}) s.add_completion_tokens(t);
  *s.mutable_behaviour_logprobs() = TensorToProto(torch::tensor({-0.5f, -0.25f}));
  s.mutable_reward()->set_value(1);
  group.samples = {s, s};
  group.samples[1].mutable_reward()->set_missing(true);
  RlBatch b = MakeRlBatch({group}, kPad, 64).value();
  // Tokens 1 5 6 | 7 2: column c predicts token c+1, so the completion sits in columns 2 and 3.
  EXPECT_TRUE(torch::equal(b.completion_mask[0], torch::tensor({0.f, 0.f, 1.f, 1.f})));
  EXPECT_TRUE(torch::equal(b.last_token[0], torch::tensor({0.f, 0.f, 0.f, 1.f})));
  EXPECT_TRUE(torch::equal(b.behaviour_logprobs[0], torch::tensor({0.f, 0.f, -0.5f, -0.25f})));
  EXPECT_TRUE(b.reward_present[0].item<bool>());
  EXPECT_FALSE(b.reward_present[1].item<bool>());
  EXPECT_EQ(b.completion_tokens, 4);
}

}  // namespace
}  // namespace fulcrum
