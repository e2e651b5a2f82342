// A weighted sum of named scorers, e.g. 1.0 * verifier + 0.1 * format. Each part's (unweighted)
// reward is reported as a component under the part's name, and the parts' reasons are joined as
// "name: reason". The result is missing when any part is missing, since a sum over fewer parts
// would be a different reward. Built by MakeScorer for scorer "composite"; thread-safe when its
// parts are.
#ifndef FULCRUM_REWARD_SERVER_COMPOSITE_SCORER_H_
#define FULCRUM_REWARD_SERVER_COMPOSITE_SCORER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reward_server/scorer.h"

namespace fulcrum {

class CompositeScorer final : public Scorer {
 public:
  struct Part {
    std::string name;
    double weight = 0.0;
    std::unique_ptr<Scorer> scorer;
  };

  // INVALID_ARGUMENT when there are no parts, a name is empty or repeated, a weight is not
  // finite, or a scorer is null.
  static absl::StatusOr<std::unique_ptr<CompositeScorer>> Create(std::vector<Part> parts);

  std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items,
                                                   absl::Time deadline) const override;

 private:
  explicit CompositeScorer(std::vector<Part> parts);

  std::vector<Part> parts_;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_COMPOSITE_SCORER_H_
