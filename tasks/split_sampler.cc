#include "tasks/split_sampler.h"

#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

// Past this a dataset no longer fits comfortably in memory, which is the writer's working set.
constexpr int64_t kMaxSplitSize = 50'000'000;

std::vector<Example> DrawUnique(const Task& task, int64_t size, int64_t max_misses,
                                std::unordered_set<std::string>& seen, std::mt19937_64& rng) {
  std::vector<Example> examples;
  int64_t misses = 0;
  while (static_cast<int64_t>(examples.size()) < size && misses < max_misses) {
    Problem problem = task.Sample(rng);
    if (!seen.insert(problem.prompt).second) {
      ++misses;
      continue;
    }
    misses = 0;
    std::string rejected = task.WrongResponse(problem, rng);
    examples.push_back(Example{std::move(problem), std::move(rejected), ""});
  }
  return examples;
}

}  // namespace

absl::Status SplitOptions::Validate() const {
  if (train_size < 0 || train_size > kMaxSplitSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("train size must be in [0, ", kMaxSplitSize, "], got ", train_size));
  }
  if (heldout_size < 0 || heldout_size > kMaxSplitSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("held-out size must be in [0, ", kMaxSplitSize, "], got ", heldout_size));
  }
  if (max_consecutive_duplicates < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_consecutive_duplicates must be positive, got ", max_consecutive_duplicates));
  }
  return absl::OkStatus();
}

absl::StatusOr<DatasetSplits> DrawSplits(const Task& task, const SplitOptions& options,
                                         std::mt19937_64& rng) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  std::unordered_set<std::string> seen;
  DatasetSplits splits;
  splits.heldout =
      DrawUnique(task, options.heldout_size, options.max_consecutive_duplicates, seen, rng);
  splits.train =
      DrawUnique(task, options.train_size, options.max_consecutive_duplicates, seen, rng);
  return splits;
}

}  // namespace fulcrum
