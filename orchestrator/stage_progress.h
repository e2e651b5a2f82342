// The terminal's view of a running stage: follows the stage's metrics.jsonl as the learner appends
// to it and makes one line of the key numbers (loss / reward / KL / held-out accuracy), the rate
// and an ETA, e.g.
//   [rl] 40/120 | loss 0.07 | reward_mean 0.83 | kl 0.001 | heldout_accuracy 0.99 | samples/s 563 | 1.1 it/s | ETA 1m12s
#ifndef FULCRUM_ORCHESTRATOR_STAGE_PROGRESS_H_
#define FULCRUM_ORCHESTRATOR_STAGE_PROGRESS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/progress.h"

namespace fulcrum {

class StageProgress {
 public:
  StageProgress(std::string stage, std::string metrics_path, int64_t total_steps);

  // Reads what was appended since the last call; a new line to show when there is news (at most
  // every `min_interval_s`, or at once for an evaluation), else nullopt.
  std::optional<std::string> Poll(double min_interval_s = 5.0);
  // The line for the newest numbers, whether or not it was shown; `with_rate` as ProgressMeter's.
  std::string Line(bool with_rate = true) const;

 private:
  std::string stage_, path_;
  int64_t total_;
  int64_t offset_ = 0;
  std::string partial_;
  nlohmann::json last_train_, last_eval_;
  int64_t step_ = 0;
  bool started_ = false;
  int64_t samples_ = 0;  // RL samples trained since this view began
  std::unique_ptr<ProgressMeter> meter_;
  double last_shown_s_ = -1e9;
};

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_STAGE_PROGRESS_H_
