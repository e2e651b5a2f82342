#include "tasks/rational.h"

#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

absl::Status Overflow(const Rational& a, const char* op, const Rational& b) {
  return absl::OutOfRangeError(
      absl::StrCat("overflow computing (", a.ToString(), ") ", op, " (", b.ToString(), ")"));
}

}  // namespace

absl::StatusOr<Rational> Rational::Create(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return absl::InvalidArgumentError("division by zero");
  if (numerator == kMin || denominator == kMin) {
    return absl::OutOfRangeError(
        absl::StrCat("fraction ", numerator, "/", denominator, " is out of range"));
  }
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const int64_t divisor = std::gcd(numerator, denominator);
  return Rational(numerator / divisor, denominator / divisor);
}

absl::StatusOr<Rational> Rational::Add(const Rational& a, const Rational& b) {
  // Scaling by the least common multiple rather than the product keeps small inputs small.
  const int64_t g = std::gcd(a.denominator_, b.denominator_);
  int64_t left, right, numerator, denominator;
  if (__builtin_mul_overflow(a.numerator_, b.denominator_ / g, &left) ||
      __builtin_mul_overflow(b.numerator_, a.denominator_ / g, &right) ||
      __builtin_add_overflow(left, right, &numerator) ||
      __builtin_mul_overflow(a.denominator_, b.denominator_ / g, &denominator)) {
    return Overflow(a, "+", b);
  }
  absl::StatusOr<Rational> sum = Create(numerator, denominator);
  if (!sum.ok()) return Overflow(a, "+", b);
  return sum;
}

absl::StatusOr<Rational> Rational::Subtract(const Rational& a, const Rational& b) {
  absl::StatusOr<Rational> difference = Add(a, Rational(-b.numerator_, b.denominator_));
  if (!difference.ok()) return Overflow(a, "-", b);
  return difference;
}

absl::StatusOr<Rational> Rational::Multiply(const Rational& a, const Rational& b) {
  // Cancelling across before multiplying avoids overflow whenever the reduced product fits.
  const int64_t g1 = std::gcd(a.numerator_, b.denominator_);
  const int64_t g2 = std::gcd(b.numerator_, a.denominator_);
  int64_t numerator, denominator;
  if (__builtin_mul_overflow(a.numerator_ / g1, b.numerator_ / g2, &numerator) ||
      __builtin_mul_overflow(a.denominator_ / g2, b.denominator_ / g1, &denominator)) {
    return Overflow(a, "*", b);
  }
  absl::StatusOr<Rational> product = Create(numerator, denominator);
  if (!product.ok()) return Overflow(a, "*", b);
  return product;
}

absl::StatusOr<Rational> Rational::Divide(const Rational& a, const Rational& b) {
  if (b.numerator_ == 0) return absl::InvalidArgumentError("division by zero");
  absl::StatusOr<Rational> quotient =
      Multiply(a, b.numerator_ > 0 ? Rational(b.denominator_, b.numerator_)
                                   : Rational(-b.denominator_, -b.numerator_));
  if (!quotient.ok()) return Overflow(a, "/", b);
  return quotient;
}

std::string Rational::ToString() const {
  if (denominator_ == 1) return absl::StrCat(numerator_);
  return absl::StrCat(numerator_, "/", denominator_);
}

}  // namespace fulcrum
