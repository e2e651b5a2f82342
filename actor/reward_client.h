// The actor's client of a Reward service (fulcrum-reward or any other implementation): scores the
// completions of one work unit. It never invents a reward: transient failures (UNAVAILABLE,
// RESOURCE_EXHAUSTED, deadlines, ...) are retried with backoff until give_up_after; then, or on a
// permanent error such as a protocol mismatch, the items not yet scored come back missing with a
// reason that names the server. Used by RolloutActor's submit thread. Thread-safe.
#ifndef FULCRUM_ACTOR_REWARD_CLIENT_H_
#define FULCRUM_ACTOR_REWARD_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actor/cancellation.h"
#include "actor/outage_log.h"
#include "actor/retry.h"
#include "fulcrum/v1/reward.grpc.pb.h"

namespace fulcrum {

class RewardClient {
 public:
  struct Options {
    std::string address;  // Names the server in reasons and logs.
    RetryOptions retry;
    absl::Duration give_up_after = absl::Seconds(60);  // Per Score call, over all its attempts.
    int max_items_per_call = 256;                      // Larger batches are split.
  };

  // `cancellation` must outlive the client.
  RewardClient(std::unique_ptr<v1::Reward::StubInterface> stub, Options options, Cancellation* cancellation);

  // One result per item, in order; those that could not be had are missing, with the reason.
  // CANCELLED only when the actor stops.
  absl::StatusOr<std::vector<v1::ScoreResult>> Score(const std::vector<v1::ScoreItem>& items);

 private:
  // Scores one batch; the error explains why it could not be scored.
  absl::StatusOr<v1::ScoreResponse> ScoreBatch(const v1::ScoreRequest& request, absl::Time give_up_at);

  const std::unique_ptr<v1::Reward::StubInterface> stub_;
  const Options options_;
  Cancellation* const cancellation_;
  OutageLog outage_;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_REWARD_CLIENT_H_
