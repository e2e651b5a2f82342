#include "reward_server/scorer_factory.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

ScorerOptions Verifier() {
  ScorerOptions options;
  options.scorer = "verifier";
  options.task.set_name("addition");
  return options;
}

TEST(ParseCompositeWeightsTest, ParsesNamesAndWeights) {
  absl::StatusOr<std::vector<std::pair<std::string, double>>> weights =
      ParseCompositeWeights("verifier:1.0, format:0.1");
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_THAT(*weights, ElementsAre(Pair("verifier", 1.0), Pair("format", 0.1)));
  EXPECT_TRUE(ParseCompositeWeights("")->empty());
}

TEST(ParseCompositeWeightsTest, NamesTheBadEntry) {
  for (const std::string spec : {"verifier", "verifier:x", ":1", "verifier:1:2"}) {
    const absl::Status status = ParseCompositeWeights(spec).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(status.message(), HasSubstr(spec)) << spec;
  }
}

TEST(ScorerOptionsTest, ErrorsNameTheOption) {
  ScorerOptions unknown = Verifier();
  unknown.scorer = "bleu";
  EXPECT_THAT(unknown.Validate().message(), HasSubstr("scorer must be one of"));

  ScorerOptions no_task = Verifier();
  no_task.task.clear_name();
  EXPECT_THAT(no_task.Validate().message(), HasSubstr("task.name"));

  ScorerOptions regex_missing = Verifier();
  regex_missing.scorer = "regex";
  EXPECT_THAT(regex_missing.Validate().message(), HasSubstr("regex"));

  ScorerOptions regex_unused = Verifier();
  regex_unused.regex = "x";
  EXPECT_THAT(regex_unused.Validate().message(), HasSubstr("regex: set"));

  ScorerOptions empty_composite = Verifier();
  empty_composite.scorer = "composite";
  EXPECT_THAT(empty_composite.Validate().message(), HasSubstr("composite"));

  ScorerOptions nested = Verifier();
  nested.scorer = "composite";
  nested.composite = {{"composite", 1.0}};
  EXPECT_THAT(nested.Validate().message(), HasSubstr("part 'composite'"));

  ScorerOptions stray_parts = Verifier();
  stray_parts.composite = {{"format", 1.0}};
  EXPECT_THAT(stray_parts.Validate().message(), HasSubstr("composite: set"));

  EXPECT_TRUE(Verifier().Validate().ok());
}

TEST(MakeScorerTest, PassesTaskErrorsThrough) {
  ScorerOptions options = Verifier();
  options.task.set_name("chess");
  EXPECT_EQ(MakeScorer(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MakeScorerTest, BuildsAWorkingComposite) {
  ScorerOptions options = Verifier();
  options.scorer = "composite";
  options.regex = "[0-9]+";
  options.composite = {{"verifier", 1.0}, {"format", 0.1}, {"regex", 0.5}};
  absl::StatusOr<std::unique_ptr<Scorer>> scorer = MakeScorer(options);
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  ScoreItems items;
  items.Add()->set_completion("169");
  items[0].set_ground_truth("168");
  const std::vector<fulcrum::v1::ScoreResult> results =
      (*scorer)->ScoreBatch(items, absl::InfiniteFuture());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_DOUBLE_EQ(results[0].reward(), 0.6);
  EXPECT_THAT(results[0].components(),
              UnorderedElementsAre(Pair("verifier", 0.0), Pair("format", 1.0), Pair("regex", 1.0)));
}

TEST(CheckScorerOptionsTest, AcceptsARewardModelWhoseCheckpointDoesNotExistYet) {
  ScorerOptions options;
  options.scorer = "reward_model";
  options.checkpoint = "runs/not_trained_yet/rm/checkpoints";
  options.normalize = true;
  EXPECT_TRUE(CheckScorerOptions(options).ok());
  EXPECT_FALSE(MakeScorer(options).ok());  // Building it does read the checkpoint.

  options.checkpoint.clear();
  EXPECT_THAT(CheckScorerOptions(options).message(), HasSubstr("checkpoint: required"));
}

TEST(CheckScorerOptionsTest, FindsWhatOnlyBuildingWouldFind) {
  EXPECT_TRUE(CheckScorerOptions(Verifier()).ok());

  ScorerOptions unknown_task = Verifier();
  unknown_task.task.set_name("chess");
  EXPECT_EQ(CheckScorerOptions(unknown_task).code(), absl::StatusCode::kInvalidArgument);

  ScorerOptions bad_regex;
  bad_regex.scorer = "regex";
  bad_regex.regex = "([0-9]+";
  EXPECT_EQ(CheckScorerOptions(bad_regex).code(), absl::StatusCode::kInvalidArgument);

  ScorerOptions repeated = Verifier();
  repeated.scorer = "composite";
  repeated.composite = {{"verifier", 1.0}, {"verifier", 0.5}};
  EXPECT_THAT(CheckScorerOptions(repeated).message(), HasSubstr("part 'verifier' repeats"));
  EXPECT_FALSE(MakeScorer(repeated).ok());
}

}  // namespace
}  // namespace fulcrum
