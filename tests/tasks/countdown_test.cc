#include "tasks/countdown.h"

#include <algorithm>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/expression_parser.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<CountdownTask> MakeCountdown(int numbers = 3, int max_number = 20) {
  return CountdownTask::Create({numbers, max_number}).value();
}

struct Sizes {
  int numbers;
  int max_number;
};

class CountdownSampleTest : public ::testing::TestWithParam<Sizes> {};

TEST_P(CountdownSampleTest, ProblemsHaveTheDocumentedFormatAndVerify) {
  auto task = MakeCountdown(GetParam().numbers, GetParam().max_number);
  const std::regex prompt_format(R"(([1-9]\d*,)*[1-9]\d*:[1-9]\d*=)");
  std::mt19937_64 rng(17);
  for (int i = 0; i < 500; ++i) {
    const Problem p = task->Sample(rng);
    ASSERT_TRUE(std::regex_match(p.prompt, prompt_format)) << p.prompt;
    EXPECT_EQ(p.prompt, p.ground_truth + "=");
    const CountdownTask::Instance instance = CountdownTask::ParseGroundTruth(p.ground_truth).value();
    EXPECT_EQ(instance.numbers.size(), static_cast<size_t>(GetParam().numbers));
    EXPECT_TRUE(std::is_sorted(instance.numbers.begin(), instance.numbers.end()));
    EXPECT_GE(instance.numbers.front(), 1);
    EXPECT_LE(instance.numbers.back(), GetParam().max_number);
    EXPECT_GE(instance.target, 1);
    EXPECT_LE(instance.target, CountdownTask::kMaxTarget);
    EXPECT_LE(p.response.size(), CountdownTask::kMaxAnswerLength);
    const Verdict verdict = task->Verify(p.response, p.ground_truth);
    EXPECT_TRUE(verdict.correct && verdict.well_formed)
        << p.prompt << p.response << ": " << verdict.reason;
  }
}

TEST_P(CountdownSampleTest, WrongResponsesUseEveryNumberOnceAndMissTheTarget) {
  auto task = MakeCountdown(GetParam().numbers, GetParam().max_number);
  std::mt19937_64 rng(23);
  for (int i = 0; i < 500; ++i) {
    const Problem p = task->Sample(rng);
    const std::string wrong = task->WrongResponse(p, rng);
    const Verdict verdict = task->Verify(wrong, p.ground_truth);
    EXPECT_TRUE(verdict.well_formed) << p.prompt << wrong << ": " << verdict.reason;
    EXPECT_FALSE(verdict.correct) << p.prompt << wrong;
    EXPECT_THAT(verdict.reason, HasSubstr("answer equals")) << p.prompt << wrong;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, CountdownSampleTest,
                         ::testing::Values(Sizes{3, 20}, Sizes{2, 1}, Sizes{4, 10},
                                           Sizes{6, 999}));

TEST(CountdownTest, SameSeedSameProblems) {
  auto task = MakeCountdown();
  std::mt19937_64 a(9), b(9), c(10);
  std::vector<std::string> from_a, from_b, from_c;
  for (int i = 0; i < 50; ++i) {
    const Problem pa = task->Sample(a);
    from_a.push_back(pa.prompt + pa.response);
    const Problem pb = task->Sample(b);
    from_b.push_back(pb.prompt + pb.response);
    from_c.push_back(task->Sample(c).prompt);
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

TEST(CountdownTest, WrongResponseExistsEvenWhenMostCombinationsHitTheTarget) {
  // 2+2 and 2*2 both make 4; only 2/2 misses.
  auto task = MakeCountdown(2, 2);
  const Problem p{"2,2:4=", "2+2", "2,2:4"};
  for (uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    const std::string wrong = task->WrongResponse(p, rng);
    const Verdict verdict = task->Verify(wrong, p.ground_truth);
    EXPECT_TRUE(verdict.well_formed && !verdict.correct) << wrong << ": " << verdict.reason;
  }
}

Verdict Check(const std::string& completion, const std::string& ground_truth = "3,5,7:22") {
  return MakeCountdown()->Verify(completion, ground_truth);
}

TEST(CountdownVerifyTest, AcceptsAnyCorrectExpression) {
  for (const char* answer : {"3*5+7", "7+5*3", "(3*5)+7", "5*3+7", "((3*5)+(7))"}) {
    EXPECT_TRUE(Check(answer).correct) << answer << ": " << Check(answer).reason;
  }
}

TEST(CountdownVerifyTest, WrongNumbersAreWellFormedButIncorrect) {
  for (const char* answer : {"3*5+7+3-3", "3*5+7*1", "3*7+1", "3*5+7+0", "15+7"}) {
    const Verdict verdict = Check(answer);
    EXPECT_TRUE(verdict.well_formed) << answer;
    EXPECT_FALSE(verdict.correct) << answer;
    EXPECT_THAT(verdict.reason, HasSubstr("but the problem gives {3,5,7}")) << answer;
  }
}

TEST(CountdownVerifyTest, ReusedNumberIsRejectedEvenIfItReachesTheTarget) {
  // 5*5-3 = 22 uses 5 twice and leaves 7 out.
  const Verdict verdict = Check("5*5-3");
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("uses numbers {3,5,5}"));
}

TEST(CountdownVerifyTest, RepeatedGivenNumbersMustEachBeUsed) {
  EXPECT_TRUE(Check("2*2+3", "2,2,3:7").correct);
  EXPECT_FALSE(Check("2*3+1", "2,2,3:7").correct);
}

TEST(CountdownVerifyTest, WrongValueSaysWhatItEquals) {
  const Verdict verdict = Check("3+5+7");
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("equals 15, not 22"));
}

class MalformedExpressionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedExpressionTest, IsRejectedAsMalformed) {
  const Verdict verdict = Check(GetParam());
  EXPECT_FALSE(verdict.correct);
  EXPECT_FALSE(verdict.well_formed);
  EXPECT_THAT(verdict.reason, HasSubstr("answer"));
}

INSTANTIATE_TEST_SUITE_P(
    Adversarial, MalformedExpressionTest,
    ::testing::Values("", "3*5+7 ", " 3*5+7", "3 * 5 + 7", "3*5+7\n3*5+7", "3*5+7 3*5+7",
                      "3*5+7=22", "(3*5+7", "3*5+7)", ")3*5+7(", "3*5+07", "-3+5*7+3",
                      "3*5++7", "3\xc3\x97" "5+7",  // "3×5+7".
                      "3*5+7\xe2\x80\x8b", std::string("3*5+7\0", 6), "3*5+7;",
                      std::string(65, '('), std::string(10000, '7')));

TEST(CountdownVerifyTest, DivisionByZeroIsIncorrectNotMalformed) {
  const Verdict verdict = Check("5/(2-2)", "2,2,5:5");
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("division by zero"));
}

// The rule: intermediate values may be fractions or negative; only the exact final value counts.
TEST(CountdownVerifyTest, NonIntegerIntermediatesCountOnlyByExactFinalValue) {
  EXPECT_TRUE(Check("4/(2/3)", "2,3,4:6").correct);
  EXPECT_TRUE(Check("3/2*4", "2,3,4:6").correct);
  EXPECT_TRUE(Check("3-5+7", "3,5,7:5").correct);
  const Verdict inexact = Check("2/3+4", "2,3,4:4");
  EXPECT_FALSE(inexact.correct);
  EXPECT_THAT(inexact.reason, HasSubstr("equals 14/3"));
  EXPECT_FALSE(Check("7/2+1", "1,2,7:4").correct);  // 4.5 must not truncate to 4.
}

TEST(CountdownVerifyTest, OverflowIsIncorrectNotWrapped) {
  const std::string big = "999999999999999999";
  const Verdict verdict = Check(big + "*" + big + "/1", big + "," + big + ",1:1");
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("overflow"));
}

TEST(CountdownVerifyTest, MalformedGroundTruthNeverMatches) {
  const Verdict verdict = Check("3*5+7", "3,5,7");
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("ground truth"));
}

TEST(CountdownGroundTruthTest, ParsesAndSortsNumbers) {
  const CountdownTask::Instance instance = CountdownTask::ParseGroundTruth("7,3,5:22").value();
  EXPECT_THAT(instance.numbers, ElementsAre(3, 5, 7));
  EXPECT_EQ(instance.target, 22);
}

TEST(CountdownGroundTruthTest, RejectsAnythingNotCanonical) {
  for (const char* bad :
       {"", "3,5", ":22", "3,5:", "3,,5:2", "0,3:3", "3,5:x", "3,5:22:1", "03,5:1", "3, 5:8",
        "3,5:+8", "3;5:8"}) {
    EXPECT_EQ(CountdownTask::ParseGroundTruth(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(CountdownTest, OptionsRejectBadSizes) {
  EXPECT_THAT(CountdownTask::Create({1, 20}).status().message(), HasSubstr("numbers"));
  EXPECT_THAT(CountdownTask::Create({7, 20}).status().message(), HasSubstr("numbers"));
  EXPECT_THAT(CountdownTask::Create({3, 0}).status().message(), HasSubstr("max_number"));
  EXPECT_THAT(CountdownTask::Create({3, 1000}).status().message(), HasSubstr("max_number"));
}

}  // namespace
}  // namespace fulcrum
