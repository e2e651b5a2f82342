#include <gtest/gtest.h>

#include "learner/advantages.h"
#include "learner/policy_loss.h"
#include "learner/staleness_policy.h"

namespace fulcrum {
namespace {

torch::Tensor T(std::vector<float> values, int64_t rows) {
  return torch::tensor(values).view({rows, -1});
}

TEST(GroupAdvantagesTest, MatchesHandComputedGroups) {
  // Group 1: rewards 1,0,0,1 → mean 0.5, unbiased std sqrt(1/3) → ±0.5·sqrt(3) = ±0.8660.
  // Group 2: all equal → zero advantage (it teaches nothing).
  torch::Tensor rewards = T({1, 0, 0, 1, 2, 2, 2, 2}, 2);
  torch::Tensor scaled = GroupAdvantages(rewards, true, 0.0);
  const float a = 0.5f * std::sqrt(3.0f);
  EXPECT_TRUE(torch::allclose(scaled, T({a, -a, -a, a, 0, 0, 0, 0}, 2), 1e-5, 1e-5)) << scaled;
  torch::Tensor centered = GroupAdvantages(rewards, false);
  EXPECT_TRUE(torch::allclose(centered, T({0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0}, 2)));
}

TEST(GroupAdvantagesTest, MissingRewardsTakeNoPartAndGetZero) {
  // Group 1: rewards 1, (missing), 0 → mean 0.5, std sqrt(0.5) → ±0.5/sqrt(0.5) = ±0.7071.
  // Group 2: one reward left → no spread to learn from.
  torch::Tensor rewards = T({1, 7, 0, 3, 9, 9}, 2);
  torch::Tensor present = torch::tensor({true, false, true, true, false, false}).view({2, 3});
  const float a = 0.5f / std::sqrt(0.5f);
  torch::Tensor scaled = GroupAdvantages(rewards, true, 0.0, present);
  EXPECT_TRUE(torch::allclose(scaled, T({a, 0, -a, 0, 0, 0}, 2), 1e-5, 1e-5)) << scaled;
  EXPECT_TRUE(torch::allclose(GroupAdvantages(rewards, false, 0.0, present), T({0.5, 0, -0.5, 0, 0, 0}, 2)));
}

TEST(GaeTest, MatchesHandComputedRecursionAndStopsAtPadding) {
  // One sequence of 3 real tokens then 1 pad; reward 1 on the last real token.
  // gamma 0.9, lambda 0.8, values 0.5, 0.4, 0.3:
  //   δ2 = 1 + 0 - 0.3 = 0.7                      A2 = 0.7
  //   δ1 = 0 + 0.9·0.3 - 0.4 = -0.13              A1 = -0.13 + 0.72·0.7 = 0.374
  //   δ0 = 0 + 0.9·0.4 - 0.5 = -0.14              A0 = -0.14 + 0.72·0.374 = 0.12928
  torch::Tensor rewards = T({0, 0, 1, 5}, 1);
  torch::Tensor values = T({0.5, 0.4, 0.3, 9}, 1);
  torch::Tensor mask = torch::tensor({true, true, true, false}).view({1, 4});
  GaeResult gae = Gae(rewards, values, mask, 0.9, 0.8);
  EXPECT_TRUE(torch::allclose(gae.advantages, T({0.12928f, 0.374f, 0.7f, 0}, 1), 1e-5, 1e-6)) << gae.advantages;
  EXPECT_TRUE(torch::allclose(gae.returns, T({0.62928f, 0.774f, 1.0f, 0}, 1), 1e-5, 1e-6)) << gae.returns;
}

TEST(GaeTest, LambdaOneGivesDiscountedReturnsMinusValues) {
  torch::Tensor rewards = T({1, 2, 3}, 1), values = T({0.1, 0.2, 0.3}, 1);
  GaeResult gae = Gae(rewards, values, torch::ones({1, 3}, torch::kBool), 0.5, 1.0);
  // Returns: 3; 2 + 0.5·3 = 3.5; 1 + 0.5·3.5 = 2.75.
  EXPECT_TRUE(torch::allclose(gae.returns, T({2.75, 3.5, 3}, 1), 1e-5, 1e-6));
}

TEST(ClippedPolicyLossTest, ValuesAndGradientsMatchTheClippedSurrogate) {
  // Token 0: ratio e^0.5 ≈ 1.6487 with A = +1 → clipped at 1.2, no gradient.
  // Token 1: ratio e^-0.1 ≈ 0.9048 with A = -2 → unclipped: loss 1.8097, d/dlogp = -A·ρ = 1.8097.
  // Token 2: masked out.
  torch::Tensor logprobs = torch::tensor({0.5f, -0.1f, 3.0f}).view({1, 3}).requires_grad_(true);
  torch::Tensor old = torch::zeros({1, 3});
  torch::Tensor adv = T({1, -2, 7}, 1);
  torch::Tensor mask = torch::tensor({true, true, false}).view({1, 3});
  PolicyLoss loss = ClippedPolicyLoss(logprobs, old, adv, mask, {0.2, 0.2}, LossAggregation::kTokenMean);
  const double rho1 = std::exp(-0.1);
  EXPECT_NEAR(loss.loss.item<double>(), (-1.2 + 2 * rho1) / 2, 1e-5);
  EXPECT_NEAR(loss.clip_fraction.item<double>(), 0.5, 1e-6);
  loss.loss.backward();
  torch::Tensor grad = logprobs.grad();
  EXPECT_NEAR(grad[0][0].item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(grad[0][1].item<double>(), 2 * rho1 / 2, 1e-5);
  EXPECT_NEAR(grad[0][2].item<double>(), 0.0, 1e-7);
}

TEST(ClippedPolicyLossTest, ClipHigherWidensOnlyTheUpperBound) {
  torch::Tensor logprobs = torch::full({1, 1}, std::log(1.25f));
  torch::Tensor adv = torch::ones({1, 1});
  torch::Tensor mask = torch::ones({1, 1}, torch::kBool);
  auto symmetric = ClippedPolicyLoss(logprobs, torch::zeros({1, 1}), adv, mask, {0.2, 0.2}, LossAggregation::kTokenMean);
  auto higher = ClippedPolicyLoss(logprobs, torch::zeros({1, 1}), adv, mask, {0.2, 0.28}, LossAggregation::kTokenMean);
  EXPECT_NEAR(symmetric.loss.item<double>(), -1.2, 1e-5);
  EXPECT_NEAR(higher.loss.item<double>(), -1.25, 1e-5);
}

TEST(AggregateTest, TokenMeanAndSequenceMeanDiffer) {
  // Sequence 0 has 1 token (loss 4), sequence 1 has 3 tokens (loss 0 each).
  torch::Tensor per_token = T({4, 9, 9, 0, 0, 0}, 2);
  torch::Tensor mask = torch::tensor({true, false, false, true, true, true}).view({2, 3});
  EXPECT_NEAR(Aggregate(per_token, mask, LossAggregation::kTokenMean).item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(Aggregate(per_token, mask, LossAggregation::kSequenceMean).item<double>(), 2.0, 1e-6);
}

TEST(KlEstimatorTest, HandComputedValuesAndK3IsNonNegative) {
  torch::Tensor lp = T({-1.0, -2.0}, 1), ref = T({-1.5, -1.0}, 1);
  // log ratios 0.5 and -1.
  EXPECT_TRUE(torch::allclose(KlPerToken(lp, ref, KlEstimator::kK1), T({0.5, -1.0}, 1)));
  EXPECT_TRUE(torch::allclose(KlPerToken(lp, ref, KlEstimator::kK2), T({0.125, 0.5}, 1)));
  torch::Tensor k3 = KlPerToken(lp, ref, KlEstimator::kK3);
  EXPECT_NEAR(k3[0][0].item<double>(), std::exp(-0.5) - 1 + 0.5, 1e-6);
  EXPECT_NEAR(k3[0][1].item<double>(), std::exp(1.0) - 1 - 1, 1e-5);
  EXPECT_TRUE((KlPerToken(torch::randn({4, 50}), torch::randn({4, 50}), KlEstimator::kK3) >= 0).all().item<bool>());
}

TEST(KlEstimatorTest, K3IsAnUnbiasedEstimateOfTheTrueKl) {
  // π = softmax(a), π_ref = softmax(b) over 5 tokens; the mean of k3 over samples of π → KL(π || π_ref).
  torch::manual_seed(1);
  torch::Tensor a = torch::randn({5}), b = torch::randn({5});
  torch::Tensor log_p = a.log_softmax(0), log_q = b.log_softmax(0);
  const double exact = (log_p.exp() * (log_p - log_q)).sum().item<double>();
  torch::Tensor samples = torch::multinomial(log_p.exp(), 200000, true);
  torch::Tensor k3 = KlPerToken(log_p.index_select(0, samples), log_q.index_select(0, samples), KlEstimator::kK3);
  EXPECT_NEAR(k3.mean().item<double>(), exact, 0.01);
}

TEST(ClippedValueLossTest, TakesTheWorseOfClippedAndUnclipped) {
  // V = 2, V_old = 0, R = 1, clip 0.5: unclipped (2-1)^2 = 1, clipped V' = 0.5 → (0.5-1)^2 = 0.25.
  torch::Tensor loss = ClippedValueLoss(T({2}, 1), T({0}, 1), T({1}, 1), torch::ones({1, 1}, torch::kBool), 0.5,
                                        LossAggregation::kTokenMean);
  EXPECT_NEAR(loss.item<double>(), 0.5, 1e-6);
}

TEST(TruncatedImportanceWeightsTest, CapsTheRatio) {
  torch::Tensor w = TruncatedImportanceWeights(T({0.0, 1.0, -1.0}, 1), T({0.0, 0.0, 0.0}, 1), 2.0);
  EXPECT_TRUE(torch::allclose(w, T({1.0f, 2.0f, std::exp(-1.0f)}, 1), 1e-6, 1e-6));
}

TEST(StalenessPolicyTest, OnPolicyAcceptsOnlyTheCurrentVersion) {
  StalenessPolicy policy(0);
  EXPECT_TRUE(policy.Accepts(5, 5));
  EXPECT_FALSE(policy.Accepts(4, 5));
  EXPECT_FALSE(policy.Accepts(6, 5));
  EXPECT_TRUE(policy.MustRefresh(4, 5));
  EXPECT_FALSE(policy.MustRefresh(5, 5));
}

TEST(StalenessPolicyTest, BoundedStalenessAcceptsLagUpToK) {
  StalenessPolicy policy(2);
  EXPECT_TRUE(policy.Accepts(3, 5));
  EXPECT_FALSE(policy.Accepts(2, 5));
  EXPECT_EQ(policy.MinPolicyVersion(5), 3);
  EXPECT_EQ(policy.MinPolicyVersion(1), 0);
  EXPECT_FALSE(policy.MustRefresh(3, 5));
  EXPECT_TRUE(policy.MustRefresh(2, 5));
  EXPECT_EQ(StalenessPolicy(-3).max_staleness(), 0);
}

}  // namespace
}  // namespace fulcrum
