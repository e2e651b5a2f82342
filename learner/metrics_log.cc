#include "learner/metrics_log.h"

#include "learner/learner_metrics.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"

namespace fulcrum {

absl::StatusOr<std::unique_ptr<MetricsLog>> MetricsLog::Open(const std::string& path, int64_t keep_through_step) {
  std::string kept;
  if (auto existing = ReadFile(path); existing.ok()) {
    for (absl::string_view line : absl::StrSplit(*existing, '\n', absl::SkipEmpty())) {
      auto record = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
      // A torn last line from a crash is dropped with the records after the checkpoint.
      if (record.is_discarded() || record.value("step", int64_t{0}) > keep_through_step) continue;
      absl::StrAppend(&kept, line, "\n");
    }
  }
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  out << kept;
  out.flush();
  return std::unique_ptr<MetricsLog>(new MetricsLog(path, std::move(out)));
}

void MetricsLog::Append(const nlohmann::json& record) {
  LearnerMetrics::Get().Record(record);
  out_ << record.dump() << "\n";
  out_.flush();
}

}  // namespace fulcrum
