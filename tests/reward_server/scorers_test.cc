#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "fulcrum/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reward_server/composite_scorer.h"
#include "reward_server/exact_match_scorer.h"
#include "reward_server/format_scorer.h"
#include "reward_server/item_scorer.h"
#include "reward_server/regex_scorer.h"
#include "reward_server/verifier_scorer.h"
#include "tasks/registry.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

ScoreItems Items(const std::vector<std::pair<std::string, std::string>>& completion_and_truth) {
  ScoreItems items;
  for (const auto& [completion, truth] : completion_and_truth) {
    fulcrum::v1::ScoreItem* item = items.Add();
    item->set_prompt("123+45=");
    item->set_completion(completion);
    item->set_ground_truth(truth);
  }
  return items;
}

fulcrum::v1::ScoreResult ScoreOne(const Scorer& scorer, const std::string& completion,
                                  const std::string& truth) {
  std::vector<fulcrum::v1::ScoreResult> results =
      scorer.ScoreBatch(Items({{completion, truth}}), absl::InfiniteFuture());
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? fulcrum::v1::ScoreResult() : results[0];
}

std::shared_ptr<const Task> Addition() {
  fulcrum::v1::TaskConfig config;
  config.set_name("addition");
  absl::StatusOr<std::unique_ptr<Task>> task = MakeTask(config);
  EXPECT_TRUE(task.ok()) << task.status();
  return std::move(*task);
}

TEST(VerifierScorerTest, RewardsOnlyTheExactCanonicalAnswer) {
  VerifierScorer scorer(Addition());
  const fulcrum::v1::ScoreResult right = ScoreOne(scorer, "168", "168");
  EXPECT_FALSE(right.missing());
  EXPECT_EQ(right.reward(), 1.0);
  EXPECT_THAT(right.components(), UnorderedElementsAre(Pair("correct", 1.0)));
  EXPECT_EQ(right.reason(), "");

  const fulcrum::v1::ScoreResult wrong = ScoreOne(scorer, "169", "168");
  EXPECT_FALSE(wrong.missing());
  EXPECT_EQ(wrong.reward(), 0.0);
  EXPECT_THAT(wrong.components(), UnorderedElementsAre(Pair("correct", 0.0)));
  EXPECT_THAT(wrong.reason(), HasSubstr("169 is not 168"));
}

TEST(VerifierScorerTest, AdversarialCompletionsScoreZeroNotMissing) {
  VerifierScorer scorer(Addition());
  for (const std::string& completion : std::vector<std::string>{
           "", " 168", "0168", "+168", "168 168", "168.0", "1 6 8", "168\n", "168 or 169",
        std::string("168\0", 4), "99999999999999999999999999999999999168"}) {
    const fulcrum::v1::ScoreResult result = ScoreOne(scorer, completion, "168");
    EXPECT_FALSE(result.missing()) << "'" << completion << "'";
    EXPECT_EQ(result.reward(), 0.0) << "'" << completion << "'";
    EXPECT_NE(result.reason(), "") << "'" << completion << "'";
  }
}

TEST(VerifierScorerTest, MissingGroundTruthIsMissingNotZero) {
  VerifierScorer scorer(Addition());
  const fulcrum::v1::ScoreResult result = ScoreOne(scorer, "168", "");
  EXPECT_TRUE(result.missing());
  EXPECT_THAT(result.reason(), HasSubstr("ground_truth"));
}

TEST(FormatScorerTest, RewardsWellFormedAnswersRightOrWrong) {
  FormatScorer scorer(Addition());
  EXPECT_EQ(ScoreOne(scorer, "168", "168").reward(), 1.0);
  EXPECT_EQ(ScoreOne(scorer, "169", "168").reward(), 1.0);
  const fulcrum::v1::ScoreResult malformed = ScoreOne(scorer, "one hundred", "168");
  EXPECT_FALSE(malformed.missing());
  EXPECT_EQ(malformed.reward(), 0.0);
  EXPECT_THAT(malformed.components(), UnorderedElementsAre(Pair("well_formed", 0.0)));
  EXPECT_NE(malformed.reason(), "");
}

TEST(ExactMatchScorerTest, ComparesAfterTrimmingWhitespace) {
  ExactMatchScorer scorer;
  EXPECT_EQ(ScoreOne(scorer, "  Paris\n", "Paris").reward(), 1.0);
  EXPECT_EQ(ScoreOne(scorer, "Paris", " Paris ").reward(), 1.0);
  EXPECT_EQ(ScoreOne(scorer, "paris", "Paris").reward(), 0.0);
  EXPECT_EQ(ScoreOne(scorer, "Paris, France", "Paris").reward(), 0.0);
  EXPECT_TRUE(ScoreOne(scorer, "", "  ").missing());
}

TEST(RegexScorerTest, SubstitutesGroundTruthLiterallyAndMatchesWholeCompletion) {
  absl::StatusOr<std::unique_ptr<RegexScorer>> scorer =
      RegexScorer::Create(R"(\s*answer: {ground_truth}\s*)");
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  EXPECT_EQ(ScoreOne(**scorer, "answer: 1+1 ", "1+1").reward(), 1.0);
  // Quoted: "+" in the ground truth is not a regex quantifier.
  EXPECT_EQ(ScoreOne(**scorer, "answer: 11", "1+1").reward(), 0.0);
  // Full match: extra text after the answer fails.
  EXPECT_EQ(ScoreOne(**scorer, "answer: 1+1 and more", "1+1").reward(), 0.0);
  EXPECT_EQ(ScoreOne(**scorer, "answer: 168", "168").reward(), 1.0);
  EXPECT_TRUE(ScoreOne(**scorer, "answer: 168", "").missing());
}

TEST(RegexScorerTest, PatternWithoutPlaceholderIgnoresGroundTruth) {
  absl::StatusOr<std::unique_ptr<RegexScorer>> scorer = RegexScorer::Create("[0-9]+");
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  EXPECT_EQ(ScoreOne(**scorer, "12345", "").reward(), 1.0);
  EXPECT_EQ(ScoreOne(**scorer, "12a45", "").reward(), 0.0);
}

TEST(RegexScorerTest, RejectsBadPatterns) {
  EXPECT_EQ(RegexScorer::Create("").status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status bad = RegexScorer::Create("({ground_truth}").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("({ground_truth}"));
}

// Returns a fixed reward per completion, NaN for "nan", and throws for "throw".
class TableScorer final : public ItemScorer {
 protected:
  fulcrum::v1::ScoreResult ScoreOne(const fulcrum::v1::ScoreItem& item) const override {
    if (item.completion() == "throw") throw std::runtime_error("boom");
    fulcrum::v1::ScoreResult result;
    if (item.completion() == "nan") {
      result.set_reward(std::numeric_limits<double>::quiet_NaN());
    } else if (item.completion() == "inf component") {
      result.set_reward(1.0);
      (*result.mutable_components())["x"] = std::numeric_limits<double>::infinity();
    } else {
      result.set_reward(std::stod(item.completion()));
    }
    return result;
  }
};

TEST(ItemScorerTest, NanThrowAndInfiniteComponentBecomeMissingOthersSurvive) {
  TableScorer scorer;
  const std::vector<fulcrum::v1::ScoreResult> results = scorer.ScoreBatch(
      Items({{"0.5", ""}, {"nan", ""}, {"throw", ""}, {"inf component", ""}, {"2", ""}}),
      absl::InfiniteFuture());
  ASSERT_EQ(results.size(), 5u);
  EXPECT_FALSE(results[0].missing());
  EXPECT_EQ(results[0].reward(), 0.5);
  EXPECT_TRUE(results[1].missing());
  EXPECT_THAT(results[1].reason(), HasSubstr("non-finite reward"));
  EXPECT_TRUE(results[2].missing());
  EXPECT_THAT(results[2].reason(), HasSubstr("boom"));
  EXPECT_TRUE(results[3].missing());
  EXPECT_THAT(results[3].reason(), HasSubstr("'x'"));
  EXPECT_FALSE(results[4].missing());
  EXPECT_EQ(results[4].reward(), 2.0);
}

TEST(ItemScorerTest, ItemsAfterTheDeadlineAreMissing) {
  TableScorer scorer;
  const std::vector<fulcrum::v1::ScoreResult> results =
      scorer.ScoreBatch(Items({{"1", ""}, {"1", ""}}), absl::InfinitePast());
  ASSERT_EQ(results.size(), 2u);
  for (const fulcrum::v1::ScoreResult& result : results) {
    EXPECT_TRUE(result.missing());
    EXPECT_EQ(result.reason(), "deadline exceeded");
  }
}

absl::StatusOr<std::unique_ptr<CompositeScorer>> TableAndVerifier(double table_weight,
                                                                 double verifier_weight) {
  std::vector<CompositeScorer::Part> parts;
  parts.push_back({"table", table_weight, std::make_unique<TableScorer>()});
  parts.push_back({"verifier", verifier_weight, std::make_unique<VerifierScorer>(Addition())});
  return CompositeScorer::Create(std::move(parts));
}

TEST(CompositeScorerTest, WeightedSumWithEveryPartNamed) {
  absl::StatusOr<std::unique_ptr<CompositeScorer>> scorer = TableAndVerifier(0.25, 2.0);
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  // "4" is a correct answer to "4" (verifier 1) and table reward 4: 0.25 * 4 + 2 * 1 = 3.
  const fulcrum::v1::ScoreResult right = ScoreOne(**scorer, "4", "4");
  EXPECT_FALSE(right.missing());
  EXPECT_DOUBLE_EQ(right.reward(), 3.0);
  EXPECT_THAT(right.components(), UnorderedElementsAre(Pair("table", 4.0), Pair("verifier", 1.0)));
  // Wrong answer: 0.25 * 3 + 2 * 0, and the verifier's reason is attributed to it.
  const fulcrum::v1::ScoreResult wrong = ScoreOne(**scorer, "3", "4");
  EXPECT_DOUBLE_EQ(wrong.reward(), 0.75);
  EXPECT_THAT(wrong.components(), UnorderedElementsAre(Pair("table", 3.0), Pair("verifier", 0.0)));
  EXPECT_THAT(wrong.reason(), HasSubstr("verifier: answer 3 is not 4"));
}

TEST(CompositeScorerTest, MissingWhenAnyPartIsMissing) {
  absl::StatusOr<std::unique_ptr<CompositeScorer>> scorer = TableAndVerifier(1.0, 1.0);
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  const std::vector<fulcrum::v1::ScoreResult> results =
      (*scorer)->ScoreBatch(Items({{"nan", "4"}, {"4", ""}, {"4", "4"}}), absl::InfiniteFuture());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].missing());
  EXPECT_THAT(results[0].reason(), HasSubstr("table: scorer produced a non-finite reward"));
  EXPECT_TRUE(results[1].missing());
  EXPECT_THAT(results[1].reason(), HasSubstr("verifier: item has no ground_truth"));
  EXPECT_FALSE(results[2].missing());
  EXPECT_DOUBLE_EQ(results[2].reward(), 5.0);
}

TEST(CompositeScorerTest, RejectsBadParts) {
  EXPECT_EQ(CompositeScorer::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<CompositeScorer::Part> repeated;
  repeated.push_back({"a", 1.0, std::make_unique<TableScorer>()});
  repeated.push_back({"a", 1.0, std::make_unique<TableScorer>()});
  EXPECT_THAT(CompositeScorer::Create(std::move(repeated)).status().message(),
              HasSubstr("'a' repeats"));
  std::vector<CompositeScorer::Part> nan_weight;
  nan_weight.push_back({"a", std::nan(""), std::make_unique<TableScorer>()});
  EXPECT_THAT(CompositeScorer::Create(std::move(nan_weight)).status().message(),
              HasSubstr("non-finite weight"));
}

}  // namespace
}  // namespace fulcrum
