// Rewards a completion 1 when it equals the ground truth after trimming ASCII whitespace at both
// ends, else 0: the task-agnostic baseline. Built by MakeScorer for scorer "exact_match";
// stateless, so thread-safe.
#ifndef FULCRUM_REWARD_SERVER_EXACT_MATCH_SCORER_H_
#define FULCRUM_REWARD_SERVER_EXACT_MATCH_SCORER_H_

#include "reward_server/item_scorer.h"

namespace fulcrum {

class ExactMatchScorer final : public ItemScorer {
 protected:
  fulcrum::v1::ScoreResult ScoreOne(const fulcrum::v1::ScoreItem& item) const override;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_EXACT_MATCH_SCORER_H_
