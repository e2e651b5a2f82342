// Rewards a completion 1 when the task's verifier judges it correct and 0 otherwise (RLVR). The
// verdict's reason is passed through and the outcome reported as component "correct". Built by
// MakeScorer for scorer "verifier"; thread-safe because Task::Verify is const and pure.
#ifndef FULCRUM_REWARD_SERVER_VERIFIER_SCORER_H_
#define FULCRUM_REWARD_SERVER_VERIFIER_SCORER_H_

#include <memory>

#include "reward_server/item_scorer.h"
#include "tasks/task.h"

namespace fulcrum {

class VerifierScorer final : public ItemScorer {
 public:
  explicit VerifierScorer(std::shared_ptr<const Task> task);

 protected:
  fulcrum::v1::ScoreResult ScoreOne(const fulcrum::v1::ScoreItem& item) const override;

 private:
  std::shared_ptr<const Task> task_;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_VERIFIER_SCORER_H_
