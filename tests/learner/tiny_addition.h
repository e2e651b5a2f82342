// One-digit addition in the three JSONL formats, as fulcrum-data writes them, for the stage tests.
#ifndef FULCRUM_TESTS_LEARNER_TINY_ADDITION_H_
#define FULCRUM_TESTS_LEARNER_TINY_ADDITION_H_

#include <random>
#include <string>

#include "absl/status/status.h"
#include "core/status_macros.h"
#include "fulcrum/v1/config.pb.h"
#include "tasks/jsonl_writer.h"
#include "tasks/registry.h"
#include "tasks/split_sampler.h"

namespace fulcrum::testing {

inline v1::TaskConfig OneDigitAddition() {
  v1::TaskConfig task;
  task.set_name("addition");
  task.set_min_digits(1);
  task.set_max_digits(1);
  return task;
}

// Writes dir/{sft,preference,rl}_{train,heldout}.jsonl (seed 3). With `sloppy_pairs`, as
// fulcrum-data --preference_sloppy_fraction=0.5, every other rejected answer is the right sum with a
// stray "." and the rest are wrong sums.
inline absl::Status WriteTinyAddition(const std::string& dir, int64_t train, int64_t heldout,
                                      bool sloppy_pairs = false) {
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Task> task, MakeTask(OneDigitAddition()));
  std::mt19937_64 rng(3);
  FULCRUM_ASSIGN_OR_RETURN(DatasetSplits splits,
                           DrawSplits(*task, {.train_size = train, .heldout_size = heldout}, rng));
  if (sloppy_pairs) {
    for (auto* split : {&splits.train, &splits.heldout}) {
      for (size_t i = 0; i < split->size(); i += 2) (*split)[i].rejected = (*split)[i].problem.response + ".";
    }
  }
  return WriteDataset(splits, dir).status();
}

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_LEARNER_TINY_ADDITION_H_
