#include "learner/rm_trainer.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_config.h"
#include "core/model_io.h"
#include "core/reward_model.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

// Pairs whose preferred response is any even number and whose rejected one is odd: a rule a tiny
// model learns in a few dozen steps, and one its random initial score head knows nothing about.
std::string PreferenceJsonl(int pairs, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> digit(0, 9), half(0, 49);
  std::string out;
  for (int i = 0; i < pairs; ++i) {
    nlohmann::json pair = {{"prompt", std::to_string(digit(rng)) + "+" + std::to_string(digit(rng)) + "="},
                           {"chosen", std::to_string(2 * half(rng))},
                           {"rejected", std::to_string(2 * half(rng) + 1)}};
    out += pair.dump() + "\n";
  }
  return out;
}

class RmTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(11);
    std::filesystem::create_directories(dir_ / "data");
    ASSERT_TRUE(WriteFileAtomic((dir_ / "data/train.jsonl").string(), PreferenceJsonl(400, rng)).ok());
    ASSERT_TRUE(WriteFileAtomic((dir_ / "data/heldout.jsonl").string(), PreferenceJsonl(100, rng)).ok());
    // The starting checkpoint: a small model without a score head, as an SFT run leaves it.
    CharTokenizer tokenizer;
    v1::ModelConfig config;
    config.set_n_layer(2);
    config.set_n_head(2);
    config.set_d_model(32);
    config.set_max_seq_len(16);
    config.set_init_seed(3);
    auto resolved = ResolveModelConfig(config, tokenizer.vocab_size());
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    init_ = Gpt(*resolved);
    auto files = ModelFiles(init_, tokenizer);
    ASSERT_TRUE(files.ok());
    ASSERT_TRUE(WriteCheckpoint((dir_ / "init").string(), 100, *files).ok());
  }

  v1::RmConfig Config(int steps) const {
    v1::RmConfig c;
    c.set_init_from((dir_ / "init").string());  // a root with LATEST
    c.set_train_path((dir_ / "data/train.jsonl").string());
    c.set_heldout_path((dir_ / "data/heldout.jsonl").string());
    c.set_out_dir((dir_ / "out").string());
    auto* o = c.mutable_optimizer();
    o->set_lr(3e-3);
    o->set_warmup_steps(5);
    o->set_min_lr_ratio(0.1);
    o->set_grad_clip(1.0);
    o->set_weight_decay(0.01);
    c.set_steps(steps);
    c.set_batch_size(16);
    c.set_seed(5);
    return c;
  }

  std::vector<nlohmann::json> Records(bool eval) const {
    std::vector<nlohmann::json> records;
    std::ifstream in(dir_ / "out/metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto record = nlohmann::json::parse(line);
      if (record.contains("kind") == eval) records.push_back(record);
    }
    return records;
  }

  std::vector<double> StepLosses() const {
    std::vector<double> losses;
    for (const auto& record : Records(false)) losses.push_back(record["loss"]);
    return losses;
  }

  testing::ScopedTempDir temp_{"rm"};
  const std::filesystem::path dir_ = temp_.path();
  Gpt init_{nullptr};
};

TEST_F(RmTrainerTest, StartsFromTheTrunkWithANewScoreHead) {
  auto trainer = RmTrainer::Create(Config(1), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  Gpt& model = (*trainer)->model();
  EXPECT_TRUE(model->config().score_head());
  std::map<std::string, torch::Tensor> weights;
  for (const auto& [name, tensor] : model->NamedWeights()) weights[name] = tensor;
  for (const auto& [name, tensor] : init_->NamedWeights()) {
    ASSERT_TRUE(weights.count(name)) << name;
    EXPECT_TRUE(torch::equal(weights[name], tensor)) << name;
  }
  EXPECT_TRUE(weights.count("score.weight"));
}

TEST_F(RmTrainerTest, HeldoutPairwiseAccuracyRisesAndLossFalls) {
  v1::RmConfig config = Config(120);
  config.set_eval_every(40);
  auto trainer = RmTrainer::Create(config, nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto summary = (*trainer)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();

  const double before = (*summary)["heldout_pairwise_accuracy_before"];
  const double after = (*summary)["heldout_pairwise_accuracy"];
  EXPECT_LT(before, 0.75);
  EXPECT_GE(after, 0.95);
  EXPECT_GE(after - before, 0.25);
  EXPECT_GT((*summary)["heldout_margin"].get<double>(), 1.0);

  std::vector<double> losses = StepLosses();
  ASSERT_EQ(losses.size(), 120u);
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) first += losses[i] / 10, last += losses[110 + i] / 10;
  EXPECT_GT(first, 0.5);  // ln 2 ≈ 0.69 when chosen and rejected score alike
  EXPECT_LT(last, 0.2);
  EXPECT_LT((*summary)["train_loss"].get<double>(), 0.3);
  EXPECT_LT((*summary)["heldout_loss"].get<double>(), 0.3);

  // Evaluations at steps 0, 40, 80 and 120, every one with the numbers the docs promise.
  std::vector<nlohmann::json> evals = Records(true);
  ASSERT_EQ(evals.size(), 4u);
  EXPECT_EQ(evals.front()["step"], 0);
  EXPECT_EQ(evals.back()["step"], 120);
  for (const char* key : {"heldout_pairwise_accuracy", "heldout_loss", "heldout_margin"}) {
    EXPECT_TRUE(evals.back().contains(key)) << key;
  }
  for (const char* key : {"step", "loss", "accuracy", "margin", "lr"}) EXPECT_TRUE(Records(false)[0].contains(key)) << key;
  EXPECT_EQ((*summary)["stage"], "rm");
  EXPECT_EQ((*summary)["steps"], 120);
  for (const char* key : {"wall_s", "checkpoint", "heldout_score_mean", "heldout_score_std"}) {
    EXPECT_TRUE(summary->contains(key)) << key;
  }
  auto on_disk = ReadFile((dir_ / "out/summary.json").string());
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(nlohmann::json::parse(*on_disk)["heldout_pairwise_accuracy"], after);

  // The final checkpoint is a reward model with the held-out statistics of its own weights.
  auto latest = LatestCheckpoint((dir_ / "out/checkpoints").string());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, (*summary)["checkpoint"].get<std::string>());
  auto loaded = LoadModel(*latest);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->model->config().score_head());
  auto stats = ReadScoreStats(*latest);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_DOUBLE_EQ(stats->mean, (*summary)["heldout_score_mean"].get<double>());
  EXPECT_DOUBLE_EQ(stats->std, (*summary)["heldout_score_std"].get<double>());
  EXPECT_EQ(stats->count, 200);
}

TEST_F(RmTrainerTest, ResumeFromLatestContinuesWithIdenticalLosses) {
  v1::RmConfig config = Config(12);
  config.set_checkpoint_every(6);
  {
    auto trainer = RmTrainer::Create(config, nullptr);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    ASSERT_TRUE((*trainer)->Run().ok());
  }
  const std::vector<double> uninterrupted = StepLosses();
  ASSERT_EQ(uninterrupted.size(), 12u);
  const double before = Records(true).front()["heldout_pairwise_accuracy"];

  // A crash after step 12's checkpoint was begun but before LATEST moved: LATEST names step 6.
  const std::string root = (dir_ / "out/checkpoints").string();
  EXPECT_TRUE(ReadScoreStats(root + "/" + CheckpointDirName(6)).ok());
  std::filesystem::remove_all(root + "/" + CheckpointDirName(12));
  ASSERT_TRUE(WriteFileAtomic(root + "/LATEST", CheckpointDirName(6)).ok());

  auto resumed = RmTrainer::Create(config, nullptr);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->step(), 6);
  auto summary = (*resumed)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status();
  const std::vector<double> replayed = StepLosses();
  ASSERT_EQ(replayed.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_DOUBLE_EQ(replayed[i], uninterrupted[i]) << "step " << i + 1;
  EXPECT_EQ((*summary)["heldout_pairwise_accuracy_before"].get<double>(), before);
}

TEST_F(RmTrainerTest, MissingInputsAndBadConfigAreClearErrors) {
  v1::RmConfig config = Config(5);
  config.set_init_from((dir_ / "no_such_checkpoint").string());
  auto no_init = RmTrainer::Create(config, nullptr);
  ASSERT_FALSE(no_init.ok());
  EXPECT_NE(no_init.status().message().find("no_such_checkpoint"), std::string::npos) << no_init.status();

  config = Config(5);
  config.set_train_path((dir_ / "nope.jsonl").string());
  auto no_data = RmTrainer::Create(config, nullptr);
  ASSERT_FALSE(no_data.ok());
  EXPECT_NE(no_data.status().message().find("nope.jsonl"), std::string::npos);

  config = Config(5);
  config.clear_init_from();
  auto bad = RmTrainer::Create(config, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rm.init_from"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum
