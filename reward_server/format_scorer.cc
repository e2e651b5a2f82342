#include "reward_server/format_scorer.h"

#include <memory>
#include <utility>

namespace fulcrum {

FormatScorer::FormatScorer(std::shared_ptr<const Task> task) : task_(std::move(task)) {}

fulcrum::v1::ScoreResult FormatScorer::ScoreOne(const fulcrum::v1::ScoreItem& item) const {
  const Verdict verdict = task_->Verify(item.completion(), item.ground_truth());
  fulcrum::v1::ScoreResult result;
  result.set_reward(verdict.well_formed ? 1.0 : 0.0);
  (*result.mutable_components())["well_formed"] = verdict.well_formed ? 1.0 : 0.0;
  if (!verdict.well_formed) result.set_reason(verdict.reason);
  return result;
}

}  // namespace fulcrum
