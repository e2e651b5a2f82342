// Pipeline loading: what is resolved, and that each mistake is reported with file, line and key.
#include "orchestrator/pipeline.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/sft.jsonl") << "{\"prompt\": \"1+1=\", \"response\": \"2\"}\n";
    std::ofstream(dir_.path() + "/prefs.jsonl") << "{\"prompt\": \"1+1=\", \"chosen\": \"2\", \"rejected\": \"3\"}\n";
  }
  // Writes `yaml` (with $D standing for the temp dir) and loads it.
  absl::StatusOr<v1::PipelineConfig> Load(std::string yaml) {
    for (size_t at; (at = yaml.find("$D")) != std::string::npos;) yaml.replace(at, 2, dir_.path());
    path_ = dir_.path() + "/pipeline.yaml";
    std::ofstream(path_) << yaml;
    return LoadPipeline(path_);
  }
  testing::ScopedTempDir dir_{"pipeline"};
  std::string path_;
};

constexpr char kGood[] = R"(name: p
runs_dir: $D/runs
datasets:
  - out: $D/data
    task: {name: addition}
stages:
  - name: sft
    sft: {train_path: $D/sft.jsonl, steps: 10}
  - name: rm
    rm: {init_from: sft, train_path: $D/prefs.jsonl}
  - name: rl
    rl: {policy_init: sft, prompts_path: $D/data/rl_train.jsonl, steps: 5}
    reward: {reward_model: rm}
  - name: eval
    eval: {checkpoint: rl, prompts_path: $D/data/rl_heldout.jsonl}
    selectors:
      - {name: verifier, reward: {scorer: verifier}}
      - {name: rm, reward: {reward_model: rm}}
)";

TEST_F(PipelineTest, ResolvesStageReferencesAndOutDirs) {
  absl::StatusOr<v1::PipelineConfig> pipeline = Load(kGood);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  const std::string run = dir_.path() + "/runs/p";
  EXPECT_EQ(RunDir(*pipeline), run);
  EXPECT_EQ(pipeline->stages(0).sft().out_dir(), run + "/sft");
  EXPECT_EQ(pipeline->stages(1).rm().init_from(), run + "/sft/checkpoints");
  EXPECT_EQ(pipeline->stages(2).rl().policy_init(), run + "/sft/checkpoints");
  EXPECT_EQ(pipeline->stages(2).reward().reward_model(), run + "/rm/checkpoints");
  EXPECT_EQ(pipeline->stages(3).eval().checkpoint(), run + "/rl/checkpoints");
  EXPECT_EQ(pipeline->stages(3).selectors(1).reward().reward_model(), run + "/rm/checkpoints");
  EXPECT_EQ(StageKind(pipeline->stages(2)), "rl");
  EXPECT_EQ(StageSteps(pipeline->stages(2)), 5);
}

TEST_F(PipelineTest, UnknownKeyNamesFileLineAndPath) {
  std::string yaml = kGood;
  yaml.replace(yaml.find("steps: 10"), 9, "stepz: 10");
  absl::Status status = Load(yaml).status();
  EXPECT_THAT(status.message(), HasSubstr(path_ + ":8"));
  EXPECT_THAT(status.message(), HasSubstr("stepz"));
}

TEST_F(PipelineTest, EachMistakeIsNamed) {
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"init_from: sft", "init_from: sfft", ":9: stages[1] 'rm': 'rm.init_from' is 'sfft', which is neither an earlier stage"},
      {"policy_init: sft", "policy_init: eval", "'rl.policy_init' names stage 'eval', which runs later"},
      {"reward_model: rm}\n  - name: eval", "reward_model: sft}\n  - name: eval", "names stage 'sft', a sft stage"},
      {"$D/prefs.jsonl", "$D/missing.jsonl", "missing.jsonl, which does not exist and no dataset"},
      {"name: rm\n", "name: sft\n", "a stage named 'sft' comes earlier already"},
      {"sft: {train_path: $D/sft.jsonl, steps: 10}", "sft: {train_path: $D/sft.jsonl, out_dir: /tmp/x}", "'out_dir' is set by the pipeline"},
      {"  - name: rm\n    rm: {init_from: sft, train_path: $D/prefs.jsonl}\n", "  - name: rm\n", "says nothing to do"},
      {"reward: {reward_model: rm}", "reward: {reward_model: rm, address: 'h:1'}", "more than one of scorer, reward_model and address"},
  };
  for (const Case& c : cases) {
    std::string yaml = kGood;
    const size_t at = yaml.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    yaml.replace(at, c.from.size(), c.to);
    absl::Status status = Load(yaml).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.to;
    EXPECT_THAT(status.message(), HasSubstr(c.expected)) << c.to;
  }
}

TEST_F(PipelineTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadPipeline(dir_.path() + "/nope.yaml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fulcrum
