// Addition and multiplication of two non-negative integers: "123+45=" -> "168". The smallest
// verifiable task, used to check that SFT and RL move accuracy at all before harder tasks.
#ifndef FULCRUM_TASKS_ARITHMETIC_H_
#define FULCRUM_TASKS_ARITHMETIC_H_

#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/task.h"

namespace fulcrum {

class ArithmeticTask final : public Task {
 public:
  enum class Operation { kAddition, kMultiplication };

  struct Options {
    Operation operation = Operation::kAddition;
    // Each operand independently gets a digit count drawn uniformly from this inclusive range,
    // then a value drawn uniformly among numbers with that many digits.
    int min_digits = 1;
    int max_digits = 3;

    // Bounds keep every result exact in 64 bits: 18 digits for sums, 9 for products.
    absl::Status Validate() const;
  };

  // Longest answer Verify accepts as well-formed.
  static constexpr size_t kMaxAnswerLength = 32;

  static absl::StatusOr<std::unique_ptr<ArithmeticTask>> Create(const Options& options);

  std::string_view name() const override;
  Problem Sample(std::mt19937_64& rng) const override;
  std::string WrongResponse(const Problem& problem, std::mt19937_64& rng) const override;
  Verdict Verify(std::string_view completion, std::string_view ground_truth) const override;

 private:
  explicit ArithmeticTask(const Options& options) : options_(options) {}

  int64_t SampleOperand(std::mt19937_64& rng) const;

  const Options options_;
};

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_ARITHMETIC_H_
