#include "actor/backoff.h"

#include <algorithm>

namespace fulcrum {

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(std::max(initial, max)), ceiling_(initial),
      random_(seed != 0 ? seed : std::random_device{}()) {}

absl::Duration Backoff::Next() {
  const absl::Duration ceiling = ceiling_;
  ceiling_ = std::min(ceiling_ * 2, max_);
  const double fraction = std::uniform_real_distribution<double>(0.5, 1.0)(random_);
  return ceiling * fraction;
}

}  // namespace fulcrum
