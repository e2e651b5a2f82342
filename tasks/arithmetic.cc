#include "tasks/arithmetic.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "tasks/canonical_integer.h"

namespace fulcrum {
namespace {

int MaxDigits(ArithmeticTask::Operation operation) {
  return operation == ArithmeticTask::Operation::kAddition ? 18 : 9;
}

int64_t PowerOfTen(int exponent) {
  int64_t value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

// One plausible slip: off by one or ten, two neighbouring digits swapped, or one digit off by one
// (a dropped or doubled carry). May return the right answer or a non-canonical string; the caller
// filters those.
std::string Mistake(int64_t answer, std::mt19937_64& rng) {
  std::string digits = absl::StrCat(answer);
  switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
    case 0:
      return absl::StrCat(answer + 1);
    case 1:
      return answer >= 1 ? absl::StrCat(answer - 1) : "";
    case 2:
      return absl::StrCat(answer + 10);
    case 3:
      return answer >= 10 ? absl::StrCat(answer - 10) : "";
    case 4: {
      if (digits.size() < 2) return "";
      const size_t i = std::uniform_int_distribution<size_t>(0, digits.size() - 2)(rng);
      std::swap(digits[i], digits[i + 1]);
      return digits;
    }
    default: {
      const size_t i = std::uniform_int_distribution<size_t>(0, digits.size() - 1)(rng);
      const int delta = std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? 1 : 9;
      digits[i] = static_cast<char>('0' + (digits[i] - '0' + delta) % 10);
      return digits;
    }
  }
}

}  // namespace

absl::Status ArithmeticTask::Options::Validate() const {
  const int limit = MaxDigits(operation);
  if (min_digits < 1 || min_digits > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_digits must be in [1, ", limit, "], got ", min_digits));
  }
  if (max_digits < 1 || max_digits > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_digits must be in [1, ", limit, "], got ", max_digits));
  }
  if (min_digits > max_digits) {
    return absl::InvalidArgumentError(absl::StrCat("min_digits (", min_digits,
                                                   ") exceeds max_digits (", max_digits, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ArithmeticTask>> ArithmeticTask::Create(const Options& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  return std::unique_ptr<ArithmeticTask>(new ArithmeticTask(options));
}

std::string_view ArithmeticTask::name() const {
  return options_.operation == Operation::kAddition ? "addition" : "multiplication";
}

int64_t ArithmeticTask::SampleOperand(std::mt19937_64& rng) const {
  const int digits =
      std::uniform_int_distribution<int>(options_.min_digits, options_.max_digits)(rng);
  // Zero counts as the one-digit number it is written as.
  const int64_t low = digits == 1 ? 0 : PowerOfTen(digits - 1);
  return std::uniform_int_distribution<int64_t>(low, PowerOfTen(digits) - 1)(rng);
}

Problem ArithmeticTask::Sample(std::mt19937_64& rng) const {
  const int64_t a = SampleOperand(rng);
  const int64_t b = SampleOperand(rng);
  const bool add = options_.operation == Operation::kAddition;
  const std::string answer = absl::StrCat(add ? a + b : a * b);
  return Problem{absl::StrCat(a, add ? "+" : "*", b, "="), answer, answer};
}

std::string ArithmeticTask::WrongResponse(const Problem& problem, std::mt19937_64& rng) const {
  const absl::StatusOr<int64_t> answer = ParseCanonicalInteger(problem.ground_truth);
  CHECK(answer.ok()) << "WrongResponse needs a problem from Sample, got ground truth '"
                     << problem.ground_truth << "'";
  // Two of the six slips always give a usable answer, so this loop ends fast; the bound only
  // guards the generator against pathological sequences.
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::string wrong = Mistake(*answer, rng);
    if (wrong != problem.ground_truth && CheckCanonicalInteger(wrong, kMaxAnswerLength).ok()) {
      return wrong;
    }
  }
  return absl::StrCat(*answer + 1);
}

Verdict ArithmeticTask::Verify(std::string_view completion, std::string_view ground_truth) const {
  if (absl::Status form = CheckCanonicalInteger(completion, kMaxAnswerLength); !form.ok()) {
    return Verdict{false, false, absl::StrCat("answer ", form.message())};
  }
  if (absl::Status truth = CheckCanonicalInteger(ground_truth, kMaxAnswerLength); !truth.ok()) {
    return Verdict{false, true, absl::StrCat("ground truth ", truth.message())};
  }
  if (completion != ground_truth) {
    return Verdict{false, true, absl::StrFormat("answer %s is not %s", completion, ground_truth)};
  }
  return Verdict{true, true, ""};
}

}  // namespace fulcrum
