#include "reward_server/verifier_scorer.h"

#include <memory>
#include <utility>

#include "reward_server/score_results.h"

namespace fulcrum {

VerifierScorer::VerifierScorer(std::shared_ptr<const Task> task) : task_(std::move(task)) {}

fulcrum::v1::ScoreResult VerifierScorer::ScoreOne(const fulcrum::v1::ScoreItem& item) const {
  // Without a ground truth every answer would verify as wrong: that is bad input, not a 0.
  if (item.ground_truth().empty()) return MissingResult("item has no ground_truth");
  const Verdict verdict = task_->Verify(item.completion(), item.ground_truth());
  fulcrum::v1::ScoreResult result;
  result.set_reward(verdict.correct ? 1.0 : 0.0);
  (*result.mutable_components())["correct"] = verdict.correct ? 1.0 : 0.0;
  result.set_reason(verdict.reason);
  return result;
}

}  // namespace fulcrum
