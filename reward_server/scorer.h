// The interface every reward scorer implements: rule-based checks today, a trained reward model
// later. RewardService calls ScoreBatch from gRPC callback threads, so implementations must be
// thread-safe (const and free of unguarded shared state). The interface is batch-first so a model
// can score a whole request in one forward pass.
#ifndef FULCRUM_REWARD_SERVER_SCORER_H_
#define FULCRUM_REWARD_SERVER_SCORER_H_

#include <vector>

#include "absl/time/time.h"
#include "fulcrum/v1/reward.pb.h"

namespace fulcrum {

// The items of a ScoreRequest, scored in place without copying.
using ScoreItems = google::protobuf::RepeatedPtrField<fulcrum::v1::ScoreItem>;

class Scorer {
 public:
  virtual ~Scorer() = default;

  // Returns exactly one result per item, in order. An item that cannot be scored (bad input,
  // failure, NaN, or `deadline` passed before it was reached) comes back with `missing` set and a
  // reason, never as a reward of 0.
  virtual std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items,
                                                           absl::Time deadline) const = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_SCORER_H_
