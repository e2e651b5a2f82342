#include "core/reward_model.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace fulcrum {

torch::Tensor LastTokenScores(Gpt& model, const torch::Tensor& tokens, const torch::Tensor& last_index) {
  const int64_t b = tokens.size(0), t = tokens.size(1);
  torch::Tensor positions = torch::arange(t, torch::kInt64).unsqueeze(0).expand({b, t});
  torch::Tensor hidden = model->Forward(tokens, positions, torch::Tensor());  // [B, T, D]
  torch::Tensor index = last_index.view({b, 1, 1}).expand({b, 1, hidden.size(2)});
  return model->Scores(hidden.gather(1, index).squeeze(1));
}

ScoreStats ComputeScoreStats(const torch::Tensor& scores) {
  torch::Tensor values = scores.detach().to(torch::kFloat64).reshape(-1);
  ScoreStats stats;
  stats.count = values.numel();
  if (stats.count == 0) return stats;
  stats.mean = values.mean().item<double>();
  stats.std = values.std(/*unbiased=*/false).item<double>();
  return stats;
}

std::string ScoreStatsJson(const ScoreStats& stats) {
  return nlohmann::json{{"mean", stats.mean}, {"std", stats.std}, {"count", stats.count}}.dump(2) + "\n";
}

absl::StatusOr<ScoreStats> ReadScoreStats(const std::string& checkpoint_dir) {
  const std::string path = absl::StrCat(checkpoint_dir, "/", kScoreStatsFile);
  FULCRUM_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("mean") || !json.contains("std") ||
      !json["mean"].is_number() || !json["std"].is_number()) {
    return absl::DataLossError(absl::StrCat(path, ": expected {\"mean\": number, \"std\": number}"));
  }
  ScoreStats stats;
  stats.mean = json["mean"].get<double>();
  stats.std = json["std"].get<double>();
  if (json.contains("count") && json["count"].is_number_integer()) stats.count = json["count"].get<int64_t>();
  if (!std::isfinite(stats.mean) || !std::isfinite(stats.std) || stats.std <= 0) {
    return absl::DataLossError(absl::StrCat(path, ": mean ", stats.mean, " and std ", stats.std,
                                            " cannot normalize scores (std must be positive and finite)"));
  }
  return stats;
}

}  // namespace fulcrum
