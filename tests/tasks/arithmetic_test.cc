#include "tasks/arithmetic.h"

#include <cstdint>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using Operation = ArithmeticTask::Operation;

std::unique_ptr<ArithmeticTask> MakeArithmetic(Operation operation, int min_digits,
                                               int max_digits) {
  return ArithmeticTask::Create({operation, min_digits, max_digits}).value();
}

class ArithmeticSampleTest : public ::testing::TestWithParam<Operation> {};

TEST_P(ArithmeticSampleTest, ProblemsHaveTheDocumentedFormatAndVerify) {
  const bool add = GetParam() == Operation::kAddition;
  auto task = MakeArithmetic(GetParam(), 1, 4);
  const std::regex format(add ? R"((0|[1-9]\d{0,3})\+(0|[1-9]\d{0,3})=)"
                              : R"((0|[1-9]\d{0,3})\*(0|[1-9]\d{0,3})=)");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const Problem p = task->Sample(rng);
    std::smatch operands;
    ASSERT_TRUE(std::regex_match(p.prompt, operands, format)) << p.prompt;
    const int64_t a = std::stoll(operands[1]);
    const int64_t b = std::stoll(operands[2]);
    EXPECT_EQ(p.response, std::to_string(add ? a + b : a * b)) << p.prompt;
    EXPECT_EQ(p.ground_truth, p.response);
    const Verdict verdict = task->Verify(p.response, p.ground_truth);
    EXPECT_TRUE(verdict.correct && verdict.well_formed) << p.prompt << " " << verdict.reason;
    EXPECT_EQ(verdict.reason, "");
  }
}

TEST_P(ArithmeticSampleTest, WrongResponsesAreWellFormedButIncorrect) {
  auto task = MakeArithmetic(GetParam(), 1, 3);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    const Problem p = task->Sample(rng);
    const std::string wrong = task->WrongResponse(p, rng);
    const Verdict verdict = task->Verify(wrong, p.ground_truth);
    EXPECT_TRUE(verdict.well_formed) << p.prompt << " " << wrong << ": " << verdict.reason;
    EXPECT_FALSE(verdict.correct) << p.prompt << " " << wrong;
  }
}

TEST_P(ArithmeticSampleTest, SameSeedSameProblems) {
  auto task = MakeArithmetic(GetParam(), 1, 3);
  std::mt19937_64 a(5), b(5), c(6);
  std::vector<std::string> from_a, from_b, from_c;
  for (int i = 0; i < 50; ++i) {
    from_a.push_back(task->Sample(a).prompt);
    from_b.push_back(task->Sample(b).prompt);
    from_c.push_back(task->Sample(c).prompt);
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

INSTANTIATE_TEST_SUITE_P(Operations, ArithmeticSampleTest,
                         ::testing::Values(Operation::kAddition, Operation::kMultiplication));

TEST(ArithmeticTest, OperandDigitCountsCoverTheRange) {
  auto task = MakeArithmetic(Operation::kAddition, 2, 3);
  std::mt19937_64 rng(3);
  std::vector<int> seen(5, 0);
  for (int i = 0; i < 1000; ++i) {
    const std::string prompt = task->Sample(rng).prompt;
    const size_t plus = prompt.find('+');
    ++seen[plus];
    ++seen[prompt.size() - plus - 2];
  }
  EXPECT_EQ(seen[0] + seen[1] + seen[4], 0);
  EXPECT_GT(seen[2], 700);
  EXPECT_GT(seen[3], 700);
}

TEST(ArithmeticTest, NamesFollowTheOperation) {
  EXPECT_EQ(MakeArithmetic(Operation::kAddition, 1, 1)->name(), "addition");
  EXPECT_EQ(MakeArithmetic(Operation::kMultiplication, 1, 1)->name(), "multiplication");
}

class MalformedAnswerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedAnswerTest, IsRejectedAsMalformed) {
  auto task = MakeArithmetic(Operation::kAddition, 1, 2);
  const Verdict verdict = task->Verify(GetParam(), "12");
  EXPECT_FALSE(verdict.correct);
  EXPECT_FALSE(verdict.well_formed);
  EXPECT_THAT(verdict.reason, HasSubstr("answer"));
}

INSTANTIATE_TEST_SUITE_P(
    Adversarial, MalformedAnswerTest,
    ::testing::Values("", "12 12", "12\n12", "12a", "12 ", " 12", "012", "+12", "-12", "12.0",
                      "1e1", "0x0c", "1,2", "12\n", std::string("12\0", 3),
                      "\xef\xbc\x91\xef\xbc\x92",  // "１２", full-width digits.
                      "12\xe2\x80\x8b",            // Zero-width space after the answer.
                      std::string(10000, '1'), std::string(33, '9')));

TEST(ArithmeticTest, WrongValueIsWellFormedAndSaysWhy) {
  auto task = MakeArithmetic(Operation::kAddition, 1, 2);
  const Verdict verdict = task->Verify("13", "12");
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("13 is not 12"));
}

TEST(ArithmeticTest, ZeroIsACanonicalAnswer) {
  auto task = MakeArithmetic(Operation::kMultiplication, 1, 2);
  EXPECT_TRUE(task->Verify("0", "0").correct);
  EXPECT_FALSE(task->Verify("00", "0").well_formed);
}

TEST(ArithmeticTest, MalformedGroundTruthNeverMatches) {
  auto task = MakeArithmetic(Operation::kAddition, 1, 2);
  const Verdict verdict = task->Verify("12", "012");
  EXPECT_FALSE(verdict.correct);
  EXPECT_THAT(verdict.reason, HasSubstr("ground truth"));
}

TEST(ArithmeticTest, OptionsRejectBadDigitRanges) {
  EXPECT_THAT(ArithmeticTask::Create({Operation::kAddition, 0, 3}).status().message(),
              HasSubstr("min_digits"));
  EXPECT_THAT(ArithmeticTask::Create({Operation::kAddition, 1, 19}).status().message(),
              HasSubstr("max_digits must be in [1, 18]"));
  EXPECT_THAT(ArithmeticTask::Create({Operation::kMultiplication, 1, 10}).status().message(),
              HasSubstr("max_digits must be in [1, 9]"));
  EXPECT_THAT(ArithmeticTask::Create({Operation::kAddition, 3, 2}).status().message(),
              HasSubstr("min_digits (3) exceeds max_digits (2)"));
  EXPECT_TRUE(ArithmeticTask::Create({Operation::kAddition, 18, 18}).ok());
}

TEST(ArithmeticTest, LargestOperandsStayExact) {
  auto add = MakeArithmetic(Operation::kAddition, 18, 18);
  auto multiply = MakeArithmetic(Operation::kMultiplication, 9, 9);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    const Problem sum = add->Sample(rng);
    EXPECT_TRUE(add->Verify(sum.response, sum.ground_truth).correct) << sum.prompt;
    EXPECT_GE(sum.response.size(), 18u);
    const Problem product = multiply->Sample(rng);
    EXPECT_GE(product.response.size(), 17u) << product.prompt;
    EXPECT_LE(product.response.size(), 18u) << product.prompt;
  }
}

}  // namespace
}  // namespace fulcrum
