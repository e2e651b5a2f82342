// Exponential backoff with jitter between retries of a failed RPC: the ceiling starts at `initial`,
// doubles after every failure up to `max`, and each delay is drawn from [ceiling / 2, ceiling] so
// actors that lost a service together do not all knock again in the same instant. A pure policy
// class: the caller sleeps.
#ifndef FULCRUM_ACTOR_BACKOFF_H_
#define FULCRUM_ACTOR_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace fulcrum {

class Backoff {
 public:
  // initial > 0 and max >= initial; `seed` fixes the jitter (tests), 0 draws a random one.
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed = 0);

  // The delay before the next retry.
  absl::Duration Next();
  // After a success: the next failure starts from `initial` again.
  void Reset() { ceiling_ = initial_; }

 private:
  const absl::Duration initial_, max_;
  absl::Duration ceiling_;
  std::mt19937_64 random_;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_BACKOFF_H_
