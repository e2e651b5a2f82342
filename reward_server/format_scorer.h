// Rewards a completion 1 when the task's verifier finds it well formed (shaped like an answer,
// right or wrong) and 0 otherwise: a shaping term, usually a small part of a CompositeScorer.
// Built by MakeScorer for scorer "format"; thread-safe because Task::Verify is const and pure.
#ifndef FULCRUM_REWARD_SERVER_FORMAT_SCORER_H_
#define FULCRUM_REWARD_SERVER_FORMAT_SCORER_H_

#include <memory>

#include "reward_server/item_scorer.h"
#include "tasks/task.h"

namespace fulcrum {

class FormatScorer final : public ItemScorer {
 public:
  explicit FormatScorer(std::shared_ptr<const Task> task);

 protected:
  fulcrum::v1::ScoreResult ScoreOne(const fulcrum::v1::ScoreItem& item) const override;

 private:
  std::shared_ptr<const Task> task_;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_FORMAT_SCORER_H_
