// The actor's client of the learner's Learner service: work leases, weight versions and rollout
// submission. LeaseWork and SubmitRollouts retry transient failures (learner down, restarting,
// overloaded) with backoff until they succeed or the actor stops, logging each outage once;
// FetchWeights is one attempt whose caller decides when to try again. Used by RolloutActor (from
// both of its threads) and PolicySync. Thread-safe.
#ifndef FULCRUM_ACTOR_LEARNER_CLIENT_H_
#define FULCRUM_ACTOR_LEARNER_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "actor/cancellation.h"
#include "actor/outage_log.h"
#include "actor/retry.h"
#include "core/weight_chunks.h"
#include "fulcrum/v1/learner.grpc.pb.h"

namespace fulcrum {

class LearnerClient {
 public:
  // `address` names the learner in messages; `cancellation` must outlive the client.
  LearnerClient(std::unique_ptr<v1::Learner::StubInterface> stub, std::string address, RetryOptions retry,
                Cancellation* cancellation);

  // CANCELLED once the actor stops; a non-transient error (e.g. a protocol mismatch) as is.
  absl::StatusOr<v1::LeaseWorkResponse> LeaseWork(const std::string& actor_id, int64_t policy_version);

  // Sets the protocol version; otherwise as LeaseWork. The learner's answer is idempotent.
  absl::StatusOr<v1::SubmitRolloutsResponse> SubmitRollouts(v1::SubmitRolloutsRequest request);

  struct FetchedWeights {
    WeightAssembler::Assembled weights;
    int64_t bytes = 0;  // Payload bytes received.
  };
  // Streams the learner's newest version and returns it only when every byte arrived and the
  // checksum matched. ALREADY_EXISTS when `have_version` (-1 for none) is the newest, NOT_FOUND
  // before the first version is published, FAILED_PRECONDITION or DATA_LOSS for a stream cut
  // short or corrupted, the stream's own error when it failed. One attempt with the RPC deadline.
  absl::StatusOr<FetchedWeights> FetchWeights(int64_t have_version);

  const std::string& address() const { return address_; }

 private:
  const std::unique_ptr<v1::Learner::StubInterface> stub_;
  const std::string address_;
  const RetryOptions retry_;
  Cancellation* const cancellation_;
  OutageLog outage_;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_LEARNER_CLIENT_H_
