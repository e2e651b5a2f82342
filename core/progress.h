// One-line progress reports for long work: position, rate, the caller's key numbers and an ETA.
#ifndef FULCRUM_CORE_PROGRESS_H_
#define FULCRUM_CORE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fulcrum {

class ProgressMeter {
 public:
  // `done_at_start` counts work finished before this process (a resumed run).
  ProgressMeter(std::string name, int64_t total, int64_t done_at_start = 0);

  // "sft 120/2000 | loss 0.532 | acc 0.810 | 1.2 it/s | ETA 2m13s"
  // `with_rate` false leaves out the rate and ETA (for a reader who did not watch the work begin).
  std::string Line(int64_t done, const std::vector<std::pair<std::string, double>>& numbers,
                   bool with_rate = true) const;
  double elapsed_seconds() const;

 private:
  std::string name_;
  int64_t total_, start_;
  std::chrono::steady_clock::time_point began_;
};

// "1h02m", "2m13s", "45s".
std::string FormatDuration(double seconds);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_PROGRESS_H_
