#include "learner/dpo_trainer.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_io.h"
#include "core/progress.h"
#include "core/status_macros.h"
#include "core/torch_status.h"
#include "learner/evaluator.h"
#include "learner/lr_schedule.h"
#include "learner/training_state.h"
#include "tasks/registry.h"

namespace fulcrum {
namespace {

constexpr int kEvalBatch = 256;
constexpr size_t kLossWindow = 50;
constexpr double kDefaultBeta = 0.1;
constexpr int kDefaultMaxNewTokens = 16;

double Mean(const std::deque<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / values.size();
}

absl::Status ValidateConfig(const v1::DpoConfig& c) {
  auto missing = [](const char* key) { return absl::InvalidArgumentError(absl::StrCat("dpo.", key, " is required")); };
  if (c.policy_init().empty()) return missing("policy_init");
  if (c.train_path().empty()) return missing("train_path");
  if (c.out_dir().empty()) return missing("out_dir");
  if (c.steps() <= 0) return missing("steps (a positive number)");
  if (c.batch_size() <= 0) return missing("batch_size (a positive number)");
  if (c.optimizer().lr() <= 0) return missing("optimizer.lr (a positive number)");
  if (!c.heldout_prompts_path().empty() && c.task().name().empty()) return missing("task.name (for held-out accuracy)");
  if (c.beta() < 0 || c.eval_every() < 0 || c.eval_examples() < 0 || c.checkpoint_every() < 0 ||
      c.keep_checkpoints() < 0 || c.max_new_tokens() < 0) {
    return absl::InvalidArgumentError(
        "dpo: beta, eval_every, eval_examples, checkpoint_every, keep_checkpoints and max_new_tokens must be >= 0");
  }
  return absl::OkStatus();
}

std::string CheckpointRoot(const v1::DpoConfig& c) { return c.out_dir() + "/checkpoints"; }

// Summed response log-probs of every pair under `model`, without gradients: [2N], the N chosen
// sequences first, then the N rejected ones (the layout of one PairBatch).
torch::Tensor ScorePairs(Gpt& model, const std::vector<TokenizedPair>& pairs, int pad_id) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> chosen, rejected;
  for (size_t start = 0; start < pairs.size(); start += kEvalBatch) {
    std::vector<const TokenizedPair*> batch;
    for (size_t i = start; i < std::min(pairs.size(), start + kEvalBatch); ++i) batch.push_back(&pairs[i]);
    PairBatch pair_batch = MakePairBatch(batch, pad_id);
    torch::Tensor logprobs = ResponseLogProbs(model, pair_batch);
    chosen.push_back(logprobs.narrow(0, 0, pair_batch.pairs));
    rejected.push_back(logprobs.narrow(0, pair_batch.pairs, pair_batch.pairs));
  }
  return torch::cat({torch::cat(chosen), torch::cat(rejected)});
}

// The progress line's share of an evaluation record.
void AddEvalNumbers(const nlohmann::json& eval, std::vector<std::pair<std::string, double>>& numbers) {
  const std::pair<const char*, const char*> shown[] = {
      {"heldout_preference_accuracy", "pref_acc"}, {"heldout_reward_margin", "margin"}, {"heldout_accuracy", "acc"}};
  for (const auto& [key, label] : shown) {
    if (eval.contains(key)) numbers.emplace_back(label, eval[key].get<double>());
  }
}

DpoLossResult PairLoss(const torch::Tensor& policy, const torch::Tensor& reference, double beta) {
  const int64_t n = policy.size(0) / 2;
  return DpoLoss(policy.narrow(0, 0, n), policy.narrow(0, n, n), reference.narrow(0, 0, n),
                 reference.narrow(0, n, n), beta);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DpoTrainer>> DpoTrainer::Create(const v1::DpoConfig& config, std::ostream* progress) {
  FULCRUM_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<DpoTrainer> t(new DpoTrainer());
  t->config_ = config;
  t->beta_ = config.beta() > 0 ? config.beta() : kDefaultBeta;
  if (t->config_.max_new_tokens() == 0) t->config_.set_max_new_tokens(kDefaultMaxNewTokens);
  t->progress_ = progress;
  if (!config.task().name().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(t->task_, MakeTask(config.task()));
  }

  FULCRUM_ASSIGN_OR_RETURN(t->reference_dir_, ResolveCheckpointDir(config.policy_init()));
  FULCRUM_ASSIGN_OR_RETURN(LoadedModel reference, LoadModel(t->reference_dir_));
  t->reference_ = reference.model;
  t->reference_->eval();
  for (auto& parameter : t->reference_->parameters()) parameter.set_requires_grad(false);

  auto latest = LatestCheckpoint(CheckpointRoot(config));
  if (!latest.ok() && latest.status().code() != absl::StatusCode::kNotFound) return latest.status();
  FULCRUM_ASSIGN_OR_RETURN(LoadedModel policy, LoadModel(latest.ok() ? *latest : t->reference_dir_));
  t->policy_ = policy.model;
  t->tokenizer_ = std::move(policy.tokenizer);
  const int max_len = t->policy_->config().max_seq_len();

  FULCRUM_ASSIGN_OR_RETURN(auto train, ReadPreferenceExamples(config.train_path()));
  FULCRUM_ASSIGN_OR_RETURN(t->train_, TokenizePreferences(train, *t->tokenizer_, max_len, config.train_path()));
  if (!config.heldout_path().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(auto heldout, ReadPreferenceExamples(config.heldout_path()));
    KeepFirst(heldout, config.eval_examples());
    FULCRUM_ASSIGN_OR_RETURN(t->heldout_,
                             TokenizePreferences(heldout, *t->tokenizer_, max_len, config.heldout_path()));
    FULCRUM_ASSIGN_OR_RETURN(t->heldout_reference_, TorchCall("scoring held-out pairs with the reference", [&] {
                               return ScorePairs(t->reference_, t->heldout_, t->tokenizer_->pad_id());
                             }));
  }
  if (!config.heldout_prompts_path().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(t->heldout_prompts_, ReadRlPrompts(config.heldout_prompts_path()));
    KeepFirst(t->heldout_prompts_, config.eval_examples());
  }
  t->cursor_ = std::make_unique<DataCursor>(t->train_.size(), config.seed());
  t->optimizer_ = std::make_unique<Optimizer>(t->policy_->NamedWeights(), config.optimizer());

  if (latest.ok()) FULCRUM_RETURN_IF_ERROR(t->Resume(*latest));
  FULCRUM_ASSIGN_OR_RETURN(t->metrics_, OpenStageOutput(config.out_dir(), t->step_));
  return t;
}

absl::Status DpoTrainer::Resume(const std::string& dir) {
  FULCRUM_ASSIGN_OR_RETURN(nlohmann::json state, RestoreTrainingState(dir, *cursor_, *optimizer_));
  step_ = state["step"].get<int64_t>();
  if (state.contains("heldout_accuracy_before") && state["heldout_accuracy_before"].is_number()) {
    accuracy_before_ = state["heldout_accuracy_before"].get<double>();
  }
  if (state.contains("recent_losses") && state["recent_losses"].is_array()) {
    for (const auto& loss : state["recent_losses"]) {
      if (loss.is_number()) recent_losses_.push_back(loss.get<double>());
    }
  }
  if (progress_) *progress_ << "dpo: resuming from " << dir << " at step " << step_ << std::endl;
  return absl::OkStatus();
}

absl::Status DpoTrainer::SaveCheckpoint() {
  nlohmann::json extras = {{"reference", reference_dir_}, {"recent_losses", recent_losses_}};
  if (accuracy_before_) extras["heldout_accuracy_before"] = *accuracy_before_;
  return SaveTrainingCheckpoint(CheckpointRoot(config_), step_, policy_, *tokenizer_, *optimizer_, *cursor_, extras,
                                config_.keep_checkpoints());
}

DpoTrainer::StepResult DpoTrainer::TrainStep() {
  policy_->train();
  optimizer_->ZeroGrad();
  std::vector<const TokenizedPair*> pairs;
  for (int i = 0; i < config_.batch_size(); ++i) pairs.push_back(&train_[cursor_->Next()]);
  PairBatch batch = MakePairBatch(pairs, tokenizer_->pad_id());
  torch::Tensor reference;
  {
    torch::NoGradGuard no_grad;
    reference = ResponseLogProbs(reference_, batch);
  }
  DpoLossResult result = PairLoss(ResponseLogProbs(policy_, batch), reference, beta_);
  result.loss.backward();
  const double lr = LearningRate(config_.optimizer(), static_cast<int>(step_), config_.steps());
  const double grad_norm = optimizer_->Step(lr);
  ++step_;
  return {SummarizeDpo(result), lr, grad_norm};
}

absl::StatusOr<nlohmann::json> DpoTrainer::Evaluate() {
  policy_->eval();
  nlohmann::json record = {{"step", step_}};
  if (!heldout_.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(DpoStats stats, TorchCall("held-out preference evaluation", [&] {
                               torch::Tensor policy = ScorePairs(policy_, heldout_, tokenizer_->pad_id());
                               return SummarizeDpo(PairLoss(policy, heldout_reference_, beta_));
                             }));
    record["heldout_loss"] = stats.loss;
    record["heldout_preference_accuracy"] = stats.preference_accuracy;
    record["heldout_reward_margin"] = stats.reward_margin;
    record["heldout_chosen_reward"] = stats.chosen_reward;
    record["heldout_rejected_reward"] = stats.rejected_reward;
  }
  if (!heldout_prompts_.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(AccuracyResult accuracy,
                             EvaluateAccuracy(policy_, *tokenizer_, *task_, heldout_prompts_,
                                              config_.max_new_tokens(), kEvalBatch));
    record["heldout_accuracy"] = accuracy.accuracy();
  }
  record["kind"] = "eval";
  return record;
}

absl::StatusOr<nlohmann::json> DpoTrainer::Run() {
  ProgressMeter meter("dpo", config_.steps(), step_);
  auto report = [&](const std::vector<std::pair<std::string, double>>& numbers) {
    if (progress_) *progress_ << meter.Line(step_, numbers) << std::endl;
  };
  nlohmann::json last_eval;
  if (step_ == 0) {
    // The policy is still policy_init: this evaluation is the "before" of the summary.
    FULCRUM_ASSIGN_OR_RETURN(last_eval, Evaluate());
    metrics_->Append(last_eval);
    if (last_eval.contains("heldout_accuracy")) accuracy_before_ = last_eval["heldout_accuracy"].get<double>();
    std::vector<std::pair<std::string, double>> numbers;
    AddEvalNumbers(last_eval, numbers);
    report(numbers);
  }
  auto last_report = std::chrono::steady_clock::now();
  while (step_ < config_.steps()) {
    FULCRUM_ASSIGN_OR_RETURN(StepResult result, TorchCall("DPO step", [&] { return TrainStep(); }));
    const DpoStats& s = result.stats;
    recent_losses_.push_back(s.loss);
    if (recent_losses_.size() > kLossWindow) recent_losses_.pop_front();
    metrics_->Append({{"step", step_}, {"loss", s.loss}, {"preference_accuracy", s.preference_accuracy},
                      {"reward_margin", s.reward_margin}, {"chosen_reward", s.chosen_reward},
                      {"rejected_reward", s.rejected_reward}, {"lr", result.lr}, {"grad_norm", result.grad_norm}});
    std::vector<std::pair<std::string, double>> numbers = {{"loss", s.loss}, {"train_pref_acc", s.preference_accuracy}};
    const bool last = step_ == config_.steps();
    if (last || (config_.eval_every() > 0 && step_ % config_.eval_every() == 0)) {
      FULCRUM_ASSIGN_OR_RETURN(last_eval, Evaluate());
      metrics_->Append(last_eval);
      AddEvalNumbers(last_eval, numbers);
      report(numbers);
      last_report = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(5)) {
      report(numbers);
      last_report = std::chrono::steady_clock::now();
    }
    if (last || (config_.checkpoint_every() > 0 && step_ % config_.checkpoint_every() == 0)) {
      FULCRUM_RETURN_IF_ERROR(SaveCheckpoint());
    }
  }
  if (last_eval.is_null()) {
    FULCRUM_ASSIGN_OR_RETURN(last_eval, Evaluate());
  }
  auto from_eval = [&](const char* key) { return last_eval.value(key, nlohmann::json()); };
  nlohmann::json summary = {
      {"stage", "dpo"},
      {"steps", step_},
      {"wall_s", meter.elapsed_seconds()},
      {"reference", reference_dir_},
      {"checkpoint", CheckpointRoot(config_) + "/" + CheckpointDirName(step_)},
      {"train_loss", recent_losses_.empty() ? nlohmann::json() : nlohmann::json(Mean(recent_losses_))},
      {"heldout_accuracy_before", accuracy_before_ ? nlohmann::json(*accuracy_before_) : nlohmann::json()},
      {"heldout_accuracy_after", from_eval("heldout_accuracy")},
      {"heldout_preference_accuracy", from_eval("heldout_preference_accuracy")},
      {"heldout_reward_margin", from_eval("heldout_reward_margin")},
      {"heldout_loss", from_eval("heldout_loss")}};
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_.out_dir() + "/summary.json", summary.dump(2) + "\n"));
  return summary;
}

}  // namespace fulcrum
