#include "reward_server/exact_match_scorer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "reward_server/score_results.h"

namespace fulcrum {

fulcrum::v1::ScoreResult ExactMatchScorer::ScoreOne(const fulcrum::v1::ScoreItem& item) const {
  const absl::string_view truth = absl::StripAsciiWhitespace(item.ground_truth());
  // An empty ground truth would reward empty completions: treat it as bad input.
  if (truth.empty()) return MissingResult("item has no ground_truth");
  const bool match = absl::StripAsciiWhitespace(item.completion()) == truth;
  fulcrum::v1::ScoreResult result;
  result.set_reward(match ? 1.0 : 0.0);
  (*result.mutable_components())["exact_match"] = match ? 1.0 : 0.0;
  if (!match) result.set_reason("completion differs from ground_truth");
  return result;
}

}  // namespace fulcrum
