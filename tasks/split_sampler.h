// Draws the train and held-out splits of a synthetic dataset. Prompts are unique across and within
// splits, so held-out accuracy measures generalization rather than recall. Held-out is drawn
// first, so it depends only on the seed and its size, not on how much training data is asked for.
#ifndef FULCRUM_TASKS_SPLIT_SAMPLER_H_
#define FULCRUM_TASKS_SPLIT_SAMPLER_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tasks/task.h"

namespace fulcrum {

// One problem with a wrong answer beside it, enough for every dataset format.
struct Example {
  Problem problem;
  std::string rejected;  // Task::WrongResponse for the preference format.
  // Appended to the response in the SFT format only: deliberate formatting noise in demonstrations
  // (fulcrum-data --sft_sloppy_fraction), which a strict verifier rejects and RL can remove.
  std::string sft_suffix;
};

struct DatasetSplits {
  std::vector<Example> train;
  std::vector<Example> heldout;
};

struct SplitOptions {
  int64_t train_size = 0;
  int64_t heldout_size = 0;
  // A split stops early, smaller than asked, after this many draws in a row found no new prompt:
  // small prompt spaces (one-digit addition has 100) are exhausted rather than looped on forever.
  int64_t max_consecutive_duplicates = 100000;

  absl::Status Validate() const;
};

absl::StatusOr<DatasetSplits> DrawSplits(const Task& task, const SplitOptions& options,
                                         std::mt19937_64& rng);

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_SPLIT_SAMPLER_H_
