#include "learner/dpo_loss.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/char_tokenizer.h"
#include "core/model_config.h"
#include "core/scoring.h"

namespace fulcrum {
namespace {

torch::Tensor Values(std::vector<float> v, bool requires_grad) {
  return torch::tensor(v, torch::kFloat32).set_requires_grad(requires_grad);
}

double Softplus(double x) { return std::log1p(std::exp(x)); }
double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// beta = 0.5. Pair 0: chosen ratio +1, rejected ratio -1, z = 0.5 * 2 = 1.
// Pair 1: chosen ratio 0, rejected ratio +1, z = 0.5 * -1 = -0.5.
TEST(DpoLossTest, LossRewardsAndGradientMatchAHandComputedCase) {
  torch::Tensor policy_chosen = Values({-1, -2}, true), policy_rejected = Values({-3, -1}, true);
  torch::Tensor reference_chosen = Values({-2, -2}, true), reference_rejected = Values({-2, -2}, true);
  DpoLossResult result = DpoLoss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, 0.5);

  // loss = mean(-log sigmoid(z)) = mean(softplus(-z)).
  const double expected_loss = (Softplus(-1.0) + Softplus(0.5)) / 2;
  EXPECT_NEAR(result.loss.item<double>(), expected_loss, 1e-6);
  EXPECT_NEAR(result.loss.item<double>(), 0.6436694, 1e-6);
  EXPECT_TRUE(torch::allclose(result.chosen_rewards, torch::tensor({0.5f, 0.0f})));
  EXPECT_TRUE(torch::allclose(result.rejected_rewards, torch::tensor({-0.5f, 0.5f})));

  // d loss / d pi_c = -beta * sigmoid(-z) / B; d loss / d pi_r is its negative; the reference gets none.
  result.loss.backward();
  const double g0 = 0.5 * Sigmoid(-1.0) / 2, g1 = 0.5 * Sigmoid(0.5) / 2;
  EXPECT_NEAR(policy_chosen.grad()[0].item<double>(), -g0, 1e-6);
  EXPECT_NEAR(policy_chosen.grad()[1].item<double>(), -g1, 1e-6);
  EXPECT_NEAR(policy_rejected.grad()[0].item<double>(), g0, 1e-6);
  EXPECT_NEAR(policy_rejected.grad()[1].item<double>(), g1, 1e-6);
  EXPECT_FALSE(reference_chosen.grad().defined());
  EXPECT_FALSE(reference_rejected.grad().defined());

  DpoStats stats = SummarizeDpo(result);
  EXPECT_NEAR(stats.loss, expected_loss, 1e-6);
  EXPECT_DOUBLE_EQ(stats.preference_accuracy, 0.5);  // only pair 0 has chosen reward > rejected
  EXPECT_NEAR(stats.reward_margin, (1.0 + -0.5) / 2, 1e-6);
  EXPECT_NEAR(stats.chosen_reward, 0.25, 1e-6);
  EXPECT_NEAR(stats.rejected_reward, 0.0, 1e-6);
}

TEST(DpoLossTest, GradientMatchesFiniteDifferences) {
  torch::Tensor policy_chosen = Values({-1.3f, -0.2f, -4.0f}, true);
  torch::Tensor policy_rejected = Values({-0.7f, -2.5f, -1.0f}, true);
  const torch::Tensor reference_chosen = Values({-1.0f, -1.0f, -3.0f}, false);
  const torch::Tensor reference_rejected = Values({-1.1f, -2.0f, -2.0f}, false);
  const double beta = 0.3;
  DpoLoss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta).loss.backward();
  auto loss_at = [&](const torch::Tensor& c, const torch::Tensor& r) {
    return DpoLoss(c.to(torch::kFloat64), r.to(torch::kFloat64), reference_chosen.to(torch::kFloat64),
                   reference_rejected.to(torch::kFloat64), beta).loss.item<double>();
  };
  const double h = 1e-3;
  for (int i = 0; i < 3; ++i) {
    torch::Tensor c = policy_chosen.detach().to(torch::kFloat64), r = policy_rejected.detach().to(torch::kFloat64);
    torch::Tensor c_plus = c.clone(), c_minus = c.clone();
    c_plus[i] += h;
    c_minus[i] -= h;
    EXPECT_NEAR(policy_chosen.grad()[i].item<double>(), (loss_at(c_plus, r) - loss_at(c_minus, r)) / (2 * h), 1e-5);
    torch::Tensor r_plus = r.clone(), r_minus = r.clone();
    r_plus[i] += h;
    r_minus[i] -= h;
    EXPECT_NEAR(policy_rejected.grad()[i].item<double>(), (loss_at(c, r_plus) - loss_at(c, r_minus)) / (2 * h), 1e-5);
  }
}

TEST(DpoLossTest, PolicyEqualToReferenceCostsLogTwoWithNoMargin) {
  torch::Tensor chosen = Values({-3, -5}, false), rejected = Values({-1, -9}, false);
  DpoStats stats = SummarizeDpo(DpoLoss(chosen, rejected, chosen, rejected, 0.1));
  EXPECT_NEAR(stats.loss, std::log(2.0), 1e-6);
  EXPECT_DOUBLE_EQ(stats.preference_accuracy, 0.0);  // ties are not preferences
  EXPECT_DOUBLE_EQ(stats.reward_margin, 0.0);
}

// ResponseLogProbs sums exactly the response tokens (and EOS) of each row: it agrees with
// ScoreCompletions, which scores tokens from the prompt length on, on sequences of unequal length.
TEST(DpoLossTest, ResponseLogProbsSumsResponseTokensOfEachRow) {
  CharTokenizer tokenizer;
  v1::ModelConfig config;
  config.set_n_layer(1);
  config.set_n_head(2);
  config.set_d_model(32);
  config.set_max_seq_len(16);
  config.set_init_seed(7);
  auto resolved = ResolveModelConfig(config, tokenizer.vocab_size());
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  Gpt model(*resolved);

  auto pairs = TokenizePreferences({{"12+30=", "42", "42."}, {"9+9=", "18", "7"}}, tokenizer, 16, "test");
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  const TokenizedPair &first = (*pairs)[0], &second = (*pairs)[1];
  PairBatch batch = MakePairBatch({&first, &second}, tokenizer.pad_id());
  torch::Tensor sums = ResponseLogProbs(model, batch);
  ASSERT_EQ(sums.size(0), 4);

  const std::vector<const TokenizedExample*> rows = {&first.chosen, &second.chosen, &first.rejected,
                                                     &second.rejected};
  std::vector<std::vector<int>> sequences;
  std::vector<int> prompt_lens;
  for (const auto* row : rows) {
    sequences.push_back(row->tokens);
    prompt_lens.push_back(row->prompt_len);
  }
  auto scored = ScoreCompletions(model, sequences, prompt_lens);
  ASSERT_TRUE(scored.ok()) << scored.status();
  for (size_t i = 0; i < rows.size(); ++i) {
    double expected = 0;
    for (float lp : (*scored)[i]) expected += lp;
    EXPECT_NEAR(sums[i].item<double>(), expected, 1e-4) << "row " << i;
  }
}

}  // namespace
}  // namespace fulcrum
