#include "tasks/rational.h"

#include <cstdint>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Rational R(int64_t numerator, int64_t denominator = 1) {
  return Rational::Create(numerator, denominator).value();
}

TEST(RationalTest, CreateReducesAndMovesSignToNumerator) {
  const Rational r = R(6, -4);
  EXPECT_EQ(r.numerator(), -3);
  EXPECT_EQ(r.denominator(), 2);
  EXPECT_EQ(R(0, 5), R(0, 1));
  EXPECT_EQ(R(-6, -9), R(2, 3));
}

TEST(RationalTest, CreateRejectsZeroDenominatorAndInt64Min) {
  EXPECT_EQ(Rational::Create(1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Rational::Create(kMin, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Rational::Create(1, kMin).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(RationalTest, ArithmeticMatchesHandComputedValues) {
  EXPECT_EQ(Rational::Add(R(1, 3), R(1, 6)).value(), R(1, 2));
  EXPECT_EQ(Rational::Subtract(R(1, 2), R(3, 4)).value(), R(-1, 4));
  EXPECT_EQ(Rational::Multiply(R(2, 3), R(3, 4)).value(), R(1, 2));
  EXPECT_EQ(Rational::Divide(R(1, 2), R(1, 4)).value(), R(2));
  EXPECT_EQ(Rational::Divide(R(1), R(-2)).value(), R(-1, 2));
  EXPECT_EQ(Rational::Divide(R(4), R(2, 3)).value(), R(6));
}

TEST(RationalTest, DivisionByZeroIsAnError) {
  absl::StatusOr<Rational> q = Rational::Divide(R(3), R(0));
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(q.status().message(), HasSubstr("division by zero"));
}

TEST(RationalTest, OverflowIsAnErrorNotAWrappedValue) {
  EXPECT_EQ(Rational::Add(R(kMax), R(1)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Rational::Subtract(R(-kMax), R(2)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Rational::Multiply(R(kMax), R(2)).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Rational::Add(R(1, kMax), R(1, kMax - 1)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_THAT(Rational::Multiply(R(kMax), R(2)).status().message(), HasSubstr("overflow"));
}

TEST(RationalTest, CancellationAvoidsNeedlessOverflow) {
  EXPECT_EQ(Rational::Multiply(R(kMax), R(1, kMax)).value(), R(1));
  EXPECT_EQ(Rational::Add(R(1, kMax), R(1, kMax)).value(), R(2, kMax));
}

TEST(RationalTest, ToStringShowsIntegersWithoutDenominator) {
  EXPECT_EQ(R(3).ToString(), "3");
  EXPECT_EQ(R(-7, 2).ToString(), "-7/2");
}

}  // namespace
}  // namespace fulcrum
