// The coefficient of PPO's KL-in-reward penalty: fixed, or adapted toward a target KL as in Ziegler
// et al. (2019): β ← β · (1 + clip(KL / target - 1, -0.2, 0.2) · n / horizon) after each update
// over n samples. A pure policy class, tested without a model.
#ifndef FULCRUM_LEARNER_KL_CONTROLLER_H_
#define FULCRUM_LEARNER_KL_CONTROLLER_H_

#include <algorithm>

namespace fulcrum {

class KlController {
 public:
  // target <= 0 keeps the coefficient fixed.
  KlController(double initial, double target, double horizon)
      : coef_(initial), target_(target), horizon_(horizon > 0 ? horizon : 10000) {}

  double coef() const { return coef_; }
  void set_coef(double coef) { coef_ = coef; }  // Resume.

  void Update(double observed_kl, int samples) {
    if (target_ <= 0) return;
    const double error = std::clamp(observed_kl / target_ - 1.0, -0.2, 0.2);
    coef_ *= 1.0 + error * samples / horizon_;
  }

 private:
  double coef_, target_, horizon_;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_KL_CONTROLLER_H_
