// metrics.jsonl: one JSON record per line, appended as training goes. On resume the records past
// the restored step are dropped so a replayed step is not logged twice.
#ifndef FULCRUM_LEARNER_METRICS_LOG_H_
#define FULCRUM_LEARNER_METRICS_LOG_H_

#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace fulcrum {

class MetricsLog {
 public:
  // Opens `path` for appending, first keeping only records whose "step" is <= keep_through_step.
  static absl::StatusOr<std::unique_ptr<MetricsLog>> Open(const std::string& path, int64_t keep_through_step);

  void Append(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  MetricsLog(std::string path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}
  std::string path_;
  std::ofstream out_;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_METRICS_LOG_H_
