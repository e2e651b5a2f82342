// The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
// Code"): from n sampled completions of a problem, c of them correct, the probability that at least
// one of k completions drawn without replacement is correct, 1 - C(n-c, k) / C(n, k). Averaged over
// problems it estimates pass@k with less variance than drawing k samples per problem. Used by the
// eval stage (learner/eval_stage.h).
#ifndef FULCRUM_LEARNER_PASS_AT_K_H_
#define FULCRUM_LEARNER_PASS_AT_K_H_

#include <vector>

#include "absl/status/statusor.h"

namespace fulcrum {

// pass@k of one problem. INVALID_ARGUMENT unless 0 <= c <= n and 1 <= k <= n.
absl::StatusOr<double> PassAtK(int n, int c, int k);

// The mean of PassAtK(n, correct[i], k) over problems i. INVALID_ARGUMENT as PassAtK, or when
// `correct` is empty.
absl::StatusOr<double> MeanPassAtK(const std::vector<int>& correct, int n, int k);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_PASS_AT_K_H_
