#include "learner/dpo_trainer.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_config.h"
#include "core/model_io.h"
#include "tests/learner/tiny_addition.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

class DpoTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::WriteTinyAddition((dir_ / "data").string(), 80, 20, /*sloppy_pairs=*/true).ok());

    // policy_init: a small untrained GPT saved as a checkpoint root.
    CharTokenizer tokenizer;
    v1::ModelConfig model;
    model.set_n_layer(2);
    model.set_n_head(2);
    model.set_d_model(64);
    model.set_max_seq_len(16);
    model.set_init_seed(1);
    auto resolved = ResolveModelConfig(model, tokenizer.vocab_size());
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    auto files = ModelFiles(Gpt(*resolved), tokenizer);
    ASSERT_TRUE(files.ok()) << files.status();
    ASSERT_TRUE(WriteCheckpoint((dir_ / "init").string(), 0, *files).ok());
  }

  v1::DpoConfig Config(int steps) const {
    v1::DpoConfig c;
    c.set_policy_init((dir_ / "init").string());
    c.set_train_path((dir_ / "data/preference_train.jsonl").string());
    c.set_heldout_path((dir_ / "data/preference_heldout.jsonl").string());
    c.set_heldout_prompts_path((dir_ / "data/rl_heldout.jsonl").string());
    c.set_out_dir((dir_ / "out").string());
    c.mutable_task()->set_name("addition");
    c.mutable_task()->set_min_digits(1);
    c.mutable_task()->set_max_digits(1);
    auto* o = c.mutable_optimizer();
    o->set_lr(3e-3);
    o->set_warmup_steps(5);
    o->set_min_lr_ratio(0.1);
    o->set_grad_clip(1.0);
    c.set_steps(steps);
    c.set_batch_size(16);
    c.set_beta(0.5);
    c.set_max_new_tokens(4);
    c.set_seed(5);
    return c;
  }

  std::vector<nlohmann::json> Records(bool evals) const {
    std::vector<nlohmann::json> records;
    std::ifstream in(dir_ / "out/metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto record = nlohmann::json::parse(line);
      if (record.contains("kind") == evals) records.push_back(record);
    }
    return records;
  }

  // Mean over the held-out pairs of log p(chosen) - log p(rejected) under `model`.
  double HeldoutPreferenceGap(Gpt& model, const Tokenizer& tokenizer) const {
    auto examples = ReadPreferenceExamples((dir_ / "data/preference_heldout.jsonl").string());
    EXPECT_TRUE(examples.ok());
    auto pairs = TokenizePreferences(*examples, tokenizer, 16, "heldout");
    EXPECT_TRUE(pairs.ok());
    std::vector<const TokenizedPair*> batch;
    for (const auto& pair : *pairs) batch.push_back(&pair);
    PairBatch pair_batch = MakePairBatch(batch, tokenizer.pad_id());
    torch::NoGradGuard no_grad;
    torch::Tensor sums = ResponseLogProbs(model, pair_batch);
    const int64_t n = pair_batch.pairs;
    return (sums.narrow(0, 0, n) - sums.narrow(0, n, n)).mean().item<double>();
  }

  testing::ScopedTempDir temp_{"dpo"};
  const std::filesystem::path dir_ = temp_.path();
};

TEST_F(DpoTrainerTest, RaisesPreferenceAccuracyAndMarginOverTheStart) {
  auto trainer = DpoTrainer::Create(Config(40), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const Tokenizer& tokenizer = (*trainer)->tokenizer();
  const double gap_before = HeldoutPreferenceGap((*trainer)->policy(), tokenizer);
  const double reference_gap_before = HeldoutPreferenceGap((*trainer)->reference(), tokenizer);
  auto summary = (*trainer)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();

  // The policy now puts more log-prob on chosen responses relative to rejected ones; the frozen
  // reference has not moved.
  const double gap_after = HeldoutPreferenceGap((*trainer)->policy(), tokenizer);
  EXPECT_GT(gap_after, gap_before + 2.0) << "before " << gap_before << " after " << gap_after;
  EXPECT_DOUBLE_EQ(HeldoutPreferenceGap((*trainer)->reference(), tokenizer), reference_gap_before);

  // metrics.jsonl: 40 steps, and evaluations at step 0 (policy = reference: no preferences yet) and 40.
  const std::vector<nlohmann::json> steps = Records(false), evals = Records(true);
  ASSERT_EQ(steps.size(), 40u);
  for (const char* key : {"step", "loss", "preference_accuracy", "reward_margin", "chosen_reward",
                          "rejected_reward", "lr"}) {
    EXPECT_TRUE(steps.back().contains(key)) << key;
  }
  EXPECT_NEAR(steps.front()["loss"].get<double>(), std::log(2.0), 0.05);
  EXPECT_LT(steps.back()["loss"].get<double>(), 0.4);
  ASSERT_EQ(evals.size(), 2u);
  EXPECT_EQ(evals.front()["step"], 0);
  EXPECT_DOUBLE_EQ(evals.front()["heldout_preference_accuracy"].get<double>(), 0.0);
  EXPECT_NEAR(evals.front()["heldout_reward_margin"].get<double>(), 0.0, 1e-6);
  EXPECT_EQ(evals.back()["step"], 40);
  EXPECT_TRUE(evals.back().contains("heldout_accuracy"));

  EXPECT_EQ((*summary)["stage"], "dpo");
  EXPECT_EQ((*summary)["steps"], 40);
  EXPECT_GT((*summary)["heldout_preference_accuracy"].get<double>(), 0.7);
  EXPECT_GT((*summary)["heldout_reward_margin"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ((*summary)["heldout_accuracy_before"].get<double>(),
                   evals.front()["heldout_accuracy"].get<double>());
  EXPECT_DOUBLE_EQ((*summary)["heldout_accuracy_after"].get<double>(),
                   evals.back()["heldout_accuracy"].get<double>());
  for (const char* key : {"wall_s", "checkpoint", "train_loss"}) EXPECT_TRUE(summary->contains(key)) << key;
  auto on_disk = ReadFile((dir_ / "out/summary.json").string());
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(nlohmann::json::parse(*on_disk)["steps"], 40);
  auto latest = LatestCheckpoint((dir_ / "out/checkpoints").string());
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(LoadModel(*latest).ok());
}

TEST_F(DpoTrainerTest, ResumeFromLatestContinuesWithIdenticalLosses) {
  v1::DpoConfig config = Config(10);
  config.set_checkpoint_every(5);
  config.clear_heldout_prompts_path();  // generation is not what this test is about
  nlohmann::json uninterrupted_summary;
  {
    auto trainer = DpoTrainer::Create(config, nullptr);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    auto summary = (*trainer)->Run();
    ASSERT_TRUE(summary.ok()) << summary.status();
    uninterrupted_summary = *summary;
  }
  std::vector<double> uninterrupted;
  for (const auto& record : Records(false)) uninterrupted.push_back(record["loss"]);
  ASSERT_EQ(uninterrupted.size(), 10u);

  // A crash after step 10's checkpoint was begun but before LATEST moved: LATEST names step 5.
  const std::string root = (dir_ / "out/checkpoints").string();
  std::filesystem::remove_all(root + "/" + CheckpointDirName(10));
  ASSERT_TRUE(WriteFileAtomic(root + "/LATEST", CheckpointDirName(5)).ok());

  auto resumed = DpoTrainer::Create(config, nullptr);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->step(), 5);
  auto summary = (*resumed)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();
  std::vector<double> replayed;
  for (const auto& record : Records(false)) replayed.push_back(record["loss"]);
  ASSERT_EQ(replayed.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_NEAR(replayed[i], uninterrupted[i], 1e-6) << "step " << i + 1;
  EXPECT_NEAR((*summary)["heldout_reward_margin"].get<double>(),
              uninterrupted_summary["heldout_reward_margin"].get<double>(), 1e-4);
  // train_loss averages the same recent steps, those before the checkpoint included.
  EXPECT_NEAR((*summary)["train_loss"].get<double>(), uninterrupted_summary["train_loss"].get<double>(), 1e-6);
  // The step-0 evaluation survives the resume and is not repeated.
  EXPECT_EQ(Records(true).front()["step"], 0);
}

TEST_F(DpoTrainerTest, MissingDataAndBadConfigAreClearErrors) {
  v1::DpoConfig config = Config(5);
  config.set_train_path((dir_ / "nope.jsonl").string());
  auto missing = DpoTrainer::Create(config, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.jsonl"), std::string::npos);

  config = Config(5);
  config.clear_policy_init();
  auto no_init = DpoTrainer::Create(config, nullptr);
  ASSERT_FALSE(no_init.ok());
  EXPECT_NE(no_init.status().message().find("dpo.policy_init"), std::string::npos);

  config = Config(5);
  config.set_policy_init((dir_ / "no_such_checkpoint").string());
  auto bad_init = DpoTrainer::Create(config, nullptr);
  ASSERT_FALSE(bad_init.ok());
  EXPECT_NE(bad_init.status().message().find("no_such_checkpoint"), std::string::npos);

  config = Config(5);
  config.set_beta(-1);
  auto bad_beta = DpoTrainer::Create(config, nullptr);
  ASSERT_FALSE(bad_beta.ok());
  EXPECT_NE(bad_beta.status().message().find("beta"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
