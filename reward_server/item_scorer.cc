#include "reward_server/item_scorer.h"

#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reward_server/score_results.h"

namespace fulcrum {

std::vector<fulcrum::v1::ScoreResult> ItemScorer::ScoreBatch(
    const ScoreItems& items, absl::Time deadline) const {
  std::vector<fulcrum::v1::ScoreResult> results;
  results.reserve(items.size());
  for (const fulcrum::v1::ScoreItem& item : items) {
    if (absl::Now() >= deadline) {
      results.push_back(MissingResult("deadline exceeded"));
      continue;
    }
    // Scorers are not supposed to throw, but a throwing one (e.g. std::regex or a third-party
    // library) must cost one item, not the whole server.
    try {
      results.push_back(RejectNonFinite(ScoreOne(item)));
    } catch (const std::exception& e) {
      results.push_back(MissingResult(absl::StrCat("scorer threw: ", e.what())));
    } catch (...) {
      results.push_back(MissingResult("scorer threw a non-standard exception"));
    }
  }
  return results;
}

}  // namespace fulcrum
