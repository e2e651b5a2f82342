#include "reward_server/reward_model_scorer.h"

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_config.h"
#include "core/model_io.h"
#include "core/reward_model.h"
#include "core/scoring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reward_server/scorer_factory.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

std::vector<int> Sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& completion) {
  std::vector<int> tokens = EncodePrompt(tokenizer, prompt).value();
  const std::vector<int> ids = tokenizer.Encode(completion).value();
  tokens.insert(tokens.end(), ids.begin(), ids.end());
  tokens.push_back(tokenizer.eos_id());
  return tokens;
}

// Scores of `sequences` under `model`, [B].
torch::Tensor Scores(Gpt& model, const std::vector<std::vector<int>>& sequences, int pad_id) {
  PaddedBatch batch = RightPad(sequences, pad_id);
  return LastTokenScores(model, batch.tokens, batch.mask.sum(1) - 1);
}

// A tiny reward model trained to prefer "7" over the sloppy "7." after "3+4=", saved as an RM
// checkpoint (with score_stats.json) once for the whole suite; also a model without a score head.
class RewardModelScorerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new testing::ScopedTempDir("rm_scorer");
    CharTokenizer tokenizer;
    v1::ModelConfig config;
    config.set_n_layer(2);
    config.set_n_head(2);
    config.set_d_model(32);
    config.set_max_seq_len(12);
    config.set_init_seed(5);
    config.set_score_head(true);
    Gpt model(ResolveModelConfig(config, tokenizer.vocab_size()).value());
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<int> digit(0, 9);
    auto pairs = [&](int n) {
      std::vector<std::vector<int>> sequences(2 * n);
      for (int i = 0; i < n; ++i) {
        const int a = digit(rng), b = digit(rng);
        const std::string prompt = std::to_string(a) + "+" + std::to_string(b) + "=";
        sequences[i] = Sequence(tokenizer, prompt, std::to_string(a + b));
        sequences[n + i] = Sequence(tokenizer, prompt, std::to_string(a + b) + ".");
      }
      return sequences;
    };
    for (int step = 0; step < 60; ++step) {
      torch::Tensor scores = Scores(model, pairs(16), tokenizer.pad_id());
      torch::Tensor loss = torch::softplus(scores.narrow(0, 16, 16) - scores.narrow(0, 0, 16)).mean();
      adam.zero_grad();
      loss.backward();
      adam.step();
    }
    model->eval();
    torch::NoGradGuard no_grad;
    const ScoreStats stats = ComputeScoreStats(Scores(model, pairs(64), tokenizer.pad_id()));
    auto files = ModelFiles(model, tokenizer).value();
    files[kScoreStatsFile] = ScoreStatsJson(stats);
    ASSERT_TRUE(WriteCheckpoint(Root(), 60, files).ok());

    config.set_score_head(false);
    Gpt policy(ResolveModelConfig(config, tokenizer.vocab_size()).value());
    ASSERT_TRUE(WriteCheckpoint(PolicyRoot(), 1, ModelFiles(policy, tokenizer).value()).ok());
  }
  static void TearDownTestSuite() { delete temp_; }

  static std::string Root() { return temp_->path() + "/rm/checkpoints"; }
  static std::string PolicyRoot() { return temp_->path() + "/policy/checkpoints"; }

  static std::unique_ptr<RewardModelScorer> MakeRm(bool normalize, int max_forward_batch = 64) {
    auto scorer = RewardModelScorer::Create(
        {.checkpoint = Root(), .normalize = normalize, .max_forward_batch = max_forward_batch});
    EXPECT_TRUE(scorer.ok()) << scorer.status();
    return scorer.ok() ? std::move(*scorer) : nullptr;
  }

  static ScoreItems Items(const std::vector<std::pair<std::string, std::string>>& prompt_and_completion) {
    ScoreItems items;
    for (const auto& [prompt, completion] : prompt_and_completion) {
      fulcrum::v1::ScoreItem* item = items.Add();
      item->set_prompt(prompt);
      item->set_completion(completion);
    }
    return items;
  }

  static testing::ScopedTempDir* temp_;
};

testing::ScopedTempDir* RewardModelScorerTest::temp_ = nullptr;

TEST_F(RewardModelScorerTest, PrefersCleanAnswersAndBatchingDoesNotChangeScores) {
  std::unique_ptr<RewardModelScorer> scorer = MakeRm(/*normalize=*/false, /*max_forward_batch=*/3);
  ASSERT_NE(scorer, nullptr);
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"3+4=", "7"}, {"3+4=", "7."}, {"9+9=", "18"}, {"9+9=", "18."}, {"0+5=", "5"}, {"0+5=", "5."},
      {"6+2=", "8"}, {"6+2=", "8."}};
  const std::vector<fulcrum::v1::ScoreResult> batch = scorer->ScoreBatch(Items(pairs), absl::InfiniteFuture());
  ASSERT_EQ(batch.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); i += 2) {
    ASSERT_FALSE(batch[i].missing()) << batch[i].reason();
    ASSERT_FALSE(batch[i + 1].missing()) << batch[i + 1].reason();
    EXPECT_GT(batch[i].reward(), batch[i + 1].reward()) << pairs[i].first;
    EXPECT_EQ(batch[i].components().at("score"), batch[i].reward());
  }
  // Padding in a longer batch changes nothing: each item alone scores the same.
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto alone = scorer->ScoreBatch(Items({pairs[i]}), absl::InfiniteFuture());
    ASSERT_EQ(alone.size(), 1u);
    EXPECT_NEAR(alone[0].reward(), batch[i].reward(), 1e-4) << i;
  }
}

TEST_F(RewardModelScorerTest, NormalizesWithTheCheckpointsHeldoutStatistics) {
  std::unique_ptr<RewardModelScorer> raw = MakeRm(false);
  std::unique_ptr<RewardModelScorer> normalized = MakeRm(true);
  ASSERT_NE(raw, nullptr);
  ASSERT_NE(normalized, nullptr);
  const ScoreStats& stats = normalized->stats();
  EXPECT_EQ(stats.count, 128);
  EXPECT_GT(stats.std, 0.0);
  const ScoreItems items = Items({{"3+4=", "7"}, {"3+4=", "7."}, {"1+1=", "2"}});
  const auto before = raw->ScoreBatch(items, absl::InfiniteFuture());
  const auto after = normalized->ScoreBatch(items, absl::InfiniteFuture());
  ASSERT_EQ(after.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_FALSE(after[i].missing()) << after[i].reason();
    EXPECT_NEAR(after[i].reward(), (before[i].reward() - stats.mean) / stats.std, 1e-9);
    EXPECT_EQ(after[i].components().at("score"), before[i].reward());
  }
  // Held-out scores split into clean and sloppy answers: normalized, they sit on either side of 0.
  EXPECT_GT(after[0].reward(), 0.0);
  EXPECT_LT(after[1].reward(), 0.0);
}

TEST_F(RewardModelScorerTest, BadItemsAreMissingWithAReasonAndTheRestAreScored) {
  std::unique_ptr<RewardModelScorer> scorer = MakeRm(false);
  ASSERT_NE(scorer, nullptr);
  const auto results = scorer->ScoreBatch(
      Items({{"3+4=", "7"}, {"3+4=", "\xc3\xa9"}, {"3+4=", "77777777777"}, {"3+\x01=", "7"}, {"1+1=", "2"}}),
      absl::InfiniteFuture());
  ASSERT_EQ(results.size(), 5u);
  EXPECT_FALSE(results[0].missing());
  EXPECT_FALSE(results[4].missing());
  EXPECT_TRUE(results[1].missing());
  EXPECT_THAT(results[1].reason(), HasSubstr("completion"));
  EXPECT_TRUE(results[2].missing());
  EXPECT_THAT(results[2].reason(), HasSubstr("at most 12"));
  EXPECT_TRUE(results[3].missing());
  EXPECT_THAT(results[3].reason(), HasSubstr("prompt"));
  for (int i : {1, 2, 3}) EXPECT_EQ(results[i].reward(), 0.0);  // unset, not a score
}

TEST_F(RewardModelScorerTest, ItemsPastTheDeadlineAreMissing) {
  std::unique_ptr<RewardModelScorer> scorer = MakeRm(false);
  ASSERT_NE(scorer, nullptr);
  const auto results = scorer->ScoreBatch(Items({{"3+4=", "7"}, {"1+1=", "2"}}), absl::InfinitePast());
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    EXPECT_TRUE(result.missing());
    EXPECT_THAT(result.reason(), HasSubstr("deadline"));
  }
}

TEST_F(RewardModelScorerTest, CreateErrorsNameTheCheckpointAndTheProblem) {
  auto policy = RewardModelScorer::Create({.checkpoint = PolicyRoot()});
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(policy.status().message(), HasSubstr("no score head"));

  const std::string no_stats = temp_->path() + "/no_stats";
  std::filesystem::create_directories(no_stats);
  auto latest = LatestCheckpoint(Root());
  ASSERT_TRUE(latest.ok());
  for (const auto& entry : std::filesystem::directory_iterator(*latest)) {
    if (entry.path().filename() != kScoreStatsFile) {
      std::filesystem::copy_file(entry.path(), no_stats + "/" + entry.path().filename().string());
    }
  }
  EXPECT_TRUE(RewardModelScorer::Create({.checkpoint = no_stats}).ok());
  auto unnormalizable = RewardModelScorer::Create({.checkpoint = no_stats, .normalize = true});
  ASSERT_FALSE(unnormalizable.ok());
  EXPECT_THAT(unnormalizable.status().message(), HasSubstr(kScoreStatsFile));

  auto missing = RewardModelScorer::Create({.checkpoint = temp_->path() + "/nowhere"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nowhere"));
}

TEST_F(RewardModelScorerTest, FactoryBuildsItAndChecksItsOptions) {
  ScorerOptions options;
  options.scorer = "reward_model";
  EXPECT_THAT(options.Validate().message(), HasSubstr("checkpoint"));
  options.checkpoint = Root();
  options.normalize = true;
  auto scorer = MakeScorer(options);
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  const auto results = (*scorer)->ScoreBatch(Items({{"3+4=", "7"}}), absl::InfiniteFuture());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].missing());

  ScorerOptions stray;
  stray.scorer = "exact_match";
  stray.normalize = true;
  EXPECT_THAT(stray.Validate().message(), HasSubstr("normalize: set"));
  stray.normalize = false;
  stray.checkpoint = Root();
  EXPECT_THAT(stray.Validate().message(), HasSubstr("checkpoint: set"));
}

}  // namespace
}  // namespace fulcrum
