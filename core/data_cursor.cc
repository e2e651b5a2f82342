#include "core/data_cursor.h"

#include <numeric>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace fulcrum {
namespace {

// SplitMix64's finalizer: spreads nearby (seed, epoch) pairs over unrelated generator seeds.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Uniform in [0, bound) without modulo bias. std::uniform_int_distribution is not used because its
// algorithm differs between standard libraries.
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  // Values below `threshold` would make the low residues more likely; 2^64 mod bound of them.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

}  // namespace

DataCursor::DataCursor(size_t size, uint64_t seed) : seed_(seed), order_(size) {
  CHECK_GT(size, 0u) << "DataCursor needs a non-empty dataset";
  Shuffle();
}

void DataCursor::Shuffle() {
  std::iota(order_.begin(), order_.end(), size_t{0});
  std::mt19937_64 rng(Mix(seed_ ^ Mix(static_cast<uint64_t>(epoch_))));
  for (size_t i = order_.size() - 1; i > 0; --i) {
    std::swap(order_[i], order_[UniformBelow(rng, i + 1)]);
  }
}

size_t DataCursor::Next() {
  if (position_ == static_cast<int64_t>(order_.size())) {
    ++epoch_;
    position_ = 0;
    Shuffle();
  }
  return order_[position_++];
}

absl::Status DataCursor::Restore(const State& state) {
  if (state.size != order_.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("data cursor was saved for a dataset of ", state.size,
                     " examples, but this dataset has ", order_.size()));
  }
  if (state.epoch < 0 || state.position < 0 || state.position > static_cast<int64_t>(state.size)) {
    return absl::InvalidArgumentError(absl::StrCat("data cursor state out of range: epoch ",
                                                   state.epoch, ", position ", state.position,
                                                   " of ", state.size));
  }
  seed_ = state.seed;
  epoch_ = state.epoch;
  position_ = state.position;
  Shuffle();
  return absl::OkStatus();
}

nlohmann::json DataCursor::StateToJson(const State& state) {
  return nlohmann::json{{"seed", state.seed},
                        {"size", state.size},
                        {"epoch", state.epoch},
                        {"position", state.position}};
}

absl::StatusOr<DataCursor::State> DataCursor::StateFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("data cursor state must be a JSON object, got ", json.type_name()));
  }
  State state;
  const std::pair<const char*, bool> keys[] = {
      {"seed", true}, {"size", true}, {"epoch", false}, {"position", false}};
  for (const auto& [key, is_unsigned] : keys) {
    const auto it = json.find(key);
    if (it == json.end()) {
      return absl::InvalidArgumentError(absl::StrCat("data cursor state: missing key '", key, "'"));
    }
    const bool negative =
        it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0;
    if (!it->is_number_integer() || (is_unsigned && negative)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data cursor state: key '", key, "' must be ",
          is_unsigned ? "a non-negative integer" : "an integer", ", got ", it->dump()));
    }
  }
  state.seed = json["seed"].get<uint64_t>();
  state.size = json["size"].get<uint64_t>();
  state.epoch = json["epoch"].get<int64_t>();
  state.position = json["position"].get<int64_t>();
  return state;
}

}  // namespace fulcrum
