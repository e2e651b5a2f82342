// Rewards a completion 1 when the whole of it matches an RE2 pattern, else 0. Every
// "{ground_truth}" in the pattern is replaced by the item's ground truth, quoted so it matches
// literally ("1+1" matches "1+1", not "11"). Built by MakeScorer for scorer "regex"; RE2 matching
// is thread-safe and per-item patterns are compiled on the calling thread.
#ifndef FULCRUM_REWARD_SERVER_REGEX_SCORER_H_
#define FULCRUM_REWARD_SERVER_REGEX_SCORER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "re2/re2.h"
#include "reward_server/item_scorer.h"

namespace fulcrum {

class RegexScorer final : public ItemScorer {
 public:
  static constexpr char kGroundTruthPlaceholder[] = "{ground_truth}";

  // INVALID_ARGUMENT when the pattern is empty or not valid RE2 syntax.
  static absl::StatusOr<std::unique_ptr<RegexScorer>> Create(std::string pattern);

 protected:
  fulcrum::v1::ScoreResult ScoreOne(const fulcrum::v1::ScoreItem& item) const override;

 private:
  RegexScorer(std::string pattern, std::unique_ptr<RE2> fixed);

  std::string pattern_;
  // Compiled once when the pattern has no placeholder; null otherwise.
  std::unique_ptr<RE2> fixed_;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_REGEX_SCORER_H_
