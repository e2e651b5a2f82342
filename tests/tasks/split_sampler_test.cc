#include "tasks/split_sampler.h"

#include <random>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/arithmetic.h"
#include "tasks/countdown.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

std::set<std::string> Prompts(const std::vector<Example>& examples) {
  std::set<std::string> prompts;
  for (const Example& example : examples) prompts.insert(example.problem.prompt);
  return prompts;
}

SplitOptions Sizes(int64_t train, int64_t heldout) {
  SplitOptions options;
  options.train_size = train;
  options.heldout_size = heldout;
  return options;
}

TEST(SplitSamplerTest, SplitsHaveTheAskedSizesAndDisjointUniquePrompts) {
  auto task = CountdownTask::Create({3, 20}).value();
  std::mt19937_64 rng(1);
  const DatasetSplits splits = DrawSplits(*task, Sizes(3000, 300), rng).value();
  ASSERT_EQ(splits.train.size(), 3000u);
  ASSERT_EQ(splits.heldout.size(), 300u);
  const std::set<std::string> train = Prompts(splits.train);
  const std::set<std::string> heldout = Prompts(splits.heldout);
  EXPECT_EQ(train.size(), 3000u);
  EXPECT_EQ(heldout.size(), 300u);
  for (const std::string& prompt : heldout) EXPECT_FALSE(train.contains(prompt)) << prompt;
}

TEST(SplitSamplerTest, RejectedAnswersAreWrongAndChosenAnswersRight) {
  auto task = ArithmeticTask::Create({ArithmeticTask::Operation::kMultiplication, 1, 2}).value();
  std::mt19937_64 rng(2);
  const DatasetSplits splits = DrawSplits(*task, Sizes(200, 20), rng).value();
  for (const Example& example : splits.train) {
    const Problem& p = example.problem;
    EXPECT_TRUE(task->Verify(p.response, p.ground_truth).correct) << p.prompt;
    const Verdict rejected = task->Verify(example.rejected, p.ground_truth);
    EXPECT_TRUE(rejected.well_formed && !rejected.correct) << p.prompt << example.rejected;
  }
}

TEST(SplitSamplerTest, SmallPromptSpacesAreCappedToWhatExists) {
  // One-digit addition has exactly 10 * 10 prompts.
  auto task = ArithmeticTask::Create({ArithmeticTask::Operation::kAddition, 1, 1}).value();
  SplitOptions options = Sizes(1000, 30);
  options.max_consecutive_duplicates = 5000;
  std::mt19937_64 rng(3);
  const DatasetSplits splits = DrawSplits(*task, options, rng).value();
  EXPECT_EQ(splits.heldout.size(), 30u);
  EXPECT_EQ(splits.train.size(), 70u);
  std::set<std::string> all = Prompts(splits.train);
  all.merge(Prompts(splits.heldout));
  EXPECT_EQ(all.size(), 100u);
}

TEST(SplitSamplerTest, HeldOutDependsOnlyOnSeedAndItsSize) {
  auto task = ArithmeticTask::Create({ArithmeticTask::Operation::kAddition, 1, 3}).value();
  std::mt19937_64 small_rng(4), large_rng(4);
  const DatasetSplits small = DrawSplits(*task, Sizes(10, 50), small_rng).value();
  const DatasetSplits large = DrawSplits(*task, Sizes(1000, 50), large_rng).value();
  ASSERT_EQ(small.heldout.size(), large.heldout.size());
  for (size_t i = 0; i < small.heldout.size(); ++i) {
    EXPECT_EQ(small.heldout[i].problem.prompt, large.heldout[i].problem.prompt);
    EXPECT_EQ(small.heldout[i].rejected, large.heldout[i].rejected);
  }
}

TEST(SplitSamplerTest, InvalidOptionsAreErrors) {
  auto task = ArithmeticTask::Create({ArithmeticTask::Operation::kAddition, 1, 3}).value();
  std::mt19937_64 rng(5);
  EXPECT_THAT(DrawSplits(*task, Sizes(-1, 10), rng).status().message(), HasSubstr("train size"));
  EXPECT_THAT(DrawSplits(*task, Sizes(10, -1), rng).status().message(),
              HasSubstr("held-out size"));
  SplitOptions no_retries = Sizes(10, 10);
  no_retries.max_consecutive_duplicates = 0;
  EXPECT_THAT(DrawSplits(*task, no_retries, rng).status().message(),
              HasSubstr("max_consecutive_duplicates"));
}

}  // namespace
}  // namespace fulcrum
