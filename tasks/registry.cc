#include "tasks/registry.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tasks/arithmetic.h"
#include "tasks/countdown.h"

namespace fulcrum {
namespace {

int OrDefault(int value, int default_value) { return value == 0 ? default_value : value; }

absl::Status UnusedField(const std::string& task, absl::string_view field, int value) {
  return absl::InvalidArgumentError(absl::StrCat("task.", field, " = ", value,
                                                 " does not apply to task '", task, "'"));
}

// Options' own errors name the field without the "task." prefix the config path has.
absl::Status InConfig(const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat("task.", status.message()));
}

absl::StatusOr<std::unique_ptr<Task>> MakeArithmetic(const fulcrum::v1::TaskConfig& config,
                                                     ArithmeticTask::Operation operation,
                                                     int default_min_digits, int default_max_digits) {
  if (config.numbers() != 0) return UnusedField(config.name(), "numbers", config.numbers());
  if (config.max_number() != 0) {
    return UnusedField(config.name(), "max_number", config.max_number());
  }
  ArithmeticTask::Options options;
  options.operation = operation;
  // A lone bound outside the default range pulls the other bound with it: for addition (3..3),
  // min_digits 5 alone means exactly 5 digits and max_digits 2 alone exactly 2.
  options.min_digits = OrDefault(
      config.min_digits(),
      config.max_digits() == 0 ? default_min_digits : std::min(default_min_digits, config.max_digits()));
  options.max_digits =
      OrDefault(config.max_digits(), std::max(default_max_digits, options.min_digits));
  absl::StatusOr<std::unique_ptr<ArithmeticTask>> task = ArithmeticTask::Create(options);
  if (!task.ok()) return InConfig(task.status());
  return std::unique_ptr<Task>(*std::move(task));
}

absl::StatusOr<std::unique_ptr<Task>> MakeCountdown(const fulcrum::v1::TaskConfig& config) {
  if (config.min_digits() != 0) {
    return UnusedField(config.name(), "min_digits", config.min_digits());
  }
  if (config.max_digits() != 0) {
    return UnusedField(config.name(), "max_digits", config.max_digits());
  }
  CountdownTask::Options options;
  options.numbers = OrDefault(config.numbers(), options.numbers);
  options.max_number = OrDefault(config.max_number(), options.max_number);
  absl::StatusOr<std::unique_ptr<CountdownTask>> task = CountdownTask::Create(options);
  if (!task.ok()) return InConfig(task.status());
  return std::unique_ptr<Task>(*std::move(task));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Task>> MakeTask(const fulcrum::v1::TaskConfig& config) {
  if (config.name() == "addition") {
    return MakeArithmetic(config, ArithmeticTask::Operation::kAddition, 3, 3);
  }
  if (config.name() == "multiplication") {
    return MakeArithmetic(config, ArithmeticTask::Operation::kMultiplication, 1, 2);
  }
  if (config.name() == "countdown") return MakeCountdown(config);
  return absl::InvalidArgumentError(
      absl::StrCat("task.name: unknown task '", config.name(),
                   "' (known: addition, multiplication, countdown)"));
}

}  // namespace fulcrum
