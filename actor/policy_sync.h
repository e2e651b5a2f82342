// The policy an actor generates with, and how it follows the learner: Update() fetches the newest
// version over Learner.FetchWeights and swaps it in only once it arrived whole, verified (size,
// CRC-32) and built into a model; a cut, corrupt or unusable stream leaves the held version in
// place. Used by RolloutActor's generation thread only (not thread-safe).
#ifndef FULCRUM_ACTOR_POLICY_SYNC_H_
#define FULCRUM_ACTOR_POLICY_SYNC_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "actor/learner_client.h"
#include "core/gpt.h"
#include "core/tokenizer.h"

namespace fulcrum {

// One policy version: the model (in eval mode) and the tokenizer it came with.
struct Policy {
  int64_t version = -1;
  Gpt model{nullptr};
  std::unique_ptr<Tokenizer> tokenizer;
};

class PolicySync {
 public:
  // `learner` must outlive this.
  explicit PolicySync(LearnerClient* learner) : learner_(learner) {}

  struct Update {
    bool updated = false;  // false: the held version is the newest.
    int64_t bytes = 0;     // Received for the new version.
  };
  // Fetches the learner's newest version if it is newer than the one held. NOT_FOUND when the
  // learner has published nothing yet; on any error the held policy stays.
  absl::StatusOr<Update> Refresh();

  // nullptr until the first successful Refresh.
  Policy* policy() const { return policy_.get(); }
  // -1 while none is held.
  int64_t version() const { return policy_ ? policy_->version : -1; }

 private:
  LearnerClient* const learner_;
  std::unique_ptr<Policy> policy_;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_POLICY_SYNC_H_
