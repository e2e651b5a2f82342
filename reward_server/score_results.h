// Small constructors and checks for ScoreResult shared by the scorers and RewardService, so every
// path that gives up on an item reports it the same way.
#ifndef FULCRUM_REWARD_SERVER_SCORE_RESULTS_H_
#define FULCRUM_REWARD_SERVER_SCORE_RESULTS_H_

#include <string>

#include "fulcrum/v1/reward.pb.h"

namespace fulcrum {

// A result with `missing` set and `reason` explaining why.
fulcrum::v1::ScoreResult MissingResult(std::string reason);

// A result whose reward or any component is NaN or infinite becomes missing: a non-finite number
// must never reach the learner as a reward.
fulcrum::v1::ScoreResult RejectNonFinite(fulcrum::v1::ScoreResult result);

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_SCORE_RESULTS_H_
