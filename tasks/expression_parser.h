// Parses and evaluates the arithmetic expressions Countdown answers are written in: non-negative
// integers, binary + - * /, parentheses, usual precedence, left associative, no spaces and no
// unary minus. Evaluation is exact (Rational), so "4/(2/3)" is 6.
#ifndef FULCRUM_TASKS_EXPRESSION_PARSER_H_
#define FULCRUM_TASKS_EXPRESSION_PARSER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/rational.h"

namespace fulcrum {

struct ParsedExpression {
  std::vector<int64_t> numbers;  // Every literal, in order of appearance.
  // An error when the expression is well-formed but has no value: division by zero or overflow.
  absl::StatusOr<Rational> value;
};

// Parentheses nested deeper than this are a syntax error, which bounds the parser's recursion.
inline constexpr int kMaxExpressionDepth = 32;

// INVALID_ARGUMENT, naming the position, when `text` is not exactly one expression: empty,
// unbalanced parentheses, trailing characters, a literal with a leading zero or over 18 digits.
absl::StatusOr<ParsedExpression> ParseExpression(std::string_view text);

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_EXPRESSION_PARSER_H_
