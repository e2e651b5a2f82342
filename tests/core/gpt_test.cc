#include "core/gpt.h"

#include <gtest/gtest.h>

#include "core/model_config.h"
#include "tests/core/test_models.h"

namespace fulcrum {
namespace {

using testing::TinyConfig;
using testing::TinyGpt;

torch::Tensor Positions(int64_t b, int64_t t) {
  return torch::arange(t, torch::kInt64).unsqueeze(0).expand({b, t}).contiguous();
}

TEST(GptTest, ShapesOfHiddenLogitsAndHeads) {
  v1::ModelConfig config = TinyConfig();
  config.set_value_head(true);
  config.set_score_head(true);
  Gpt model(config);
  torch::Tensor tokens = torch::randint(0, 32, {3, 5}, torch::kInt64);
  torch::Tensor hidden = model->Forward(tokens, Positions(3, 5), torch::Tensor());
  EXPECT_EQ(hidden.sizes(), (std::vector<int64_t>{3, 5, 32}));
  EXPECT_EQ(model->Logits(hidden).sizes(), (std::vector<int64_t>{3, 5, 32}));
  EXPECT_EQ(model->Values(hidden).sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(model->Scores(hidden).sizes(), (std::vector<int64_t>{3, 5}));
}

TEST(GptTest, NamesFollowTheLlamaLayout) {
  Gpt model = TinyGpt();
  std::set<std::string> names;
  for (const auto& [name, tensor] : model->NamedWeights()) names.insert(name);
  for (const char* expected :
       {"model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
        "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.o_proj.weight",
        "model.layers.0.post_attention_layernorm.weight", "model.layers.0.mlp.gate_proj.weight",
        "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.norm.weight"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
  EXPECT_EQ(names.size(), 1 + 2 * 9 + 1u);
  int64_t count = 0;
  for (const auto& p : model->parameters()) count += p.numel();
  EXPECT_EQ(count, CountParameters(model->config()));
}

TEST(GptTest, CausalMaskHidesTheFuture) {
  Gpt model = TinyGpt();
  torch::Tensor a = torch::randint(0, 32, {1, 8}, torch::kInt64);
  torch::Tensor b = a.clone();
  b[0][7] = (a[0][7].item<int64_t>() + 1) % 32;
  torch::Tensor ha = model->Forward(a, Positions(1, 8), torch::Tensor());
  torch::Tensor hb = model->Forward(b, Positions(1, 8), torch::Tensor());
  EXPECT_TRUE(torch::allclose(ha.narrow(1, 0, 7), hb.narrow(1, 0, 7)));
  EXPECT_FALSE(torch::allclose(ha.narrow(1, 7, 1), hb.narrow(1, 7, 1)));
}

TEST(GptTest, KeyMaskHidesPaddingAndLeftPaddedRowsMatchUnpadded) {
  Gpt model = TinyGpt();
  torch::Tensor real = torch::randint(0, 32, {1, 5}, torch::kInt64);
  torch::Tensor alone = model->Forward(real, Positions(1, 5), torch::Tensor());
  // The same tokens after three pad slots holding arbitrary ids, with positions restarting at 0.
  torch::Tensor padded = torch::cat({torch::full({1, 3}, 9, torch::kInt64), real}, 1);
  torch::Tensor positions = torch::cat({torch::zeros({1, 3}, torch::kInt64), Positions(1, 5)}, 1);
  torch::Tensor mask = torch::cat({torch::zeros({1, 3}, torch::kBool), torch::ones({1, 5}, torch::kBool)}, 1);
  torch::Tensor shifted = model->Forward(padded, positions, mask);
  EXPECT_TRUE(torch::allclose(alone, shifted.narrow(1, 3, 5), 1e-5, 1e-5));
}

TEST(GptTest, SameSeedSameWeightsOtherSeedOtherWeights) {
  Gpt a = TinyGpt(32, 1), b = TinyGpt(32, 1), c = TinyGpt(32, 2);
  auto wa = a->NamedWeights(), wb = b->NamedWeights(), wc = c->NamedWeights();
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(torch::equal(wa[i].second, wb[i].second));
  EXPECT_FALSE(torch::equal(wa[0].second, wc[0].second));
}

TEST(GptTest, LoadWeightsCopiesAndRejectsMismatches) {
  Gpt a = TinyGpt(32, 1), b = TinyGpt(32, 2);
  ASSERT_TRUE(b->LoadWeights(a->NamedWeights()).ok());
  torch::Tensor tokens = torch::randint(0, 32, {2, 6}, torch::kInt64);
  EXPECT_TRUE(torch::equal(a->Forward(tokens, Positions(2, 6), {}), b->Forward(tokens, Positions(2, 6), {})));

  auto weights = a->NamedWeights();
  weights[0].second = torch::zeros({3, 3});
  absl::Status status = b->LoadWeights(weights);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(weights[0].first), std::string::npos);
  weights.erase(weights.begin());
  EXPECT_NE(b->LoadWeights(weights).message().find("lacks weights"), std::string::npos);
}

TEST(ModelConfigTest, RejectsHeadSizeThatRopeCannotRotate) {
  v1::ModelConfig config;
  config.set_n_layer(1);
  config.set_n_head(3);
  config.set_d_model(32);
  config.set_max_seq_len(8);
  EXPECT_FALSE(ResolveModelConfig(config, 10).ok());
  config.set_n_head(0);
  EXPECT_NE(ResolveModelConfig(config, 10).status().message().find("model.n_head"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
