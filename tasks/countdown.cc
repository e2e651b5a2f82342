#include "tasks/countdown.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"
#include "tasks/canonical_integer.h"
#include "tasks/expression_parser.h"

namespace fulcrum {
namespace {

// A subexpression as text, with its value and top-level operator ('\0' for a lone number) so that
// a parent knows whether it must wrap it in parentheses.
struct Node {
  int64_t value = 0;
  std::string text;
  char op = '\0';
};

bool IsAdditive(char op) { return op == '+' || op == '-'; }

// Minimal parentheses for exact arithmetic: a+(b-c) prints as a+b-c and a*(b/c) as a*b/c because
// the values agree; only a lower-precedence child, or the right side of '-' and '/', keeps them.
bool NeedsParentheses(char parent, const Node& child, bool right_side) {
  if (child.op == '\0') return false;
  if (IsAdditive(child.op)) return parent != '+' && (parent != '-' || right_side);
  return parent == '/' && right_side;
}

Node Combine(const Node& left, char op, const Node& right, int64_t value) {
  const auto wrap = [op](const Node& child, bool right_side) {
    return NeedsParentheses(op, child, right_side) ? absl::StrCat("(", child.text, ")")
                                                   : child.text;
  };
  return Node{value, absl::StrCat(wrap(left, false), std::string(1, op), wrap(right, true)), op};
}

// Merges two random subexpressions at a time until one remains, choosing uniformly among the
// operators that keep the value a positive integer. Values stay below 999^6 < 2^63, so addition
// always qualifies and there is always a choice.
Node RandomExpression(const std::vector<int64_t>& numbers, std::mt19937_64& rng) {
  std::vector<Node> nodes;
  for (int64_t n : numbers) nodes.push_back(Node{n, absl::StrCat(n), '\0'});
  while (nodes.size() > 1) {
    const size_t i = std::uniform_int_distribution<size_t>(0, nodes.size() - 1)(rng);
    size_t j = std::uniform_int_distribution<size_t>(0, nodes.size() - 2)(rng);
    if (j >= i) ++j;
    const int64_t a = nodes[i].value;
    const int64_t b = nodes[j].value;
    std::vector<std::pair<char, int64_t>> choices;
    int64_t result;
    if (!__builtin_add_overflow(a, b, &result)) choices.emplace_back('+', result);
    if (a > b) choices.emplace_back('-', a - b);
    if (!__builtin_mul_overflow(a, b, &result)) choices.emplace_back('*', result);
    if (a % b == 0) choices.emplace_back('/', a / b);
    const auto [op, value] =
        choices[std::uniform_int_distribution<size_t>(0, choices.size() - 1)(rng)];
    Node merged = Combine(nodes[i], op, nodes[j], value);
    nodes[std::min(i, j)] = std::move(merged);
    nodes.erase(nodes.begin() + static_cast<std::ptrdiff_t>(std::max(i, j)));
  }
  return nodes.front();
}

std::string FormatInstance(const CountdownTask::Instance& instance) {
  return absl::StrCat(absl::StrJoin(instance.numbers, ","), ":", instance.target);
}

// Used when random expressions keep hitting the target: the sum of all numbers and the sum of all
// but the last divided by the last cannot both equal it, since the quotient is below the sum.
std::string GuaranteedMiss(const CountdownTask::Instance& instance) {
  const std::vector<int64_t>& n = instance.numbers;
  int64_t sum = 0;
  for (int64_t x : n) sum += x;
  if (sum != instance.target) return absl::StrJoin(n, "+");
  const std::string head = absl::StrJoin(n.begin(), n.end() - 1, "+");
  return absl::StrCat(n.size() > 2 ? absl::StrCat("(", head, ")") : head, "/", n.back());
}

}  // namespace

absl::Status CountdownTask::Options::Validate() const {
  if (numbers < 2 || numbers > 6) {
    return absl::InvalidArgumentError(absl::StrCat("numbers must be in [2, 6], got ", numbers));
  }
  // Numbers above the largest target would make most expressions overshoot it and Sample redraw.
  if (max_number < 1 || max_number > kMaxTarget) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_number must be in [1, ", kMaxTarget, "], got ", max_number));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CountdownTask>> CountdownTask::Create(const Options& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  return std::unique_ptr<CountdownTask>(new CountdownTask(options));
}

absl::StatusOr<CountdownTask::Instance> CountdownTask::ParseGroundTruth(
    std::string_view ground_truth) {
  // Abseil here is built with its own string_view, which std::string_view does not convert to.
  const absl::string_view text(ground_truth.data(), ground_truth.size());
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("ground truth '", text, "' is not <numbers>:<target>"));
  }
  Instance instance;
  for (absl::string_view part : absl::StrSplit(parts[0], ',')) {
    absl::StatusOr<int64_t> number = ParseCanonicalInteger({part.data(), part.size()});
    if (!number.ok() || *number == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ground truth '", text, "': '", part, "' is not a positive number"));
    }
    instance.numbers.push_back(*number);
  }
  absl::StatusOr<int64_t> target = ParseCanonicalInteger({parts[1].data(), parts[1].size()});
  if (!target.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ground truth '", text, "': target ", target.status().message()));
  }
  instance.target = *target;
  std::sort(instance.numbers.begin(), instance.numbers.end());
  return instance;
}

Problem CountdownTask::Sample(std::mt19937_64& rng) const {
  std::uniform_int_distribution<int64_t> draw(1, options_.max_number);
  Instance instance;
  Node expression;
  do {
    instance.numbers.clear();
    for (int i = 0; i < options_.numbers; ++i) instance.numbers.push_back(draw(rng));
    expression = RandomExpression(instance.numbers, rng);
  } while (expression.value > kMaxTarget);
  instance.target = expression.value;
  std::sort(instance.numbers.begin(), instance.numbers.end());
  const std::string ground_truth = FormatInstance(instance);
  return Problem{absl::StrCat(ground_truth, "="), expression.text, ground_truth};
}

std::string CountdownTask::WrongResponse(const Problem& problem, std::mt19937_64& rng) const {
  const absl::StatusOr<Instance> instance = ParseGroundTruth(problem.ground_truth);
  CHECK(instance.ok() && instance->numbers.size() >= 2)
      << "WrongResponse needs a problem from Sample, got ground truth '" << problem.ground_truth
      << "'";
  // Another random combination of the same numbers is the natural near miss; a few draws almost
  // always find one.
  for (int attempt = 0; attempt < 16; ++attempt) {
    Node expression = RandomExpression(instance->numbers, rng);
    if (expression.value != instance->target) return expression.text;
  }
  return GuaranteedMiss(*instance);
}

Verdict CountdownTask::Verify(std::string_view completion, std::string_view ground_truth) const {
  if (completion.empty()) return Verdict{false, false, "answer is empty"};
  if (completion.size() > kMaxAnswerLength) {
    return Verdict{false, false,
                   absl::StrCat("answer has ", completion.size(), " characters (at most ",
                                kMaxAnswerLength, " allowed)")};
  }
  absl::StatusOr<ParsedExpression> parsed = ParseExpression(completion);
  if (!parsed.ok()) {
    return Verdict{false, false, absl::StrCat("answer is not an expression: ",
                                              parsed.status().message())};
  }
  absl::StatusOr<Instance> instance = ParseGroundTruth(ground_truth);
  if (!instance.ok()) return Verdict{false, true, std::string(instance.status().message())};
  std::vector<int64_t> used = parsed->numbers;
  std::sort(used.begin(), used.end());
  if (used != instance->numbers) {
    return Verdict{false, true,
                   absl::StrCat("answer uses numbers {", absl::StrJoin(used, ","),
                                "} but the problem gives {",
                                absl::StrJoin(instance->numbers, ","), "}")};
  }
  if (!parsed->value.ok()) {
    return Verdict{false, true,
                   absl::StrCat("answer has no value: ", parsed->value.status().message())};
  }
  if (parsed->value->denominator() != 1 || parsed->value->numerator() != instance->target) {
    return Verdict{false, true,
                   absl::StrCat("answer equals ", parsed->value->ToString(), ", not ",
                                instance->target)};
  }
  return Verdict{true, true, ""};
}

}  // namespace fulcrum
