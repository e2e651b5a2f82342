#include "learner/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fulcrum {

double LearningRate(const v1::OptimizerConfig& config, int step, int total_steps) {
  const double peak = config.lr();
  const int warmup = config.warmup_steps();
  if (step < warmup) return peak * (step + 1) / warmup;
  const int decay_steps = std::max(1, total_steps - warmup - 1);
  const double progress = std::clamp(static_cast<double>(step - warmup) / decay_steps, 0.0, 1.0);
  const double floor = peak * config.min_lr_ratio();
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace fulcrum
