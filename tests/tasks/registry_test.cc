#include "tasks/registry.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tasks/countdown.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

fulcrum::v1::TaskConfig Config(const std::string& name) {
  fulcrum::v1::TaskConfig config;
  config.set_name(name);
  return config;
}

// Digit count of each operand in "a+b=" or "a*b=".
std::pair<size_t, size_t> OperandDigits(const std::string& prompt) {
  const size_t op = prompt.find_first_of("+*");
  return {op, prompt.size() - op - 2};
}

TEST(RegistryTest, ArithmeticDefaults) {
  struct Expected {
    std::string name;
    size_t min_digits, max_digits;
  };
  for (const auto& [name, min_digits, max_digits] :
       {Expected{"addition", 3, 3}, Expected{"multiplication", 1, 2}}) {
    std::unique_ptr<Task> task = MakeTask(Config(name)).value();
    EXPECT_EQ(task->name(), name);
    std::mt19937_64 rng(1);
    size_t longest = 0, shortest = 100;
    for (int i = 0; i < 500; ++i) {
      const auto [a, b] = OperandDigits(task->Sample(rng).prompt);
      longest = std::max({longest, a, b});
      shortest = std::min({shortest, a, b});
    }
    EXPECT_EQ(shortest, min_digits) << name;
    EXPECT_EQ(longest, max_digits) << name;
  }
}

TEST(RegistryTest, CountdownDefaults) {
  std::unique_ptr<Task> task = MakeTask(Config("countdown")).value();
  EXPECT_EQ(task->name(), "countdown");
  std::mt19937_64 rng(1);
  int64_t largest = 0;
  for (int i = 0; i < 500; ++i) {
    const auto instance = CountdownTask::ParseGroundTruth(task->Sample(rng).ground_truth).value();
    EXPECT_EQ(instance.numbers.size(), 3u);
    largest = std::max(largest, instance.numbers.back());
  }
  EXPECT_EQ(largest, 20);
}

TEST(RegistryTest, MaxDigitsAloneLowersTheDefaultMinimum) {
  fulcrum::v1::TaskConfig config = Config("addition");
  config.set_max_digits(2);
  std::unique_ptr<Task> task = MakeTask(config).value();
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(OperandDigits(task->Sample(rng).prompt), std::make_pair(size_t{2}, size_t{2}));
  }
}

TEST(RegistryTest, MinDigitsAloneRaisesTheDefaultMaximum) {
  fulcrum::v1::TaskConfig config = Config("addition");
  config.set_min_digits(5);
  std::unique_ptr<Task> task = MakeTask(config).value();
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(OperandDigits(task->Sample(rng).prompt), std::make_pair(size_t{5}, size_t{5}));
  }
}

TEST(RegistryTest, UnknownOrMissingNameIsAnError) {
  absl::StatusOr<std::unique_ptr<Task>> unknown = MakeTask(Config("subtraction"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("task.name: unknown task 'subtraction'"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("addition, multiplication, countdown"));
  EXPECT_EQ(MakeTask(Config("")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeTask(Config("Addition")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RegistryTest, BadDigitRangesNameTheField) {
  fulcrum::v1::TaskConfig inverted = Config("addition");
  inverted.set_min_digits(4);
  inverted.set_max_digits(2);
  EXPECT_THAT(MakeTask(inverted).status().message(),
              HasSubstr("task.min_digits (4) exceeds max_digits (2)"));

  fulcrum::v1::TaskConfig negative = Config("addition");
  negative.set_min_digits(-1);
  EXPECT_THAT(MakeTask(negative).status().message(), HasSubstr("task.min_digits"));

  fulcrum::v1::TaskConfig too_long = Config("multiplication");
  too_long.set_max_digits(10);
  EXPECT_THAT(MakeTask(too_long).status().message(),
              HasSubstr("task.max_digits must be in [1, 9], got 10"));
}

TEST(RegistryTest, FieldsOfAnotherTaskAreErrors) {
  fulcrum::v1::TaskConfig addition = Config("addition");
  addition.set_numbers(4);
  EXPECT_THAT(MakeTask(addition).status().message(),
              HasSubstr("task.numbers = 4 does not apply to task 'addition'"));

  fulcrum::v1::TaskConfig countdown = Config("countdown");
  countdown.set_max_digits(3);
  EXPECT_THAT(MakeTask(countdown).status().message(), HasSubstr("task.max_digits"));
}

TEST(RegistryTest, BadCountdownSizesNameTheField) {
  fulcrum::v1::TaskConfig one = Config("countdown");
  one.set_numbers(1);
  EXPECT_THAT(MakeTask(one).status().message(), HasSubstr("task.numbers must be in [2, 6]"));

  fulcrum::v1::TaskConfig big = Config("countdown");
  big.set_max_number(1000);
  EXPECT_THAT(MakeTask(big).status().message(), HasSubstr("task.max_number"));
}

}  // namespace
}  // namespace fulcrum
