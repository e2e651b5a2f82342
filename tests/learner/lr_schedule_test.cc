#include "learner/lr_schedule.h"

#include <gtest/gtest.h>

#include "learner/optimizer.h"

namespace fulcrum {
namespace {

TEST(LearningRateTest, WarmsUpLinearlyThenFollowsTheCosineToTheFloor) {
  v1::OptimizerConfig c;
  c.set_lr(1.0);
  c.set_warmup_steps(4);
  c.set_min_lr_ratio(0.1);
  EXPECT_DOUBLE_EQ(LearningRate(c, 0, 14), 0.25);
  EXPECT_DOUBLE_EQ(LearningRate(c, 3, 14), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(c, 4, 14), 1.0);
  // Decay covers steps 4..13 (9 intervals): halfway is step 8.5, the last step sits on the floor.
  EXPECT_NEAR(LearningRate(c, 13, 14), 0.1, 1e-8);
  EXPECT_NEAR(LearningRate(c, 7, 14), 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 3 / 9)), 1e-8);
}

TEST(OptimizerTest, StateRoundTripsByName) {
  torch::Tensor w = torch::ones({2, 3}, torch::requires_grad());
  torch::Tensor b = torch::zeros({3}, torch::requires_grad());
  v1::OptimizerConfig c;
  c.set_lr(0.1);
  c.set_weight_decay(0.1);
  Optimizer opt({{"w", w}, {"b", b}}, c);
  (w.sum() * 2 + b.pow(2).sum()).backward();
  opt.Step(0.1);
  NamedTensors state = opt.State();
  ASSERT_EQ(state.size(), 6u);

  torch::Tensor w2 = w.detach().clone().requires_grad_(true), b2 = b.detach().clone().requires_grad_(true);
  Optimizer restored({{"w", w2}, {"b", b2}}, c);
  ASSERT_TRUE(restored.Restore(state).ok());
  // One more identical step on both gives identical parameters.
  for (auto* o : {&opt, &restored}) o->ZeroGrad();
  (w.sum() * 2 + b.pow(2).sum()).backward();
  (w2.sum() * 2 + b2.pow(2).sum()).backward();
  opt.Step(0.1);
  restored.Step(0.1);
  EXPECT_TRUE(torch::equal(w, w2));
  EXPECT_TRUE(torch::equal(b, b2));

  state.pop_back();
  EXPECT_FALSE(restored.Restore(state).ok());
}

}  // namespace
}  // namespace fulcrum
