#include "reward_server/score_results.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fulcrum {

fulcrum::v1::ScoreResult MissingResult(std::string reason) {
  fulcrum::v1::ScoreResult result;
  result.set_missing(true);
  result.set_reason(std::move(reason));
  return result;
}

fulcrum::v1::ScoreResult RejectNonFinite(fulcrum::v1::ScoreResult result) {
  if (result.missing()) return result;
  if (!std::isfinite(result.reward())) {
    return MissingResult(absl::StrCat("scorer produced a non-finite reward (", result.reward(), ")"));
  }
  for (const auto& [name, value] : result.components()) {
    if (!std::isfinite(value)) {
      return MissingResult(
          absl::StrCat("scorer produced a non-finite component '", name, "' (", value, ")"));
    }
  }
  return result;
}

}  // namespace fulcrum
