#include "learner/sft_trainer.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_io.h"
#include "tests/learner/tiny_addition.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

class SftTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::WriteTinyAddition((dir_ / "data").string(), 80, 20).ok());
  }

  v1::SftConfig Config(int steps) const {
    v1::SftConfig c;
    c.set_train_path((dir_ / "data/sft_train.jsonl").string());
    c.set_heldout_path((dir_ / "data/sft_heldout.jsonl").string());
    c.set_heldout_prompts_path((dir_ / "data/rl_heldout.jsonl").string());
    c.set_out_dir((dir_ / "out").string());
    c.mutable_task()->set_name("addition");
    c.mutable_task()->set_min_digits(1);
    c.mutable_task()->set_max_digits(1);
    auto* m = c.mutable_model();
    m->set_n_layer(2);
    m->set_n_head(2);
    m->set_d_model(64);
    m->set_max_seq_len(16);
    m->set_init_seed(1);
    auto* o = c.mutable_optimizer();
    o->set_lr(3e-3);
    o->set_warmup_steps(10);
    o->set_min_lr_ratio(0.1);
    o->set_grad_clip(1.0);
    o->set_weight_decay(0.01);
    c.set_steps(steps);
    c.set_batch_size(32);
    c.set_max_new_tokens(4);
    c.set_seed(5);
    return c;
  }

  std::vector<double> StepLosses() const {
    std::vector<double> losses;
    std::ifstream in(dir_ / "out/metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto record = nlohmann::json::parse(line);
      if (record.contains("loss")) losses.push_back(record["loss"]);
    }
    return losses;
  }

  testing::ScopedTempDir temp_{"sft"};
  const std::filesystem::path dir_ = temp_.path();
};

TEST_F(SftTrainerTest, LossFallsUnderABoundAndSummaryIsWritten) {
  auto trainer = SftTrainer::Create(Config(150), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto summary = (*trainer)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();
  std::vector<double> losses = StepLosses();
  ASSERT_EQ(losses.size(), 150u);
  // Uniform guessing over ~100 symbols costs ln(98) ≈ 4.6 nats; the answer digits of one-digit sums
  // are nearly determined by the prompt, so a model that learned them is far below 1.
  EXPECT_GT(losses.front(), 3.5);
  EXPECT_LT((*summary)["train_loss"].get<double>(), 0.6);
  EXPECT_LT((*summary)["heldout_loss"].get<double>(), 0.8);
  EXPECT_EQ((*summary)["steps"].get<int>(), 150);
  for (const char* key : {"steps", "wall_s", "train_loss", "heldout_loss", "heldout_accuracy"}) {
    EXPECT_TRUE(summary->contains(key)) << key;
  }
  auto on_disk = ReadFile((dir_ / "out/summary.json").string());
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(nlohmann::json::parse(*on_disk)["steps"], 150);
  // The final checkpoint loads back as a model.
  auto latest = LatestCheckpoint((dir_ / "out/checkpoints").string());
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(LoadModel(*latest).ok());
}

TEST_F(SftTrainerTest, ResumeFromLatestContinuesWithIdenticalLosses) {
  v1::SftConfig config = Config(12);
  config.set_checkpoint_every(6);
  {
    auto trainer = SftTrainer::Create(config, nullptr);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    ASSERT_TRUE((*trainer)->Run().ok());
  }
  const std::vector<double> uninterrupted = StepLosses();
  ASSERT_EQ(uninterrupted.size(), 12u);

  // A crash after step 12's checkpoint was begun but before LATEST moved: LATEST names step 6.
  const std::string root = (dir_ / "out/checkpoints").string();
  std::filesystem::remove_all(root + "/" + CheckpointDirName(12));
  ASSERT_TRUE(WriteFileAtomic(root + "/LATEST", CheckpointDirName(6)).ok());

  auto resumed = SftTrainer::Create(config, nullptr);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->step(), 6);
  ASSERT_TRUE((*resumed)->Run().ok());
  const std::vector<double> replayed = StepLosses();
  ASSERT_EQ(replayed.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_DOUBLE_EQ(replayed[i], uninterrupted[i]) << "step " << i + 1;
}

TEST_F(SftTrainerTest, MissingDataAndBadConfigAreClearErrors) {
  v1::SftConfig config = Config(5);
  config.set_train_path((dir_ / "nope.jsonl").string());
  auto missing = SftTrainer::Create(config, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.jsonl"), std::string::npos);

  config = Config(5);
  config.set_batch_size(0);
  auto bad = SftTrainer::Create(config, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sft.batch_size"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
