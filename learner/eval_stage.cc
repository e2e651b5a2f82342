#include "learner/eval_stage.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "actor/rollout_unit.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/generation.h"
#include "core/model_io.h"
#include "core/rpc_metrics.h"
#include "core/status_macros.h"
#include "learner/evaluator.h"
#include "learner/pass_at_k.h"
#include "learner/training_state.h"
#include "tasks/registry.h"

namespace fulcrum {
namespace {

constexpr int kDefaultSamples = 8;
constexpr int kGreedyBatch = 256;
constexpr int kSampleBatch = 512;  // Sequences per Generate call, as the actor's default.
constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
constexpr std::chrono::seconds kReportEvery{5};

absl::Status ValidateConfig(const v1::EvalConfig& c) {
  auto missing = [](const char* key) { return absl::InvalidArgumentError(absl::StrCat("eval.", key, " is required")); };
  if (c.checkpoint().empty()) return missing("checkpoint");
  if (c.prompts_path().empty()) return missing("prompts_path");
  if (c.out_dir().empty()) return missing("out_dir");
  if (c.sampling().max_new_tokens() <= 0) return missing("sampling.max_new_tokens (a positive number)");
  if (c.examples() < 0 || c.samples() < 0) return absl::InvalidArgumentError("eval: examples and samples must be >= 0");
  const int n = c.samples() > 0 ? c.samples() : kDefaultSamples;
  for (int k : c.k()) {
    if (k < 1 || k > n) return absl::InvalidArgumentError(absl::StrCat("eval.k: ", k, " is not in [1, samples = ", n, "]"));
  }
  std::set<std::string> names;
  for (const v1::Selector& s : c.selectors()) {
    if (s.name().empty()) return absl::InvalidArgumentError("eval.selectors: every selector needs a name");
    if (s.address().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("eval.selectors: selector '", s.name(), "' has no address"));
    }
    if (!names.insert(s.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat("eval.selectors: two selectors are named '", s.name(), "'"));
    }
  }
  return absl::OkStatus();
}

// Connects `channel` now, so that a wrong address fails before minutes of sampling rather than after.
// A refused connection or an unresolvable name fails at once; a silent one after kConnectTimeout.
absl::Status ConnectSelector(grpc::Channel& channel, const std::string& name, const std::string& address) {
  const auto deadline = absl::ToChronoTime(absl::Now() + kConnectTimeout);
  const std::string what = absl::StrCat("eval: selector '", name, "' at ", address, " cannot be reached");
  for (grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true); state != GRPC_CHANNEL_READY;
       state = channel.GetState(/*try_to_connect=*/true)) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return absl::UnavailableError(absl::StrCat(what, " (connection failed); is its Reward server running?"));
    }
    if (!channel.WaitForStateChange(state, deadline)) {
      return absl::UnavailableError(
          absl::StrCat(what, " (no connection within ", absl::FormatDuration(kConnectTimeout), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int PickBestOfN(const std::vector<std::optional<double>>& scores) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
    if (!scores[i].has_value() || std::isnan(*scores[i])) continue;
    if (best < 0 || *scores[i] > *scores[best]) best = i;
  }
  return best;
}

absl::StatusOr<std::unique_ptr<EvalStage>> EvalStage::Create(const v1::EvalConfig& config, std::ostream* progress) {
  FULCRUM_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<EvalStage> e(new EvalStage());
  e->config_ = config;
  e->progress_ = progress;
  e->n_ = config.samples() > 0 ? config.samples() : kDefaultSamples;
  e->ks_.assign(config.k().begin(), config.k().end());
  if (e->ks_.empty()) e->ks_ = {1, e->n_};
  std::sort(e->ks_.begin(), e->ks_.end());
  e->ks_.erase(std::unique(e->ks_.begin(), e->ks_.end()), e->ks_.end());

  FULCRUM_ASSIGN_OR_RETURN(e->task_, MakeTask(config.task()));
  FULCRUM_ASSIGN_OR_RETURN(e->prompts_, ReadRlPrompts(config.prompts_path()));
  KeepFirst(e->prompts_, config.examples());
  FULCRUM_ASSIGN_OR_RETURN(e->checkpoint_dir_, ResolveCheckpointDir(config.checkpoint()));
  FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(e->checkpoint_dir_));
  e->model_ = loaded.model;
  e->model_->eval();
  e->tokenizer_ = std::move(loaded.tokenizer);
  for (size_t i = 0; i < e->prompts_.size(); ++i) {
    absl::StatusOr<std::vector<int>> ids = EncodePrompt(*e->tokenizer_, e->prompts_[i].prompt);
    if (!ids.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.prompts_path(), ": prompt ", i + 1, ": ", ids.status().message()));
    }
    if (static_cast<int64_t>(ids->size()) + config.sampling().max_new_tokens() > e->model_->config().max_seq_len()) {
      return absl::InvalidArgumentError(absl::StrCat(
          config.prompts_path(), ": prompt ", i + 1, " (", ids->size(), " tokens) plus sampling.max_new_tokens ",
          config.sampling().max_new_tokens(), " exceeds the model's max_seq_len ", e->model_->config().max_seq_len()));
    }
    e->encoded_.push_back(*std::move(ids));
  }

  // Sampled as the actors sample an RL stage's completions, with the same defaults.
  v1::SamplingConfig sampling;
  sampling.set_temperature(config.sampling().temperature());
  sampling.set_top_k(config.sampling().top_k());
  sampling.set_top_p(config.sampling().top_p());
  sampling.set_max_new_tokens(config.sampling().max_new_tokens());
  FULCRUM_ASSIGN_OR_RETURN(e->sampling_, SamplingParamsFrom(sampling, e->tokenizer_->eos_id(), "eval.sampling"));

  for (const v1::Selector& selector : config.selectors()) {
    std::shared_ptr<grpc::Channel> channel = InstrumentedChannel("learner", selector.address());
    FULCRUM_RETURN_IF_ERROR(ConnectSelector(*channel, selector.name(), selector.address()));
    RewardClient::Options options;
    options.address = selector.address();
    e->selectors_.push_back({selector.name(), selector.address(),
                             std::make_unique<RewardClient>(v1::Reward::NewStub(channel), options, &e->cancellation_)});
  }

  std::error_code ec;
  std::filesystem::create_directories(config.out_dir(), ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("creating ", config.out_dir(), ": ", ec.message()));
  return e;
}

absl::StatusOr<double> EvalStage::GreedyAccuracy(const ProgressMeter& meter) {
  FULCRUM_ASSIGN_OR_RETURN(AccuracyResult result, EvaluateAccuracy(model_, *tokenizer_, *task_, prompts_,
                                                                   sampling_.max_new_tokens, kGreedyBatch));
  if (progress_) *progress_ << meter.Line(result.total, {{"acc", result.accuracy()}}) << std::endl;
  return result.accuracy();
}

absl::Status EvalStage::SampleCompletions(const ProgressMeter& meter) {
  const int64_t greedy_done = static_cast<int64_t>(prompts_.size());
  const int total = static_cast<int>(prompts_.size()) * n_;
  samples_.clear();
  samples_.reserve(total);
  int64_t correct = 0;
  auto last_report = std::chrono::steady_clock::now();
  for (int begin = 0, batch = 0; begin < total; begin += kSampleBatch, ++batch) {
    const int end = std::min(total, begin + kSampleBatch);
    std::vector<std::vector<int>> batch_prompts;
    batch_prompts.reserve(end - begin);
    for (int s = begin; s < end; ++s) batch_prompts.push_back(encoded_[s / n_]);
    SamplingParams params = sampling_;
    params.seed = GenerationSeed(config_.seed(), "eval", batch);
    FULCRUM_ASSIGN_OR_RETURN(std::vector<Completion> completions, Generate(model_, batch_prompts, params));
    for (int s = begin; s < end; ++s) {
      const Completion& completion = completions[s - begin];
      Sample& sample = samples_.emplace_back();
      sample.text = tokenizer_->Decode(completion.tokens);
      sample.finished = completion.finish_reason == FinishReason::kStop;
      sample.correct = sample.finished && task_->Verify(sample.text, prompts_[s / n_].ground_truth).correct;
      correct += sample.correct;
    }
    const bool last = end == total;
    if (progress_ && (last || std::chrono::steady_clock::now() - last_report > kReportEvery)) {
      *progress_ << meter.Line(greedy_done + end, {{"sample_acc", static_cast<double>(correct) / end}}) << std::endl;
      last_report = std::chrono::steady_clock::now();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EvalStage::SelectorResult> EvalStage::BestOfN(Selector& selector) {
  std::vector<v1::ScoreItem> items;
  std::vector<int> item_of_sample(samples_.size(), -1);
  for (size_t s = 0; s < samples_.size(); ++s) {
    if (!samples_[s].finished) continue;
    item_of_sample[s] = static_cast<int>(items.size());
    v1::ScoreItem& item = items.emplace_back();
    item.set_prompt(prompts_[s / n_].prompt);
    item.set_completion(samples_[s].text);
    item.set_ground_truth(prompts_[s / n_].ground_truth);
  }
  SelectorResult result;
  std::vector<v1::ScoreResult> scores;
  if (!items.empty()) {
    absl::StatusOr<std::vector<v1::ScoreResult>> scored = selector.client->Score(items);
    if (!scored.ok()) {
      return absl::Status(scored.status().code(), absl::StrCat("eval: selector '", selector.name, "' at ",
                                                               selector.address, ": ", scored.status().message()));
    }
    scores = *std::move(scored);
    for (const v1::ScoreResult& score : scores) result.missing += score.missing();
    // A selector that answered nothing would read as accuracy 0: that is a failure, not a measurement.
    if (result.missing == static_cast<int64_t>(scores.size())) {
      return absl::UnavailableError(absl::StrCat("eval: selector '", selector.name, "' at ", selector.address,
                                                 " gave no reward for any of ", scores.size(),
                                                 " completions, e.g.: ", scores.front().reason()));
    }
  }
  int64_t correct = 0;
  for (size_t p = 0; p < prompts_.size(); ++p) {
    std::vector<std::optional<double>> candidates(n_);
    for (int j = 0; j < n_; ++j) {
      const int item = item_of_sample[p * n_ + j];
      if (item >= 0 && !scores[item].missing()) candidates[j] = scores[item].reward();
    }
    const int pick = PickBestOfN(candidates);
    if (pick >= 0 && samples_[p * n_ + pick].correct) ++correct;
  }
  result.accuracy = static_cast<double>(correct) / prompts_.size();
  return result;
}

absl::StatusOr<nlohmann::json> EvalStage::Run() {
  const int64_t prompts = static_cast<int64_t>(prompts_.size());
  ProgressMeter meter("eval", prompts * (1 + n_));
  FULCRUM_ASSIGN_OR_RETURN(const double accuracy, GreedyAccuracy(meter));
  FULCRUM_RETURN_IF_ERROR(SampleCompletions(meter));

  std::vector<int> correct_per_prompt(prompts, 0);
  int64_t correct = 0, unfinished = 0;
  for (size_t s = 0; s < samples_.size(); ++s) {
    correct_per_prompt[s / n_] += samples_[s].correct;
    correct += samples_[s].correct;
    unfinished += !samples_[s].finished;
  }
  nlohmann::json pass_at_k = nlohmann::json::object();
  for (int k : ks_) {
    FULCRUM_ASSIGN_OR_RETURN(pass_at_k[std::to_string(k)], MeanPassAtK(correct_per_prompt, n_, k));
  }
  nlohmann::json best_of_n = nlohmann::json::object();
  nlohmann::json missing = nlohmann::json::object();
  for (Selector& selector : selectors_) {
    FULCRUM_ASSIGN_OR_RETURN(SelectorResult result, BestOfN(selector));
    best_of_n[selector.name] = result.accuracy;
    missing[selector.name] = result.missing;
    if (progress_) *progress_ << "eval: best-of-" << n_ << " by " << selector.name << ": " << result.accuracy << std::endl;
  }

  nlohmann::json summary = {{"stage", "eval"},
                            {"wall_s", meter.elapsed_seconds()},
                            {"checkpoint", checkpoint_dir_},
                            {"examples", prompts},
                            {"n", n_},
                            {"accuracy", accuracy},
                            {"sample_accuracy", static_cast<double>(correct) / samples_.size()},
                            {"pass_at_k", pass_at_k},
                            {"best_of_n", best_of_n},
                            {"missing_rewards", missing},
                            {"unfinished_samples", unfinished}};
  nlohmann::json record = summary;
  record["kind"] = "eval";
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_.out_dir() + "/metrics.jsonl", record.dump() + "\n"));
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_.out_dir() + "/summary.json", summary.dump(2) + "\n"));
  return summary;
}

}  // namespace fulcrum
