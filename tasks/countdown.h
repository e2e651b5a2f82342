// Countdown: combine every given number exactly once with + - * / and parentheses to reach a
// target, e.g. prompt "3,5,7:22=" -> "3*5+7". Answers are checked by exact evaluation, so the
// task rewards search and arithmetic rather than copying a format.
#ifndef FULCRUM_TASKS_COUNTDOWN_H_
#define FULCRUM_TASKS_COUNTDOWN_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/task.h"

namespace fulcrum {

class CountdownTask final : public Task {
 public:
  struct Options {
    int numbers = 3;      // How many numbers a problem gives, in [2, 6].
    int max_number = 20;  // Numbers are drawn uniformly from [1, max_number], max_number ≤ 999.

    absl::Status Validate() const;
  };

  // What a ground truth string "3,5,7:22" says: the numbers (ascending) and the target.
  struct Instance {
    std::vector<int64_t> numbers;
    int64_t target = 0;
  };

  static constexpr int64_t kMaxTarget = 999;
  // Longest answer Verify accepts as well-formed.
  static constexpr size_t kMaxAnswerLength = 64;

  static absl::StatusOr<std::unique_ptr<CountdownTask>> Create(const Options& options);

  // Strict: positive canonical numbers separated by ',', then ':' and a canonical target.
  static absl::StatusOr<Instance> ParseGroundTruth(std::string_view ground_truth);

  std::string_view name() const override { return "countdown"; }

  // Draws the numbers, combines all of them in a random expression tree whose every intermediate
  // value is a positive integer (exact division only), and makes its value the target; redraws
  // until the target is at most kMaxTarget. The prompt lists the numbers in ascending order.
  Problem Sample(std::mt19937_64& rng) const override;

  std::string WrongResponse(const Problem& problem, std::mt19937_64& rng) const override;

  // Correct iff the completion is one expression (at most kMaxAnswerLength characters) that uses
  // exactly the given multiset of numbers and whose exact rational value equals the target.
  // Intermediate values may be fractions or negative: only the final value is judged, so
  // "4/(2/3)" reaches 6. Division by zero and overflow make an answer incorrect, not malformed.
  Verdict Verify(std::string_view completion, std::string_view ground_truth) const override;

 private:
  explicit CountdownTask(const Options& options) : options_(options) {}

  const Options options_;
};

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_COUNTDOWN_H_
