#include "learner/rl_trainer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <numeric>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_io.h"
#include "core/progress.h"
#include "core/safetensors.h"
#include "core/status_macros.h"
#include "core/torch_status.h"
#include "learner/learner_metrics.h"
#include "learner/lr_schedule.h"
#include "learner/training_state.h"
#include "tasks/registry.h"

namespace fulcrum {
namespace {

constexpr char kOptimizerFile[] = "optimizer.safetensors";
constexpr char kCriticFile[] = "critic.safetensors";
constexpr char kCriticOptimizerFile[] = "critic_optimizer.safetensors";
constexpr char kStateFile[] = "state.json";
constexpr int kEvalPromptsPerUnit = 64;
constexpr size_t kRewardWindow = 5;  // Updates averaged for reward_mean_first / reward_mean_last.

double OrDefault(double value, double fallback) { return value > 0 ? value : fallback; }

absl::Status ValidateConfig(const v1::RlConfig& c) {
  auto missing = [](const char* key) { return absl::InvalidArgumentError(absl::StrCat("rl.", key, " is required")); };
  if (c.algorithm().empty()) return missing("algorithm (grpo or ppo)");
  if (c.policy_init().empty()) return missing("policy_init");
  if (c.prompts_path().empty()) return missing("prompts_path");
  if (c.out_dir().empty()) return missing("out_dir");
  if (c.steps() <= 0) return missing("steps (a positive number)");
  if (c.prompts_per_step() <= 0) return missing("prompts_per_step (a positive number)");
  if (c.group_size() <= 0) return missing("group_size (a positive number)");
  if (c.algorithm() == "grpo" && c.group_size() < 2) {
    return absl::InvalidArgumentError("rl.group_size must be at least 2 for GRPO: advantages compare samples of a group");
  }
  if (c.sampling().max_new_tokens() <= 0) return missing("sampling.max_new_tokens (a positive number)");
  if (c.optimizer().lr() <= 0) return missing("optimizer.lr (a positive number)");
  if (!c.heldout_prompts_path().empty() && c.task().name().empty()) {
    return absl::InvalidArgumentError("rl.task is required with rl.heldout_prompts_path: its verifier judges accuracy");
  }
  if (c.max_staleness() < 0 || c.eval_every() < 0 || c.checkpoint_every() < 0 || c.eval_examples() < 0 ||
      c.kl_coef() < 0) {
    return absl::InvalidArgumentError(
        "rl: max_staleness, eval_every, checkpoint_every, eval_examples and kl_coef must be >= 0");
  }
  return absl::OkStatus();
}

std::string CheckpointRoot(const v1::RlConfig& c) { return c.out_dir() + "/checkpoints"; }

// `model` with a value head: itself when it has one, else a copy with a freshly initialized head.
absl::StatusOr<Gpt> WithValueHead(const Gpt& model) {
  if (model->config().value_head()) return model;
  v1::ModelConfig config = model->config();
  config.set_value_head(true);
  return RebuildWithConfig(model, config, "building the critic");
}

double WindowMean(const std::vector<double>& values, bool first) {
  const size_t n = std::min(values.size(), kRewardWindow);
  if (n == 0) return 0;
  auto begin = first ? values.begin() : values.end() - n;
  return std::accumulate(begin, begin + n, 0.0) / n;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RlTrainer>> RlTrainer::Create(const v1::RlConfig& config, std::ostream* progress) {
  FULCRUM_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<RlTrainer> t(new RlTrainer());
  t->config_ = config;
  t->progress_ = progress;
  FULCRUM_ASSIGN_OR_RETURN(RlUpdateOptions update_options, RlUpdateOptions::FromConfig(config));
  if (!config.task().name().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(t->task_, MakeTask(config.task()));
  }

  auto latest = LatestCheckpoint(CheckpointRoot(config));
  if (!latest.ok() && latest.status().code() != absl::StatusCode::kNotFound) return latest.status();
  std::string start_from;
  if (latest.ok()) {
    start_from = *latest;
  } else {
    FULCRUM_ASSIGN_OR_RETURN(start_from, ResolveCheckpointDir(config.policy_init()));
  }
  FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(start_from));
  t->tokenizer_ = std::move(loaded.tokenizer);
  t->policy_ = loaded.model;
  const bool ppo = update_options.ppo;
  if (ppo && config.ppo().separate_critic()) {
    FULCRUM_ASSIGN_OR_RETURN(t->critic_, WithValueHead(t->policy_));
    t->critic_optimizer_ = std::make_unique<Optimizer>(t->critic_->NamedWeights(), config.optimizer());
  } else if (ppo) {
    FULCRUM_ASSIGN_OR_RETURN(t->policy_, WithValueHead(t->policy_));
  }
  t->optimizer_ = std::make_unique<Optimizer>(t->policy_->NamedWeights(), config.optimizer());
  t->updater_ = std::make_unique<RlUpdater>(t->policy_, t->optimizer_.get(),
                                            t->critic_ ? t->critic_ : Gpt(nullptr), t->critic_optimizer_.get(),
                                            update_options);
  t->kl_ = std::make_unique<KlController>(config.kl_coef(), ppo ? config.ppo().kl_target() : 0,
                                          config.ppo().kl_horizon());

  FULCRUM_ASSIGN_OR_RETURN(std::vector<RlPrompt> prompts, ReadRlPrompts(config.prompts_path()));
  if (!config.heldout_prompts_path().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(t->heldout_, ReadRlPrompts(config.heldout_prompts_path()));
    KeepFirst(t->heldout_, config.eval_examples());
  }
  RolloutCoordinator::Options options;
  options.leases.lease_timeout = absl::Seconds(OrDefault(config.lease_timeout_s(), 60));
  options.leases.max_reissues = config.max_reissues() > 0 ? config.max_reissues() : 3;
  options.max_staleness = config.max_staleness();
  options.prompts_per_step = config.prompts_per_step();
  options.prompts_per_unit = config.prompts_per_unit() > 0 ? config.prompts_per_unit() : 8;
  options.eval_prompts_per_unit = kEvalPromptsPerUnit;
  options.group_size = config.group_size();
  options.sampling.set_temperature(static_cast<float>(update_options.temperature));
  options.sampling.set_top_k(config.sampling().top_k());
  options.sampling.set_top_p(static_cast<float>(OrDefault(config.sampling().top_p(), 1.0)));
  options.sampling.set_max_new_tokens(config.sampling().max_new_tokens());
  options.need_reference_logprobs = config.kl_coef() > 0;
  options.seed = config.seed();
  FULCRUM_ASSIGN_OR_RETURN(t->coordinator_, RolloutCoordinator::Create(options, std::move(prompts), t->heldout_));

  std::error_code ec;
  std::filesystem::create_directories(config.out_dir(), ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("creating ", config.out_dir(), ": ", ec.message()));
  if (latest.ok()) FULCRUM_RETURN_IF_ERROR(t->Resume(*latest));
  FULCRUM_ASSIGN_OR_RETURN(t->metrics_, MetricsLog::Open(config.out_dir() + "/metrics.jsonl", t->step_));
  return t;
}

absl::Status RlTrainer::Resume(const std::string& dir) {
  FULCRUM_ASSIGN_OR_RETURN(std::string state_text, ReadFile(dir + "/" + kStateFile));
  auto state = nlohmann::json::parse(state_text, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.contains("step") || !state.contains("cursor") || !state.contains("rewards")) {
    return absl::DataLossError(absl::StrCat(dir, "/", kStateFile, ": not an RL training state"));
  }
  FULCRUM_ASSIGN_OR_RETURN(DataCursor::State cursor, DataCursor::StateFromJson(state["cursor"]));
  FULCRUM_RETURN_IF_ERROR(coordinator_->RestoreCursor(cursor));
  FULCRUM_ASSIGN_OR_RETURN(SafetensorsFile optimizer, ReadSafetensors(dir + "/" + kOptimizerFile));
  FULCRUM_RETURN_IF_ERROR(optimizer_->Restore(optimizer.tensors));
  if (critic_) {
    FULCRUM_ASSIGN_OR_RETURN(SafetensorsFile critic, ReadSafetensors(dir + "/" + kCriticFile));
    FULCRUM_RETURN_IF_ERROR(critic_->LoadWeights(critic.tensors));
    FULCRUM_ASSIGN_OR_RETURN(SafetensorsFile critic_optimizer, ReadSafetensors(dir + "/" + kCriticOptimizerFile));
    FULCRUM_RETURN_IF_ERROR(critic_optimizer_->Restore(critic_optimizer.tensors));
  }
  step_ = state["step"].get<int64_t>();
  rewards_ = state["rewards"].get<std::vector<double>>();
  kl_->set_coef(state.value("kl_coef", kl_->coef()));
  if (state.contains("heldout_accuracy_before")) accuracy_before_ = state["heldout_accuracy_before"].get<double>();
  if (progress_) *progress_ << "rl: resuming from " << dir << " at step " << step_ << std::endl;
  return absl::OkStatus();
}

absl::Status RlTrainer::SaveCheckpoint() {
  FULCRUM_ASSIGN_OR_RETURN(auto files, ModelFiles(policy_, *tokenizer_));
  FULCRUM_ASSIGN_OR_RETURN(files[kOptimizerFile], SerializeSafetensors(optimizer_->State()));
  if (critic_) {
    FULCRUM_ASSIGN_OR_RETURN(files[kCriticFile], SerializeSafetensors(critic_->NamedWeights()));
    FULCRUM_ASSIGN_OR_RETURN(files[kCriticOptimizerFile], SerializeSafetensors(critic_optimizer_->State()));
  }
  nlohmann::json state = {{"step", step_},
                          {"cursor", DataCursor::StateToJson(coordinator_->cursor_state())},
                          {"rewards", rewards_},
                          {"kl_coef", kl_->coef()}};
  if (accuracy_before_) state["heldout_accuracy_before"] = *accuracy_before_;
  files[kStateFile] = state.dump(2);
  FULCRUM_RETURN_IF_ERROR(WriteCheckpoint(CheckpointRoot(config_), step_, files).status());
  if (config_.keep_checkpoints() == 0) return absl::OkStatus();
  return PruneCheckpoints(CheckpointRoot(config_), config_.keep_checkpoints());
}

absl::Status RlTrainer::Publish() {
  const auto start = std::chrono::steady_clock::now();
  FULCRUM_RETURN_IF_ERROR(publisher_.Publish(step_, policy_, *tokenizer_));
  coordinator_->SetPolicyVersion(step_);
  const double seconds = Seconds(start);
  publish_s_ += seconds;
  LearnerMetrics::Get().PolicyPublished(step_, seconds);
  return absl::OkStatus();
}

double RlTrainer::Accuracy(const std::vector<EvalSample>& samples) const {
  if (samples.empty()) return 0.0;
  int64_t correct = 0;
  for (const EvalSample& s : samples) {
    correct += task_->Verify(s.sample.completion_text(), heldout_[s.prompt_id].ground_truth).correct ? 1 : 0;
  }
  return static_cast<double>(correct) / samples.size();
}

absl::StatusOr<double> RlTrainer::Evaluate() {
  const auto start = std::chrono::steady_clock::now();
  const int64_t round = coordinator_->StartEval();
  const absl::Time deadline = absl::Now() + absl::Seconds(OrDefault(config_.wait_timeout_s(), 600));
  FULCRUM_ASSIGN_OR_RETURN(std::vector<EvalSample> samples, coordinator_->WaitEval(round, deadline));
  eval_s_ += Seconds(start);
  return Accuracy(samples);
}

void RlTrainer::CollectFinishedEvals() {
  for (auto it = eval_rounds_.begin(); it != eval_rounds_.end();) {
    std::optional<std::vector<EvalSample>> samples = coordinator_->EvalResult(it->second);
    if (!samples.has_value()) {
      ++it;
      continue;
    }
    const double accuracy = Accuracy(*samples);
    metrics_->Append({{"step", it->first}, {"kind", "eval"}, {"heldout_accuracy", accuracy}});
    last_accuracy_ = accuracy;
    it = eval_rounds_.erase(it);
  }
}

absl::Status RlTrainer::TrainStep(int* missing_streak) {
  const auto wait_start = std::chrono::steady_clock::now();
  const absl::Time deadline = absl::Now() + absl::Seconds(OrDefault(config_.wait_timeout_s(), 600));
  FULCRUM_ASSIGN_OR_RETURN(std::vector<RolloutGroup> groups, coordinator_->TakeGroups(deadline));
  const double wait_s = Seconds(wait_start);
  wait_s_ += wait_s;
  LearnerMetrics::Get().Groups(groups, step_);
  LearnerMetrics::Get().Coordinator(coordinator_->stats(), coordinator_->units_outstanding(),
                                    coordinator_->groups_buffered());

  // A batch without a single reward trains nothing; stop after max_missing_steps of them in a row.
  std::string reason;
  bool any_reward = false;
  for (const auto& group : groups) {
    for (const auto& s : group.samples) {
      any_reward |= !s.reward().missing();
      if (reason.empty()) reason = s.reward().reason();
    }
  }
  if (!any_reward) {
    const int limit = config_.max_missing_steps() > 0 ? config_.max_missing_steps() : 3;
    if (++*missing_streak >= limit) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no sample of the last ", *missing_streak, " batches had a reward (",
          reason.empty() ? "no reason given" : reason,
          "); nothing was trained on them. Check the reward server the actors use."));
    }
    if (progress_) {
      *progress_ << "rl: a batch came back without rewards (" << reason << "); not training on it" << std::endl;
    }
    return absl::OkStatus();
  }
  *missing_streak = 0;

  const auto learn_start = std::chrono::steady_clock::now();
  FULCRUM_ASSIGN_OR_RETURN(RlBatch batch,
                           MakeRlBatch(groups, tokenizer_->pad_id(), policy_->config().max_seq_len()));
  const double lr = LearningRate(config_.optimizer(), static_cast<int>(step_), config_.steps());
  // The separate critic follows the policy's schedule, scaled to its own peak rate.
  const double critic_lr = lr * OrDefault(config_.ppo().critic_lr(), config_.optimizer().lr()) / config_.optimizer().lr();
  FULCRUM_ASSIGN_OR_RETURN(RlUpdateStats stats, updater_->Update(batch, lr, critic_lr, kl_->coef()));
  learn_s_ += Seconds(learn_start);
  // A batch whose groups were all dropped (zero variance) still counts as a step: the data moved on.
  // The KL coefficient moves only on a KL that was measured.
  if (stats.trained && batch.reference_logprobs.defined()) kl_->Update(stats.kl, static_cast<int>(stats.samples));
  ++step_;
  FULCRUM_RETURN_IF_ERROR(Publish());
  rewards_.push_back(stats.reward_mean);
  last_kl_ = stats.kl;
  samples_trained_ += stats.samples;
  const double staleness = (static_cast<double>(step_ - 1) - batch.policy_versions.to(torch::kFloat64).mean().item<double>());
  metrics_->Append({{"step", step_},
                    {"reward_mean", stats.reward_mean},
                    {"loss", stats.loss},
                    {"policy_loss", stats.policy_loss},
                    {"value_loss", stats.value_loss},
                    {"kl", stats.kl},
                    {"kl_coef", kl_->coef()},
                    {"entropy", stats.entropy},
                    {"clip_fraction", stats.clip_fraction},
                    {"importance_weight", stats.importance_weight},
                    {"grad_norm", stats.grad_norm},
                    {"lr", lr},
                    {"samples", stats.samples},
                    {"missing", stats.missing},
                    {"zero_variance_groups", stats.zero_variance_groups},
                    {"response_length", stats.response_length},
                    {"staleness", staleness},
                    {"wait_s", wait_s}});
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> RlTrainer::Run() {
  absl::Cleanup finish_stage = [this] { coordinator_->Finish(); };
  const auto start = std::chrono::steady_clock::now();
  FULCRUM_RETURN_IF_ERROR(Publish());
  if (!accuracy_before_ && !heldout_.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(accuracy_before_, Evaluate());
    metrics_->Append({{"step", step_}, {"kind", "eval"}, {"heldout_accuracy", *accuracy_before_}});
    if (progress_) *progress_ << "rl: held-out accuracy before " << *accuracy_before_ << std::endl;
  }
  ProgressMeter meter(absl::StrCat("rl/", config_.algorithm()), config_.steps(), step_);
  const int64_t samples_at_start = samples_trained_;
  auto last_report = std::chrono::steady_clock::now() - std::chrono::hours(1);
  int missing_streak = 0;
  while (step_ < config_.steps()) {
    FULCRUM_RETURN_IF_ERROR(TrainStep(&missing_streak));
    CollectFinishedEvals();
    const bool last = step_ == config_.steps();
    if (!last && config_.eval_every() > 0 && step_ % config_.eval_every() == 0 && !heldout_.empty()) {
      eval_rounds_.emplace_back(step_, coordinator_->StartEval());
    }
    if (last || (config_.checkpoint_every() > 0 && step_ % config_.checkpoint_every() == 0)) {
      FULCRUM_RETURN_IF_ERROR(SaveCheckpoint());
    }
    if (progress_ && (last || std::chrono::steady_clock::now() - last_report > std::chrono::seconds(5))) {
      std::vector<std::pair<std::string, double>> numbers = {
          {"reward", rewards_.empty() ? 0.0 : rewards_.back()}, {"kl", last_kl_}};
      if (last_accuracy_) numbers.emplace_back("acc", *last_accuracy_);
      numbers.emplace_back("samples/s", (samples_trained_ - samples_at_start) / std::max(1e-9, meter.elapsed_seconds()));
      *progress_ << meter.Line(step_, numbers) << std::endl;
      last_report = std::chrono::steady_clock::now();
    }
  }
  const absl::Time eval_deadline = absl::Now() + absl::Seconds(OrDefault(config_.wait_timeout_s(), 600));
  for (const auto& [step, round] : eval_rounds_) {  // Rounds still out: their records belong in the log.
    FULCRUM_ASSIGN_OR_RETURN(std::vector<EvalSample> samples, coordinator_->WaitEval(round, eval_deadline));
    metrics_->Append({{"step", step}, {"kind", "eval"}, {"heldout_accuracy", Accuracy(samples)}});
  }
  eval_rounds_.clear();
  std::optional<double> accuracy_after;
  if (!heldout_.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(accuracy_after, Evaluate());
    metrics_->Append({{"step", step_}, {"kind", "eval"}, {"heldout_accuracy", *accuracy_after}});
  }
  const double wall_s = Seconds(start);
  const RolloutCoordinator::Stats c = coordinator_->stats();
  auto optional_json = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  nlohmann::json summary = {
      {"stage", "rl"},
      {"algorithm", config_.algorithm()},
      {"max_staleness", config_.max_staleness()},
      {"steps", step_},
      {"wall_s", wall_s},
      {"heldout_accuracy_before", optional_json(accuracy_before_)},
      {"heldout_accuracy_after", optional_json(accuracy_after)},
      {"reward_mean_first", WindowMean(rewards_, true)},
      {"reward_mean_last", WindowMean(rewards_, false)},
      {"kl_last", last_kl_},
      {"samples_trained", samples_trained_},
      {"samples_per_s", (samples_trained_ - samples_at_start) / std::max(1e-9, wall_s)},
      {"stale_dropped", c.stale_dropped},
      {"duplicates", c.leases.duplicates},
      {"missing_rewards", c.missing_rewards},
      {"leases", {{"issued", c.leases.issued}, {"reissued", c.leases.reissued}, {"abandoned", c.leases.abandoned}}},
      {"time_s", {{"wait", wait_s_}, {"learn", learn_s_}, {"publish", publish_s_}, {"eval", eval_s_}}},
      {"checkpoint", CheckpointRoot(config_) + "/" + CheckpointDirName(step_)}};
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_.out_dir() + "/summary.json", summary.dump(2) + "\n"));
  return summary;
}

}  // namespace fulcrum
