#include "tasks/expression_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Rational R(int64_t numerator, int64_t denominator = 1) {
  return Rational::Create(numerator, denominator).value();
}

Rational ValueOf(const std::string& text) {
  absl::StatusOr<ParsedExpression> parsed = ParseExpression(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  EXPECT_TRUE(parsed->value.ok()) << text << ": " << parsed->value.status();
  return *parsed->value;
}

std::string SyntaxError(const std::string& text) {
  absl::StatusOr<ParsedExpression> parsed = ParseExpression(text);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(parsed.status().message());
}

TEST(ExpressionParserTest, PrecedenceAndLeftAssociativity) {
  EXPECT_EQ(ValueOf("2+3*4"), R(14));
  EXPECT_EQ(ValueOf("(2+3)*4"), R(20));
  EXPECT_EQ(ValueOf("8-3-2"), R(3));
  EXPECT_EQ(ValueOf("8-(3-2)"), R(7));
  EXPECT_EQ(ValueOf("8/4/2"), R(1));
  EXPECT_EQ(ValueOf("8/(4/2)"), R(4));
  EXPECT_EQ(ValueOf("((7))"), R(7));
}

TEST(ExpressionParserTest, EvaluatesExactlyWithFractionsAndNegatives) {
  EXPECT_EQ(ValueOf("1/3+1/6"), R(1, 2));
  EXPECT_EQ(ValueOf("4/(2/3)"), R(6));
  EXPECT_EQ(ValueOf("3-5"), R(-2));
}

TEST(ExpressionParserTest, RecordsNumbersInOrder) {
  absl::StatusOr<ParsedExpression> parsed = ParseExpression("8*(40-2)/8");
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(parsed->numbers, ElementsAre(8, 40, 2, 8));
}

TEST(ExpressionParserTest, SyntaxErrorsNameThePosition) {
  EXPECT_THAT(SyntaxError(""), HasSubstr("position 0"));
  EXPECT_THAT(SyntaxError("1+"), HasSubstr("position 2"));
  EXPECT_THAT(SyntaxError("1++2"), HasSubstr("position 2: expected a number or '(', got '+'"));
  EXPECT_THAT(SyntaxError("-1+3"), HasSubstr("position 0"));
  EXPECT_THAT(SyntaxError("(1+2"), HasSubstr("position 4: expected ')'"));
  EXPECT_THAT(SyntaxError("(1+2))"), HasSubstr("position 5: unexpected ')'"));
  EXPECT_THAT(SyntaxError(")"), HasSubstr("position 0"));
  EXPECT_THAT(SyntaxError("1 +2"), HasSubstr("position 1: unexpected ' '"));
  EXPECT_THAT(SyntaxError("1+2 "), HasSubstr("position 3"));
  EXPECT_THAT(SyntaxError("1+02"), HasSubstr("position 2: number has a leading zero"));
  EXPECT_THAT(SyntaxError("1.5"), HasSubstr("position 1"));
  EXPECT_THAT(SyntaxError("2^3"), HasSubstr("position 1"));
  EXPECT_THAT(SyntaxError("1=1"), HasSubstr("position 1"));
  EXPECT_THAT(SyntaxError("1\n1"), HasSubstr("byte 0x0a"));
  EXPECT_THAT(SyntaxError("1\xc3\x97" "2"), HasSubstr("byte 0xc3"));
  EXPECT_THAT(SyntaxError(std::string(19, '9')), HasSubstr("more than 18 digits"));
}

TEST(ExpressionParserTest, BoundsNestingDepth) {
  const auto nested = [](int depth) {
    return std::string(depth, '(') + "1" + std::string(depth, ')');
  };
  EXPECT_EQ(ValueOf(nested(kMaxExpressionDepth)), R(1));
  EXPECT_THAT(SyntaxError(nested(kMaxExpressionDepth + 1)), HasSubstr("nested deeper"));
  EXPECT_THAT(SyntaxError(std::string(100000, '(')), HasSubstr("nested deeper"));
}

TEST(ExpressionParserTest, EvaluationErrorsLeaveTheParseWellFormed) {
  absl::StatusOr<ParsedExpression> by_zero = ParseExpression("5/(2-2)");
  ASSERT_TRUE(by_zero.ok());
  EXPECT_THAT(by_zero->numbers, ElementsAre(5, 2, 2));
  EXPECT_THAT(by_zero->value.status().message(), HasSubstr("division by zero"));

  absl::StatusOr<ParsedExpression> huge =
      ParseExpression("999999999999999999*999999999999999999");
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->value.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(ExpressionParserTest, SyntaxErrorAfterAnEvaluationErrorIsStillReported) {
  EXPECT_THAT(SyntaxError("1/0+"), HasSubstr("position 4"));
}

}  // namespace
}  // namespace fulcrum
