#include "orchestrator/stage_progress.h"

#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

// The numbers worth a glance, in the order shown, from whichever the stage logs.
const char* const kTrainKeys[] = {"loss", "reward_mean", "kl", "accuracy", "preference_accuracy", "margin"};
const char* const kEvalKeys[] = {"heldout_accuracy", "heldout_pairwise_accuracy", "heldout_preference_accuracy"};

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

StageProgress::StageProgress(std::string stage, std::string metrics_path, int64_t total_steps)
    : stage_(std::move(stage)),
      path_(std::move(metrics_path)),
      total_(total_steps),
      meter_(std::make_unique<ProgressMeter>(absl::StrCat("[", stage_, "]"), total_)) {}

std::optional<std::string> StageProgress::Poll(double min_interval_s) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  if (size < offset_) offset_ = 0, partial_.clear();  // rewritten
  if (size == offset_) return std::nullopt;
  in.seekg(offset_);
  std::string chunk(size - offset_, '\0');
  in.read(chunk.data(), chunk.size());
  offset_ = size;
  partial_ += chunk;
  bool evaluated = false, news = false;
  size_t start = 0, end;
  while ((end = partial_.find('\n', start)) != std::string::npos) {
    const nlohmann::json record = nlohmann::json::parse(partial_.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!record.is_object()) continue;
    const int64_t step = record.value("step", int64_t{0});
    if (!started_) {  // A resumed stage starts past step 1: rate and ETA count from there.
      started_ = true;
      if (step > 1) meter_ = std::make_unique<ProgressMeter>(absl::StrCat("[", stage_, "]"), total_, step - 1);
    }
    step_ = std::max(step_, step);
    if (record.value("kind", "") == "eval") {
      last_eval_ = record;
      evaluated = true;
    } else {
      last_train_ = record;
      samples_ += record.value("samples", int64_t{0});
    }
    news = true;
  }
  partial_.erase(0, start);
  if (!news) return std::nullopt;
  const double now = Seconds();
  if (!evaluated && now - last_shown_s_ < min_interval_s) return std::nullopt;
  last_shown_s_ = now;
  return Line();
}

std::string StageProgress::Line(bool with_rate) const {
  std::vector<std::pair<std::string, double>> numbers;
  for (const char* key : kTrainKeys) {
    if (last_train_.contains(key) && last_train_[key].is_number()) numbers.emplace_back(key, last_train_[key].get<double>());
  }
  for (const char* key : kEvalKeys) {
    if (last_eval_.contains(key) && last_eval_[key].is_number()) numbers.emplace_back(key, last_eval_[key].get<double>());
  }
  if (!started_) return absl::StrCat("[", stage_, "] starting");
  if (with_rate && samples_ > 0 && meter_->elapsed_seconds() > 0) {
    numbers.emplace_back("samples/s", samples_ / meter_->elapsed_seconds());
  }
  return meter_->Line(step_, numbers, with_rate);
}

}  // namespace fulcrum
