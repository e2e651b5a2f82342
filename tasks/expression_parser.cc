#include "tasks/expression_parser.h"

#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tasks/canonical_integer.h"

namespace fulcrum {
namespace {

constexpr size_t kMaxLiteralDigits = 18;  // Always fits in int64.

absl::StatusOr<Rational> Apply(char op, const absl::StatusOr<Rational>& left,
                               const absl::StatusOr<Rational>& right) {
  // The first failure wins, so the reason names the leftmost problem.
  if (!left.ok()) return left;
  if (!right.ok()) return right;
  switch (op) {
    case '+':
      return Rational::Add(*left, *right);
    case '-':
      return Rational::Subtract(*left, *right);
    case '*':
      return Rational::Multiply(*left, *right);
    default:
      return Rational::Divide(*left, *right);
  }
}

// Recursive descent over
//   expression := term (('+' | '-') term)*
//   term       := factor (('*' | '/') factor)*
//   factor     := literal | '(' expression ')'
// A syntax error is recorded once and unwinds the parse; evaluation errors travel inside the
// value instead, so the caller can tell a malformed answer from a well-formed one that divides
// by zero.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<ParsedExpression> Parse() {
    Value value = Expression();
    if (!syntax_error_.ok()) return syntax_error_;
    if (pos_ < text_.size()) return Fail(absl::StrCat("unexpected ", DescribeByte(text_[pos_])));
    return ParsedExpression{std::move(numbers_), std::move(value)};
  }

 private:
  using Value = absl::StatusOr<Rational>;

  Value Expression() {
    Value left = Term();
    while (syntax_error_.ok() && (Peek() == '+' || Peek() == '-')) {
      const char op = text_[pos_++];
      Value right = Term();
      left = Apply(op, left, right);
    }
    return left;
  }

  Value Term() {
    Value left = Factor();
    while (syntax_error_.ok() && (Peek() == '*' || Peek() == '/')) {
      const char op = text_[pos_++];
      Value right = Factor();
      left = Apply(op, left, right);
    }
    return left;
  }

  Value Factor() {
    if (Peek() != '(') return Literal();
    if (++depth_ > kMaxExpressionDepth) {
      return Fail(absl::StrCat("parentheses nested deeper than ", kMaxExpressionDepth));
    }
    ++pos_;
    Value inner = Expression();
    if (!syntax_error_.ok()) return inner;
    if (Peek() != ')') return Fail("expected ')'");
    ++pos_;
    --depth_;
    return inner;
  }

  Value Literal() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start) {
      if (pos_ == text_.size()) return Fail("expected a number or '(' at the end");
      return Fail(absl::StrCat("expected a number or '(', got ", DescribeByte(text_[pos_])));
    }
    const std::string_view digits = text_.substr(start, pos_ - start);
    if (digits.size() > kMaxLiteralDigits) {
      return FailAt(start, absl::StrCat("number has more than ", kMaxLiteralDigits, " digits"));
    }
    absl::StatusOr<int64_t> number = ParseCanonicalInteger(digits);
    if (!number.ok()) return FailAt(start, absl::StrCat("number ", number.status().message()));
    numbers_.push_back(*number);
    return Rational::FromInteger(*number);
  }

  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  absl::Status Fail(absl::string_view message) { return FailAt(pos_, message); }

  absl::Status FailAt(size_t position, absl::string_view message) {
    syntax_error_ =
        absl::InvalidArgumentError(absl::StrCat("position ", position, ": ", message));
    return syntax_error_;
  }

  const std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<int64_t> numbers_;
  absl::Status syntax_error_;
};

}  // namespace

absl::StatusOr<ParsedExpression> ParseExpression(std::string_view text) {
  return Parser(text).Parse();
}

}  // namespace fulcrum
