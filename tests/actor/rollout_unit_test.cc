#include "actor/rollout_unit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/tensor_proto.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::WorkUnit TrainUnit(int prompts, int group_size) {
  v1::WorkUnit unit;
  unit.set_work_id("w7");
  unit.set_kind(v1::WorkUnit::TRAIN);
  unit.set_group_size(group_size);
  for (int i = 0; i < prompts; ++i) {
    v1::PromptItem* prompt = unit.add_prompts();
    prompt->set_prompt(absl::StrCat("p", i));
    prompt->set_ground_truth(absl::StrCat("g", i));
    (*prompt->mutable_metadata())["id"] = absl::StrCat(i);
  }
  unit.mutable_sampling()->set_max_new_tokens(8);
  return unit;
}

TEST(RolloutUnitTest, SamplesPerPromptIsTheGroupSizeForTrainAndOneForEval) {
  v1::WorkUnit unit = TrainUnit(2, 4);
  EXPECT_EQ(SamplesPerPrompt(unit).value(), 4);
  unit.set_kind(v1::WorkUnit::EVAL);
  EXPECT_EQ(SamplesPerPrompt(unit).value(), 1);
}

TEST(RolloutUnitTest, MalformedUnitsAreErrorsNamingTheUnit) {
  v1::WorkUnit unit = TrainUnit(2, 0);
  EXPECT_THAT(SamplesPerPrompt(unit).status().message(), HasSubstr("'w7': group_size 0"));
  unit = TrainUnit(0, 2);
  EXPECT_THAT(SamplesPerPrompt(unit).status().message(), HasSubstr("has no prompts"));
  unit = TrainUnit(1, 2);
  unit.set_kind(v1::WorkUnit::KIND_UNSPECIFIED);
  EXPECT_EQ(SamplesPerPrompt(unit).status().code(), absl::StatusCode::kInvalidArgument);
  unit = TrainUnit(1, 2);
  unit.mutable_sampling()->set_max_new_tokens(0);
  EXPECT_THAT(SamplingParamsFor(unit, 2).status().message(), HasSubstr("max_new_tokens 0"));
}

TEST(RolloutUnitTest, TrainUnitsSampleWithTheirParamsAndZeroMeansOne) {
  v1::WorkUnit unit = TrainUnit(1, 2);
  unit.mutable_sampling()->set_top_k(5);
  SamplingParams params = SamplingParamsFor(unit, /*eos_id=*/2).value();
  EXPECT_FALSE(params.greedy);
  EXPECT_EQ(params.temperature, 1.0);
  EXPECT_EQ(params.top_p, 1.0);
  EXPECT_EQ(params.top_k, 5);
  EXPECT_EQ(params.max_new_tokens, 8);
  EXPECT_THAT(params.stop_tokens, ElementsAre(2));

  unit.mutable_sampling()->set_temperature(0.7f);
  unit.mutable_sampling()->set_top_p(0.9f);
  params = SamplingParamsFor(unit, 2).value();
  EXPECT_NEAR(params.temperature, 0.7, 1e-6);
  EXPECT_NEAR(params.top_p, 0.9, 1e-6);
}

TEST(RolloutUnitTest, EvalUnitsDecodeGreedily) {
  v1::WorkUnit unit = TrainUnit(1, 2);
  unit.set_kind(v1::WorkUnit::EVAL);
  unit.mutable_sampling()->set_temperature(0.5f);
  SamplingParams params = SamplingParamsFor(unit, 2).value();
  EXPECT_TRUE(params.greedy);
  EXPECT_THAT(params.stop_tokens, ElementsAre(2));
}

TEST(RolloutUnitTest, GenerationSeedIsAFixedFunctionOfSeedUnitAndBatch) {
  EXPECT_EQ(GenerationSeed(1, "w3", 0), GenerationSeed(1, "w3", 0));
  EXPECT_NE(GenerationSeed(1, "w3", 0), GenerationSeed(2, "w3", 0));
  EXPECT_NE(GenerationSeed(1, "w3", 0), GenerationSeed(1, "w4", 0));
  EXPECT_NE(GenerationSeed(1, "w3", 0), GenerationSeed(1, "w3", 1));
}

RolloutUnit TwoSamples() {
  RolloutUnit rollouts;
  rollouts.unit = TrainUnit(2, 1);
  for (int i = 0; i < 2; ++i) {
    v1::Sample& sample = rollouts.samples.emplace_back();
    sample.set_prompt_index(i);
    for (int id : {1, 10 + i}) sample.add_prompt_tokens(id);
    for (int id : {20, 21, 2}) sample.add_completion_tokens(id);
    sample.set_completion_text(absl::StrCat("c", i));
  }
  return rollouts;
}

TEST(RolloutUnitTest, ScoreItemsCarryPromptGroundTruthMetadataAndCompletion) {
  const std::vector<v1::ScoreItem> items = ScoreItemsFor(TwoSamples());
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].prompt(), "p1");
  EXPECT_EQ(items[1].completion(), "c1");
  EXPECT_EQ(items[1].ground_truth(), "g1");
  EXPECT_EQ(items[1].metadata().at("id"), "1");
}

TEST(RolloutUnitTest, RewardsAreCopiedAndMissingStaysMissing) {
  RolloutUnit rollouts = TwoSamples();
  std::vector<v1::ScoreResult> results(2);
  results[0].set_reward(0.5);
  (*results[0].mutable_components())["correct"] = 0.5;
  results[1].set_missing(true);
  results[1].set_reason("timed out");
  EXPECT_EQ(SetRewards(results, rollouts), 1);
  EXPECT_FALSE(rollouts.samples[0].reward().missing());
  EXPECT_EQ(rollouts.samples[0].reward().value(), 0.5);
  EXPECT_EQ(rollouts.samples[0].reward().components().at("correct"), 0.5);
  EXPECT_TRUE(rollouts.samples[1].reward().missing());
  EXPECT_EQ(rollouts.samples[1].reward().value(), 0.0);
  EXPECT_EQ(rollouts.samples[1].reward().reason(), "timed out");

  MarkRewardsMissing(rollouts, "no reference server");
  EXPECT_TRUE(rollouts.samples[0].reward().missing());
  EXPECT_TRUE(rollouts.samples[0].reward().components().empty());
  EXPECT_EQ(rollouts.samples[0].reward().reason(), "no reference server");
}

TEST(RolloutUnitTest, ReferenceSequencesArePromptThenCompletion) {
  RolloutUnit rollouts = TwoSamples();
  const std::vector<v1::Sequence> sequences = ReferenceSequences(rollouts);
  ASSERT_EQ(sequences.size(), 2u);
  EXPECT_THAT(sequences[1].tokens(), ElementsAre(1, 11, 20, 21, 2));
  EXPECT_EQ(sequences[1].prompt_len(), 2);

  SetReferenceLogProbs({torch::tensor({-1.f, -2.f, -3.f}), torch::tensor({-4.f, -5.f, -6.f})}, rollouts);
  const torch::Tensor got = TensorFromProto(rollouts.samples[1].reference_logprobs()).value();
  EXPECT_TRUE(torch::equal(got, torch::tensor({-4.f, -5.f, -6.f})));
}

}  // namespace
}  // namespace fulcrum
