#include "reward_server/composite_scorer.h"

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "reward_server/score_results.h"

namespace fulcrum {
namespace {

void AppendReason(const std::string& name, const std::string& reason, std::string* joined) {
  if (reason.empty()) return;
  absl::StrAppend(joined, joined->empty() ? "" : "; ", name, ": ", reason);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CompositeScorer>> CompositeScorer::Create(std::vector<Part> parts) {
  if (parts.empty()) return absl::InvalidArgumentError("composite scorer has no parts");
  std::set<std::string> names;
  for (const Part& part : parts) {
    if (part.name.empty()) return absl::InvalidArgumentError("composite part has an empty name");
    if (!names.insert(part.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("composite part '", part.name, "' repeats"));
    }
    if (!std::isfinite(part.weight)) {
      return absl::InvalidArgumentError(
          absl::StrCat("composite part '", part.name, "' has a non-finite weight"));
    }
    if (part.scorer == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("composite part '", part.name, "' has no scorer"));
    }
  }
  return std::unique_ptr<CompositeScorer>(new CompositeScorer(std::move(parts)));
}

CompositeScorer::CompositeScorer(std::vector<Part> parts) : parts_(std::move(parts)) {}

std::vector<fulcrum::v1::ScoreResult> CompositeScorer::ScoreBatch(
    const ScoreItems& items, absl::Time deadline) const {
  const size_t n = static_cast<size_t>(items.size());
  std::vector<std::vector<fulcrum::v1::ScoreResult>> by_part;
  by_part.reserve(parts_.size());
  for (const Part& part : parts_) {
    by_part.push_back(part.scorer->ScoreBatch(items, deadline));
    if (by_part.back().size() != n) {
      return std::vector<fulcrum::v1::ScoreResult>(
          n, MissingResult(absl::StrCat("composite part '", part.name, "' returned ",
                                        by_part.back().size(), " results for ", n, " items")));
    }
  }
  std::vector<fulcrum::v1::ScoreResult> results(n);
  for (size_t i = 0; i < n; ++i) {
    fulcrum::v1::ScoreResult& combined = results[i];
    bool any_missing = false;
    std::string missing_reasons;
    std::string reasons;
    double reward = 0.0;
    for (size_t p = 0; p < parts_.size(); ++p) {
      const fulcrum::v1::ScoreResult part_result = RejectNonFinite(by_part[p][i]);
      if (part_result.missing()) {
        any_missing = true;
        AppendReason(parts_[p].name,
                     part_result.reason().empty() ? "missing" : part_result.reason(),
                     &missing_reasons);
        continue;
      }
      reward += parts_[p].weight * part_result.reward();
      (*combined.mutable_components())[parts_[p].name] = part_result.reward();
      AppendReason(parts_[p].name, part_result.reason(), &reasons);
    }
    if (any_missing) {
      combined = MissingResult(std::move(missing_reasons));
      continue;
    }
    combined.set_reward(reward);
    combined.set_reason(std::move(reasons));
  }
  return results;
}

}  // namespace fulcrum
