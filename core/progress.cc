#include "core/progress.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fulcrum {

ProgressMeter::ProgressMeter(std::string name, int64_t total, int64_t done_at_start)
    : name_(std::move(name)), total_(total), start_(done_at_start), began_(std::chrono::steady_clock::now()) {}

double ProgressMeter::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
}

std::string ProgressMeter::Line(int64_t done, const std::vector<std::pair<std::string, double>>& numbers,
                                bool with_rate) const {
  std::string line = absl::StrCat(name_, " ", done, "/", total_);
  for (const auto& [key, value] : numbers) absl::StrAppend(&line, absl::StrFormat(" | %s %.4g", key, value));
  const double elapsed = elapsed_seconds();
  const int64_t progressed = done - start_;
  if (with_rate && progressed > 0 && elapsed > 0) {
    const double rate = progressed / elapsed;
    absl::StrAppend(&line, absl::StrFormat(" | %.3g it/s | ETA %s", rate,
                                           FormatDuration((total_ - done) / rate)));
  }
  return line;
}

std::string FormatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

}  // namespace fulcrum
