#include "core/generation.h"

#include <gtest/gtest.h>

#include "core/scoring.h"
#include "tests/core/test_models.h"

namespace fulcrum {
namespace {

using testing::TinyGpt;

std::vector<std::vector<int>> MixedPrompts() { return {{1, 5, 7}, {1, 4, 4, 9, 12, 3, 8}, {1, 2}, {1, 30, 6, 6}}; }

// Each mixed prompt followed by its completion, and where each completion starts.
struct Scored {
  std::vector<std::vector<int>> sequences;
  std::vector<int> prompt_lens;
};
Scored PromptsWithCompletions(const std::vector<Completion>& completions) {
  Scored out;
  for (size_t i = 0; i < completions.size(); ++i) {
    std::vector<int> seq = MixedPrompts()[i];
    out.prompt_lens.push_back(static_cast<int>(seq.size()));
    seq.insert(seq.end(), completions[i].tokens.begin(), completions[i].tokens.end());
    out.sequences.push_back(seq);
  }
  return out;
}

TEST(GenerationTest, CachedAndRecomputedDecodingAgreeForMixedPromptLengths) {
  Gpt model = TinyGpt();
  SamplingParams params;
  params.greedy = true;
  params.max_new_tokens = 12;
  auto cached = Generate(model, MixedPrompts(), params);
  params.use_kv_cache = false;
  auto recomputed = Generate(model, MixedPrompts(), params);
  ASSERT_TRUE(cached.ok() && recomputed.ok());
  for (size_t i = 0; i < cached->size(); ++i) {
    EXPECT_EQ((*cached)[i].tokens, (*recomputed)[i].tokens) << "prompt " << i;
    for (size_t j = 0; j < (*cached)[i].logprobs.size(); ++j) {
      EXPECT_NEAR((*cached)[i].logprobs[j], (*recomputed)[i].logprobs[j], 1e-4);
    }
  }
}

TEST(GenerationTest, BatchedRowsMatchTheSamePromptGeneratedAlone) {
  Gpt model = TinyGpt();
  SamplingParams params;
  params.greedy = true;
  params.max_new_tokens = 10;
  auto batched = Generate(model, MixedPrompts(), params);
  ASSERT_TRUE(batched.ok());
  for (size_t i = 0; i < MixedPrompts().size(); ++i) {
    auto alone = Generate(model, {MixedPrompts()[i]}, params);
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*alone)[0].tokens, (*batched)[i].tokens) << "prompt " << i;
  }
}

TEST(GenerationTest, GreedyPicksTheArgmaxAndLogprobsMatchScoring) {
  Gpt model = TinyGpt();
  SamplingParams params;
  params.greedy = true;
  params.max_new_tokens = 6;
  auto out = Generate(model, MixedPrompts(), params);
  ASSERT_TRUE(out.ok());
  auto [sequences, prompt_lens] = PromptsWithCompletions(*out);
  for (size_t i = 0; i < out->size(); ++i) {
    const std::vector<int>& seq = sequences[i];
    // Greedy: every generated token is the argmax of the logits given its prefix.
    torch::NoGradGuard no_grad;
    torch::Tensor t = torch::tensor(std::vector<int64_t>(seq.begin(), seq.end())).unsqueeze(0);
    torch::Tensor logits = model->Logits(model->Forward(
        t, torch::arange(t.size(1), torch::kInt64).unsqueeze(0), torch::Tensor()));
    for (size_t j = 0; j < (*out)[i].tokens.size(); ++j) {
      EXPECT_EQ(logits[0][prompt_lens[i] - 1 + j].argmax().item<int64_t>(), (*out)[i].tokens[j]);
    }
  }
  auto scored = ScoreCompletions(model, sequences, prompt_lens);
  ASSERT_TRUE(scored.ok());
  for (size_t i = 0; i < out->size(); ++i) {
    ASSERT_EQ((*scored)[i].size(), (*out)[i].logprobs.size());
    for (size_t j = 0; j < (*scored)[i].size(); ++j) EXPECT_NEAR((*scored)[i][j], (*out)[i].logprobs[j], 1e-4);
  }
}

TEST(GenerationTest, SampledLogprobsAreTemperatureScaledLogSoftmax) {
  Gpt model = TinyGpt();
  SamplingParams params;
  params.temperature = 0.7;
  params.max_new_tokens = 8;
  params.seed = 3;
  auto out = Generate(model, MixedPrompts(), params);
  ASSERT_TRUE(out.ok());
  auto [sequences, prompt_lens] = PromptsWithCompletions(*out);
  auto scored = ScoreCompletions(model, sequences, prompt_lens, 0.7);
  ASSERT_TRUE(scored.ok());
  for (size_t i = 0; i < out->size(); ++i) {
    for (size_t j = 0; j < (*scored)[i].size(); ++j) EXPECT_NEAR((*scored)[i][j], (*out)[i].logprobs[j], 1e-4);
  }
  // The same seed reproduces the same samples; another seed does not.
  auto again = Generate(model, MixedPrompts(), params);
  params.seed = 4;
  auto other = Generate(model, MixedPrompts(), params);
  bool all_same = true;
  for (size_t i = 0; i < out->size(); ++i) {
    EXPECT_EQ((*again)[i].tokens, (*out)[i].tokens);
    all_same = all_same && (*other)[i].tokens == (*out)[i].tokens;
  }
  EXPECT_FALSE(all_same);
}

TEST(GenerationTest, StopTokensEndRowsAndMaxTokensBoundsTheRest) {
  Gpt model = TinyGpt();
  SamplingParams params;
  params.temperature = 1.5;
  params.max_new_tokens = 20;
  params.seed = 11;
  params.stop_tokens = {2, 3, 4, 5, 6};
  std::vector<std::vector<int>> prompts(16, std::vector<int>{1, 8, 9});
  auto out = Generate(model, prompts, params);
  ASSERT_TRUE(out.ok());
  int stopped = 0;
  for (const Completion& c : *out) {
    ASSERT_FALSE(c.tokens.empty());
    ASSERT_LE(c.tokens.size(), 20u);
    EXPECT_EQ(c.tokens.size(), c.logprobs.size());
    const bool ends_in_stop = c.tokens.back() >= 2 && c.tokens.back() <= 6;
    for (size_t j = 0; j + 1 < c.tokens.size(); ++j) EXPECT_FALSE(c.tokens[j] >= 2 && c.tokens[j] <= 6);
    if (c.finish_reason == FinishReason::kStop) {
      EXPECT_TRUE(ends_in_stop);
      ++stopped;
    } else {
      EXPECT_EQ(c.tokens.size(), 20u);
    }
  }
  EXPECT_GT(stopped, 0);
  EXPECT_LT(stopped, 16);
}

TEST(GenerationTest, RejectsBadRequestsWithAReason) {
  Gpt model = TinyGpt();
  SamplingParams params;
  params.max_new_tokens = 100;
  EXPECT_NE(Generate(model, {{1, 2}}, params).status().message().find("max_seq_len"), std::string::npos);
  params.max_new_tokens = 4;
  EXPECT_NE(Generate(model, {{1, 99}}, params).status().message().find("token id 99"), std::string::npos);
  EXPECT_NE(Generate(model, {{}}, params).status().message().find("empty"), std::string::npos);
}

TEST(SamplingTest, TopKNeverLeavesTheTopK) {
  torch::manual_seed(0);
  torch::Tensor logits = torch::randn({64, 50});
  SamplingParams params;
  params.top_k = 3;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  for (int round = 0; round < 20; ++round) {
    SampledTokens s = SampleTokens(logits, params, generator);
    torch::Tensor top = std::get<1>(logits.topk(3, -1));
    EXPECT_TRUE((top == s.tokens.unsqueeze(1)).any(1).all().item<bool>());
  }
}

TEST(SamplingTest, TopPKeepsTheSmallestNucleus) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: top_p 0.7 keeps the first two, 0.85 keeps three.
  torch::Tensor logits = torch::tensor({0.5, 0.3, 0.15, 0.05}).log().unsqueeze(0);
  torch::Tensor kept = FilterLogits(logits, 0, 0.7).isfinite();
  EXPECT_TRUE(torch::equal(kept, torch::tensor({true, true, false, false}).unsqueeze(0)));
  kept = FilterLogits(logits, 0, 0.85).isfinite();
  EXPECT_TRUE(torch::equal(kept, torch::tensor({true, true, true, false}).unsqueeze(0)));
  kept = FilterLogits(logits, 0, 0.01).isfinite();
  EXPECT_TRUE(torch::equal(kept, torch::tensor({true, false, false, false}).unsqueeze(0)));
}

}  // namespace
}  // namespace fulcrum
