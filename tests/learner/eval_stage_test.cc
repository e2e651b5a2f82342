// The eval stage on a briefly trained one-digit-addition model, with best-of-N selectors served by
// in-process Reward servers on loopback.
#include "learner/eval_stage.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "learner/sft_trainer.h"
#include "reward_server/reward_server.h"
#include "tasks/registry.h"
#include "tests/learner/tiny_addition.h"
#include "tests/actor/closed_port.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

constexpr int kSamples = 8;

using testing::OneDigitAddition;

std::unique_ptr<Scorer> Verifier() {
  ScorerOptions options;
  options.scorer = "verifier";
  options.task = OneDigitAddition();
  return MakeScorer(options).value();
}

// Scores with the verifier, then turns the reward around: picks a wrong completion whenever there is one.
class InvertedVerifier : public Scorer {
 public:
  std::vector<v1::ScoreResult> ScoreBatch(const ScoreItems& items, absl::Time deadline) const override {
    std::vector<v1::ScoreResult> results = verifier_->ScoreBatch(items, deadline);
    for (v1::ScoreResult& result : results) result.set_reward(1.0 - result.reward());
    return results;
  }

 private:
  std::unique_ptr<Scorer> verifier_ = Verifier();
};

// A reward model that is down: every reward missing.
class NoRewards : public Scorer {
 public:
  std::vector<v1::ScoreResult> ScoreBatch(const ScoreItems& items, absl::Time) const override {
    std::vector<v1::ScoreResult> results(items.size());
    for (v1::ScoreResult& result : results) {
      result.set_missing(true);
      result.set_reason("model not loaded");
    }
    return results;
  }
};

std::unique_ptr<RewardServer> StartServer(std::unique_ptr<Scorer> scorer) {
  auto server = RewardServer::Create({}, std::move(scorer));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

class EvalStageTest : public ::testing::Test {
 protected:
  // One model for every test: 120 SFT steps leave it right on some problems some of the time.
  static void SetUpTestSuite() {
    dir_ = new testing::ScopedTempDir("eval");
    ASSERT_TRUE(testing::WriteTinyAddition(Path("data"), 80, 24).ok());

    v1::SftConfig sft;
    sft.set_train_path(Path("data/sft_train.jsonl"));
    sft.set_out_dir(Path("sft"));
    *sft.mutable_task() = OneDigitAddition();
    auto* m = sft.mutable_model();
    m->set_n_layer(2);
    m->set_n_head(2);
    m->set_d_model(64);
    m->set_max_seq_len(16);
    m->set_init_seed(1);
    sft.mutable_optimizer()->set_lr(3e-3);
    sft.mutable_optimizer()->set_warmup_steps(10);
    sft.set_steps(120);
    sft.set_batch_size(32);
    sft.set_seed(5);
    auto trainer = SftTrainer::Create(sft, nullptr);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    ASSERT_TRUE((*trainer)->Run().ok());
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string Path(const std::string& name) { return (std::filesystem::path(dir_->path()) / name).string(); }

  static v1::EvalConfig Config() {
    v1::EvalConfig c;
    c.set_checkpoint(Path("sft/checkpoints"));
    c.set_prompts_path(Path("data/rl_heldout.jsonl"));
    c.set_out_dir(Path("eval"));
    *c.mutable_task() = OneDigitAddition();
    c.set_samples(kSamples);
    for (int k : {1, 2, kSamples}) c.add_k(k);
    c.mutable_sampling()->set_temperature(1.0f);
    c.mutable_sampling()->set_max_new_tokens(4);
    c.set_seed(7);
    return c;
  }

  static void AddSelector(v1::EvalConfig& config, const std::string& name, const RewardServer& server) {
    v1::Selector* selector = config.add_selectors();
    selector->set_name(name);
    selector->set_address(absl::StrCat("127.0.0.1:", server.port()));
  }

  static testing::ScopedTempDir* dir_;
};

testing::ScopedTempDir* EvalStageTest::dir_ = nullptr;

TEST_F(EvalStageTest, BestOfNByTheVerifierIsPassAtNAndPassAtOneIsSampleAccuracy) {
  std::unique_ptr<RewardServer> verifier = StartServer(Verifier());
  std::unique_ptr<RewardServer> inverted = StartServer(std::make_unique<InvertedVerifier>());
  ASSERT_TRUE(verifier && inverted);
  v1::EvalConfig config = Config();
  AddSelector(config, "verifier", *verifier);
  AddSelector(config, "inverted", *inverted);
  auto stage = EvalStage::Create(config, nullptr);
  ASSERT_TRUE(stage.ok()) << stage.status();
  absl::StatusOr<nlohmann::json> summary = (*stage)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();
  const nlohmann::json& s = *summary;
  SCOPED_TRACE(s.dump());

  EXPECT_EQ(s["stage"], "eval");
  EXPECT_EQ(s["n"], kSamples);
  EXPECT_EQ(s["examples"], 24);
  const double accuracy = s["accuracy"], sample_accuracy = s["sample_accuracy"];
  const double pass1 = s["pass_at_k"]["1"], pass2 = s["pass_at_k"]["2"], pass_n = s["pass_at_k"]["8"];
  for (double v : {accuracy, sample_accuracy, pass1, pass2, pass_n}) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // The model is right sometimes but not always, so sampling more finds more answers.
  EXPECT_GT(sample_accuracy, 0.05);
  EXPECT_NEAR(pass1, sample_accuracy, 1e-12);
  EXPECT_GT(pass2, pass1);
  EXPECT_GT(pass_n, pass2);
  // The gold verifier as selector finds a right answer exactly where one of the N is right; its
  // inverse picks a wrong one wherever there is one, falling below a single sample.
  EXPECT_DOUBLE_EQ(s["best_of_n"]["verifier"].get<double>(), pass_n);
  EXPECT_LT(s["best_of_n"]["inverted"].get<double>(), sample_accuracy);
  EXPECT_EQ(s["missing_rewards"]["verifier"], 0);

  auto on_disk = ReadFile(Path("eval/summary.json"));
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(nlohmann::json::parse(*on_disk)["best_of_n"], s["best_of_n"]);
  std::ifstream metrics(Path("eval/metrics.jsonl"));
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(metrics, line);) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["kind"], "eval");
  EXPECT_EQ(records[0]["pass_at_k"], s["pass_at_k"]);
}

TEST_F(EvalStageTest, TheSameSeedSamplesTheSameCompletions) {
  v1::EvalConfig config = Config();
  config.set_examples(8);
  std::vector<nlohmann::json> runs;
  for (int i = 0; i < 2; ++i) {
    auto stage = EvalStage::Create(config, nullptr);
    ASSERT_TRUE(stage.ok()) << stage.status();
    auto summary = (*stage)->Run();
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ((*summary)["examples"], 8);
    EXPECT_TRUE((*summary)["best_of_n"].empty());
    runs.push_back((*summary)["pass_at_k"]);
  }
  EXPECT_EQ(runs[0], runs[1]);
}

TEST_F(EvalStageTest, AnUnreachableSelectorIsAnErrorNamingIt) {
  testing::ClosedPort closed;
  ASSERT_GT(closed.port(), 0);
  v1::EvalConfig config = Config();
  v1::Selector* selector = config.add_selectors();
  selector->set_name("rm");
  selector->set_address(closed.address());
  const absl::Time start = absl::Now();
  auto stage = EvalStage::Create(config, nullptr);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_FALSE(stage.ok());
  EXPECT_EQ(stage.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(stage.status().message(), HasSubstr("selector 'rm' at " + closed.address()));
}

TEST_F(EvalStageTest, ASelectorThatGivesNoRewardsIsAnErrorNotAccuracyZero) {
  std::unique_ptr<RewardServer> down = StartServer(std::make_unique<NoRewards>());
  ASSERT_TRUE(down);
  v1::EvalConfig config = Config();
  config.set_examples(4);
  AddSelector(config, "rm", *down);
  auto stage = EvalStage::Create(config, nullptr);
  ASSERT_TRUE(stage.ok()) << stage.status();
  auto summary = (*stage)->Run();
  ASSERT_FALSE(summary.ok());
  EXPECT_THAT(summary.status().message(), HasSubstr("selector 'rm'"));
  EXPECT_THAT(summary.status().message(), HasSubstr("model not loaded"));
}

TEST_F(EvalStageTest, BadConfigsAreClearErrors) {
  v1::EvalConfig config = Config();
  config.add_k(kSamples + 1);
  auto k_too_large = EvalStage::Create(config, nullptr);
  ASSERT_FALSE(k_too_large.ok());
  EXPECT_THAT(k_too_large.status().message(), HasSubstr("eval.k: 9"));

  config = Config();
  config.set_checkpoint(Path("nowhere"));
  auto no_checkpoint = EvalStage::Create(config, nullptr);
  ASSERT_FALSE(no_checkpoint.ok());
  EXPECT_THAT(no_checkpoint.status().message(), HasSubstr("nowhere"));

  config = Config();
  config.mutable_sampling()->set_max_new_tokens(16);
  auto too_long = EvalStage::Create(config, nullptr);
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.status().message(), HasSubstr("exceeds the model's max_seq_len 16"));

  config = Config();
  config.add_selectors()->set_name("rm");
  auto no_address = EvalStage::Create(config, nullptr);
  ASSERT_FALSE(no_address.ok());
  EXPECT_THAT(no_address.status().message(), HasSubstr("selector 'rm' has no address"));
}

TEST(PickBestOfNTest, HighestScoreWinsFirstOfTiesMissingNever) {
  EXPECT_EQ(PickBestOfN({0.1, 0.9, 0.9, 0.5}), 1);
  EXPECT_EQ(PickBestOfN({std::nullopt, -3.0, std::nullopt}), 1);
  EXPECT_EQ(PickBestOfN({std::nan(""), 0.0}), 1);
  EXPECT_EQ(PickBestOfN({std::nullopt, std::nullopt}), -1);
  EXPECT_EQ(PickBestOfN({}), -1);
}

}  // namespace
}  // namespace fulcrum
