// A deterministic, resumable walk over a dataset of `size` examples: each epoch visits every index
// once in an order fixed by (seed, epoch). Its State goes into checkpoints so a resumed run sees
// exactly the examples it would have seen without the interruption. The shuffle is hand-rolled on
// std::mt19937_64, whose output the C++ standard fixes, so the order is the same with every
// standard library. Not thread-safe: one owner calls Next().
#ifndef FULCRUM_CORE_DATA_CURSOR_H_
#define FULCRUM_CORE_DATA_CURSOR_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fulcrum {

class DataCursor {
 public:
  struct State {
    uint64_t seed = 0;
    uint64_t size = 0;  // Dataset size, checked on restore so a changed dataset is not misread.
    int64_t epoch = 0;
    int64_t position = 0;  // Indices of this epoch already returned, in [0, size].
  };

  // Requires size > 0 (the dataset readers reject empty files).
  DataCursor(size_t size, uint64_t seed);

  // The next index in [0, size); starts a new, differently shuffled epoch after the last one.
  size_t Next();

  State state() const { return {seed_, order_.size(), epoch_, position_}; }
  // Continues from `state`; fails, leaving the cursor unchanged, if it does not fit this dataset.
  absl::Status Restore(const State& state);

  static nlohmann::json StateToJson(const State& state);
  static absl::StatusOr<State> StateFromJson(const nlohmann::json& json);

 private:
  void Shuffle();

  uint64_t seed_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  std::vector<size_t> order_;  // This epoch's permutation of [0, size).
};

}  // namespace fulcrum

#endif  // FULCRUM_CORE_DATA_CURSOR_H_
