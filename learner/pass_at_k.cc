#include "learner/pass_at_k.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::StatusOr<double> PassAtK(int n, int c, int k) {
  if (n < 1 || c < 0 || c > n) {
    return absl::InvalidArgumentError(absl::StrCat("pass@k needs 0 <= correct <= samples, samples >= 1; got ",
                                                   c, " correct of ", n));
  }
  if (k < 1 || k > n) {
    return absl::InvalidArgumentError(absl::StrCat("pass@", k, " needs 1 <= k <= samples (", n, ")"));
  }
  // Every draw of k holds a correct completion.
  if (n - c < k) return 1.0;
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i): no factorials, no overflow.
  double all_wrong = 1.0;
  for (int i = n - c + 1; i <= n; ++i) all_wrong *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - all_wrong;
}

absl::StatusOr<double> MeanPassAtK(const std::vector<int>& correct, int n, int k) {
  if (correct.empty()) return absl::InvalidArgumentError("pass@k over no problems");
  double sum = 0;
  for (int c : correct) {
    FULCRUM_ASSIGN_OR_RETURN(double value, PassAtK(n, c, k));
    sum += value;
  }
  return sum / correct.size();
}

}  // namespace fulcrum
