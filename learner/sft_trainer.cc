#include "learner/sft_trainer.h"

#include <chrono>
#include <deque>

#include "absl/strings/str_cat.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_config.h"
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

double Mean(const std::deque<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / values.size();
}

absl::Status ValidateConfig(const v1::SftConfig& c) {
  auto missing = [](const char* key) { return absl::InvalidArgumentError(absl::StrCat("sft.", key, " is required")); };
  if (c.train_path().empty()) return missing("train_path");
  if (c.out_dir().empty()) return missing("out_dir");
  if (c.steps() <= 0) return missing("steps (a positive number)");
  if (c.batch_size() <= 0) return missing("batch_size (a positive number)");
  if (c.optimizer().lr() <= 0) return missing("optimizer.lr (a positive number)");
  if (c.grad_accum() < 0 || c.eval_every() < 0 || c.checkpoint_every() < 0 || c.eval_examples() < 0) {
    return absl::InvalidArgumentError("sft: grad_accum, eval_every, checkpoint_every and eval_examples must be >= 0");
  }
  if (!c.heldout_prompts_path().empty() && c.max_new_tokens() <= 0) return missing("max_new_tokens (for held-out accuracy)");
  return absl::OkStatus();
}

std::string CheckpointRoot(const v1::SftConfig& c) { return c.out_dir() + "/checkpoints"; }

}  // namespace

absl::StatusOr<std::unique_ptr<SftTrainer>> SftTrainer::Create(const v1::SftConfig& config, std::ostream* progress) {
  FULCRUM_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<SftTrainer> t(new SftTrainer());
  t->config_ = config;
  t->progress_ = progress;
  FULCRUM_ASSIGN_OR_RETURN(t->task_, MakeTask(config.task()));

  auto latest = LatestCheckpoint(CheckpointRoot(config));
  if (!latest.ok() && latest.status().code() != absl::StatusCode::kNotFound) return latest.status();
  const std::string start_from = latest.ok() ? *latest : config.init_from();
  if (!start_from.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(start_from));
    t->model_ = loaded.model;
    t->tokenizer_ = std::move(loaded.tokenizer);
  } else {
    t->tokenizer_ = std::make_unique<CharTokenizer>();
    FULCRUM_ASSIGN_OR_RETURN(v1::ModelConfig model_config,
                             ResolveModelConfig(config.model(), t->tokenizer_->vocab_size()));
    FULCRUM_ASSIGN_OR_RETURN(t->model_, TorchCall("building the model", [&] { return Gpt(model_config); }));
  }
  const int max_len = t->model_->config().max_seq_len();

  FULCRUM_ASSIGN_OR_RETURN(auto train, ReadSftExamples(config.train_path()));
  FULCRUM_ASSIGN_OR_RETURN(t->train_, TokenizeSft(train, *t->tokenizer_, max_len, config.train_path()));
  if (!config.heldout_path().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(auto heldout, ReadSftExamples(config.heldout_path()));
    FULCRUM_ASSIGN_OR_RETURN(t->heldout_, TokenizeSft(heldout, *t->tokenizer_, max_len, config.heldout_path()));
  }
  if (!config.heldout_prompts_path().empty()) {
    FULCRUM_ASSIGN_OR_RETURN(t->heldout_prompts_, ReadRlPrompts(config.heldout_prompts_path()));
    KeepFirst(t->heldout_prompts_, config.eval_examples());
  }
  t->cursor_ = std::make_unique<DataCursor>(t->train_.size(), config.seed());
  t->optimizer_ = std::make_unique<Optimizer>(t->model_->NamedWeights(), config.optimizer());

  if (latest.ok()) FULCRUM_RETURN_IF_ERROR(t->Resume(*latest));
  FULCRUM_ASSIGN_OR_RETURN(t->metrics_, OpenStageOutput(config.out_dir(), t->step_));
  return t;
}

absl::Status SftTrainer::Resume(const std::string& dir) {
  FULCRUM_ASSIGN_OR_RETURN(nlohmann::json state, RestoreTrainingState(dir, *cursor_, *optimizer_));
  step_ = state["step"].get<int64_t>();
  tokens_seen_ = state.value("tokens_seen", int64_t{0});
  if (progress_) *progress_ << "sft: resuming from " << dir << " at step " << step_ << std::endl;
  return absl::OkStatus();
}

absl::Status SftTrainer::SaveCheckpoint() {
  return SaveTrainingCheckpoint(CheckpointRoot(config_), step_, model_, *tokenizer_, *optimizer_, *cursor_,
                                {{"tokens_seen", tokens_seen_}}, config_.keep_checkpoints());
}

SftTrainer::StepResult SftTrainer::TrainStep() {
  model_->train();
  optimizer_->ZeroGrad();
  const int accum = std::max(1, config_.grad_accum());
  double loss_sum = 0;
  for (int micro = 0; micro < accum; ++micro) {
    std::vector<const TokenizedExample*> batch;
    for (int i = 0; i < config_.batch_size(); ++i) batch.push_back(&train_[cursor_->Next()]);
    for (const auto* example : batch) tokens_seen_ += static_cast<int64_t>(example->tokens.size());
    ResponseLoss loss = ComputeResponseLoss(model_, batch, tokenizer_->pad_id());
    (loss.loss / accum).backward();
    loss_sum += loss.loss.item<double>();
  }
  const double lr = LearningRate(config_.optimizer(), static_cast<int>(step_), config_.steps());
  const double grad_norm = optimizer_->Step(lr);
  ++step_;
  return {loss_sum / accum, lr, grad_norm};
}

absl::StatusOr<nlohmann::json> SftTrainer::Evaluate() {
  model_->eval();
  nlohmann::json record = {{"step", step_}};
  if (!heldout_.empty()) record["heldout_loss"] = HeldoutLoss(model_, heldout_, tokenizer_->pad_id(), kEvalBatch);
  if (!heldout_prompts_.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(AccuracyResult accuracy,
                             EvaluateAccuracy(model_, *tokenizer_, *task_, heldout_prompts_,
                                              config_.max_new_tokens(), kEvalBatch));
    record["heldout_accuracy"] = accuracy.accuracy();
  }
  return record;
}

absl::StatusOr<nlohmann::json> SftTrainer::Run() {
  ProgressMeter meter("sft", config_.steps(), step_);
  const int64_t tokens_at_start = tokens_seen_;
  double last_loss = 0;
  std::deque<double> recent_losses;  // the summary's train_loss: single steps are noisy
  nlohmann::json last_eval;
  auto report = [&](const std::vector<std::pair<std::string, double>>& numbers) {
    if (progress_) *progress_ << meter.Line(step_, numbers) << std::endl;
  };
  auto last_report = std::chrono::steady_clock::now();
  while (step_ < config_.steps()) {
    FULCRUM_ASSIGN_OR_RETURN(StepResult result, TorchCall("training step", [&] { return TrainStep(); }));
    last_loss = result.loss;
    recent_losses.push_back(last_loss);
    if (recent_losses.size() > kLossWindow) recent_losses.pop_front();
    const double tokens_per_s = (tokens_seen_ - tokens_at_start) / std::max(1e-9, meter.elapsed_seconds());
    metrics_->Append({{"step", step_}, {"loss", last_loss}, {"tokens_per_s", tokens_per_s},
                      {"lr", result.lr}, {"grad_norm", result.grad_norm}});
    const bool last = step_ == config_.steps();
    if (last || (config_.eval_every() > 0 && step_ % config_.eval_every() == 0)) {
      FULCRUM_ASSIGN_OR_RETURN(last_eval, Evaluate());
      last_eval["kind"] = "eval";
      metrics_->Append(last_eval);
      std::vector<std::pair<std::string, double>> numbers = {{"loss", last_loss}};
      if (last_eval.contains("heldout_loss")) numbers.emplace_back("heldout_loss", last_eval["heldout_loss"]);
      if (last_eval.contains("heldout_accuracy")) numbers.emplace_back("acc", last_eval["heldout_accuracy"]);
      numbers.emplace_back("tok/s", tokens_per_s);
      report(numbers);
      last_report = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(5)) {
      report({{"loss", last_loss}, {"tok/s", tokens_per_s}});
      last_report = std::chrono::steady_clock::now();
    }
    if (last || (config_.checkpoint_every() > 0 && step_ % config_.checkpoint_every() == 0)) {
      FULCRUM_RETURN_IF_ERROR(SaveCheckpoint());
    }
  }
  if (last_eval.is_null()) {
    FULCRUM_ASSIGN_OR_RETURN(last_eval, Evaluate());
  }
  nlohmann::json summary = {{"stage", "sft"},
                            {"steps", step_},
                            {"wall_s", meter.elapsed_seconds()},
                            {"train_loss", Mean(recent_losses)},
                            {"tokens_seen", tokens_seen_},
                            {"heldout_loss", last_eval.value("heldout_loss", nlohmann::json())},
                            {"heldout_accuracy", last_eval.value("heldout_accuracy", nlohmann::json())},
                            {"checkpoint", CheckpointRoot(config_) + "/" + CheckpointDirName(step_)}};
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_.out_dir() + "/summary.json", summary.dump(2) + "\n"));
  return summary;
}

}  // namespace fulcrum
