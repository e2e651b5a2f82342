// Base class for scorers that judge one item at a time (cheap rule-based checks). It supplies the
// batch loop once for all of them: items reached after the deadline, items whose ScoreOne throws,
// and results with a non-finite number all come back missing with a reason. Subclasses implement
// ScoreOne, which must be thread-safe like Scorer::ScoreBatch.
#ifndef FULCRUM_REWARD_SERVER_ITEM_SCORER_H_
#define FULCRUM_REWARD_SERVER_ITEM_SCORER_H_

#include <vector>

#include "reward_server/scorer.h"

namespace fulcrum {

class ItemScorer : public Scorer {
 public:
  std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items,
                                                   absl::Time deadline) const final;

 protected:
  virtual fulcrum::v1::ScoreResult ScoreOne(const fulcrum::v1::ScoreItem& item) const = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_ITEM_SCORER_H_
