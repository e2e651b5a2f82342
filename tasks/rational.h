// Exact fractions with 64-bit numerator and denominator, for verifying arithmetic expressions
// without rounding: "4/(2/3)" must equal 6 exactly. Every operation checks for overflow and
// returns an error instead of wrapping, so no input can make a wrong answer look right.
#ifndef FULCRUM_TASKS_RATIONAL_H_
#define FULCRUM_TASKS_RATIONAL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace fulcrum {

class Rational {
 public:
  // Reduced to lowest terms with a positive denominator. A zero denominator is INVALID_ARGUMENT
  // ("division by zero"); a value that does not fit is OUT_OF_RANGE.
  static absl::StatusOr<Rational> Create(int64_t numerator, int64_t denominator);

  // The integer n as n/1; n must not be INT64_MIN.
  static absl::StatusOr<Rational> FromInteger(int64_t n) { return Create(n, 1); }

  static absl::StatusOr<Rational> Add(const Rational& a, const Rational& b);
  static absl::StatusOr<Rational> Subtract(const Rational& a, const Rational& b);
  static absl::StatusOr<Rational> Multiply(const Rational& a, const Rational& b);
  static absl::StatusOr<Rational> Divide(const Rational& a, const Rational& b);

  int64_t numerator() const { return numerator_; }
  int64_t denominator() const { return denominator_; }

  // "7/2", or "3" for integers.
  std::string ToString() const;

  // Exact because both sides are in lowest terms.
  friend bool operator==(const Rational& a, const Rational& b) = default;

 private:
  Rational(int64_t numerator, int64_t denominator)
      : numerator_(numerator), denominator_(denominator) {}

  // Invariants: denominator_ > 0, gcd(|numerator_|, denominator_) == 1, and neither is INT64_MIN,
  // so negation and std::gcd never overflow.
  int64_t numerator_;
  int64_t denominator_;
};

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_RATIONAL_H_
