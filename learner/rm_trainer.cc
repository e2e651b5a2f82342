#include "learner/rm_trainer.h"

#include <chrono>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/examples.h"
#include "core/file_util.h"
#include "core/model_io.h"
#include "core/progress.h"
#include "core/reward_model.h"
#include "core/status_macros.h"
#include "core/torch_status.h"
#include "learner/lr_schedule.h"
#include "learner/training_state.h"

namespace fulcrum {
namespace {

constexpr int kEvalPairs = 256;
constexpr size_t kLossWindow = 50;

// Null for a run resumed after its last step, which trains nothing.
nlohmann::json Mean(const std::deque<double>& values) {
  if (values.empty()) return nullptr;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / values.size();
}

absl::Status ValidateConfig(const v1::RmConfig& c) {
  auto missing = [](const char* key) { return absl::InvalidArgumentError(absl::StrCat("rm.", key, " is required")); };
  if (c.init_from().empty()) return missing("init_from (the checkpoint whose trunk starts the reward model)");
  if (c.train_path().empty()) return missing("train_path");
  if (c.heldout_path().empty()) return missing("heldout_path (held-out accuracy and score statistics)");
  if (c.out_dir().empty()) return missing("out_dir");
  if (c.steps() <= 0) return missing("steps (a positive number)");
  if (c.batch_size() <= 0) return missing("batch_size (a positive number)");
  if (c.optimizer().lr() <= 0) return missing("optimizer.lr (a positive number)");
  if (c.eval_every() < 0 || c.checkpoint_every() < 0 || c.eval_examples() < 0 || c.keep_checkpoints() < 0) {
    return absl::InvalidArgumentError("rm: eval_every, eval_examples, checkpoint_every and keep_checkpoints must be >= 0");
  }
  return absl::OkStatus();
}

std::string CheckpointRoot(const v1::RmConfig& c) { return c.out_dir() + "/checkpoints"; }

// `model`'s trunk under a score head: the head is freshly initialized unless `model` has one; a
// value head is dropped, since a reward model never uses it.
absl::StatusOr<Gpt> WithScoreHead(const Gpt& model) {
  v1::ModelConfig config = model->config();
  config.set_score_head(true);
  config.set_value_head(false);
  return RebuildWithConfig(model, config, "building the reward model");
}

// Scores of one batch, split into the chosen and the rejected half.
struct PairScores {
  torch::Tensor chosen, rejected;
};
PairScores ScorePairs(Gpt& model, const PairBatch& batch) {
  torch::Tensor scores = LastTokenScores(model, batch.tokens, batch.last_index);
  return {scores.narrow(0, 0, batch.pairs), scores.narrow(0, batch.pairs, batch.pairs)};
}

// -log sigmoid(chosen - rejected), written as softplus(rejected - chosen) for stability.
torch::Tensor BradleyTerryLoss(const PairScores& scores) {
  return torch::softplus(scores.rejected - scores.chosen).mean();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RmTrainer>> RmTrainer::Create(const v1::RmConfig& config, std::ostream* progress) {
  FULCRUM_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<RmTrainer> t(new RmTrainer());
  t->config_ = config;
  t->progress_ = progress;

  auto latest = LatestCheckpoint(CheckpointRoot(config));
  if (!latest.ok() && latest.status().code() != absl::StatusCode::kNotFound) return latest.status();
  if (latest.ok()) {
    FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(*latest));
    if (!loaded.model->config().score_head()) {
      return absl::DataLossError(absl::StrCat(*latest, ": the checkpoint to resume from has no score head"));
    }
    t->model_ = loaded.model;
    t->tokenizer_ = std::move(loaded.tokenizer);
  } else {
    FULCRUM_ASSIGN_OR_RETURN(std::string init_dir, ResolveCheckpointDir(config.init_from()));
    FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(init_dir));
    FULCRUM_ASSIGN_OR_RETURN(t->model_, WithScoreHead(loaded.model));
    t->tokenizer_ = std::move(loaded.tokenizer);
  }
  const int max_len = t->model_->config().max_seq_len();

  FULCRUM_ASSIGN_OR_RETURN(auto train, ReadPreferenceExamples(config.train_path()));
  FULCRUM_ASSIGN_OR_RETURN(t->train_, TokenizePreferences(train, *t->tokenizer_, max_len, config.train_path()));
  FULCRUM_ASSIGN_OR_RETURN(auto heldout, ReadPreferenceExamples(config.heldout_path()));
  KeepFirst(heldout, config.eval_examples());
  FULCRUM_ASSIGN_OR_RETURN(t->heldout_, TokenizePreferences(heldout, *t->tokenizer_, max_len, config.heldout_path()));
  t->cursor_ = std::make_unique<DataCursor>(t->train_.size(), config.seed());
  t->optimizer_ = std::make_unique<Optimizer>(t->model_->NamedWeights(), config.optimizer());

  if (latest.ok()) {
    FULCRUM_RETURN_IF_ERROR(t->Resume(*latest));
  }
  FULCRUM_ASSIGN_OR_RETURN(t->metrics_, OpenStageOutput(config.out_dir(), t->step_));
  return t;
}

absl::Status RmTrainer::Resume(const std::string& dir) {
  FULCRUM_ASSIGN_OR_RETURN(nlohmann::json state, RestoreTrainingState(dir, *cursor_, *optimizer_));
  step_ = state["step"].get<int64_t>();
  accuracy_before_ = state.value("heldout_pairwise_accuracy_before", nlohmann::json());
  if (progress_) *progress_ << "rm: resuming from " << dir << " at step " << step_ << std::endl;
  return absl::OkStatus();
}

absl::Status RmTrainer::SaveCheckpoint(const nlohmann::json& eval) {
  ScoreStats stats{eval["heldout_score_mean"].get<double>(), eval["heldout_score_std"].get<double>(),
                   eval["heldout_scores"].get<int64_t>()};
  return SaveTrainingCheckpoint(CheckpointRoot(config_), step_, model_, *tokenizer_, *optimizer_, *cursor_,
                                {{"heldout_pairwise_accuracy_before", accuracy_before_}}, config_.keep_checkpoints(),
                                {{kScoreStatsFile, ScoreStatsJson(stats)}});
}

RmTrainer::StepResult RmTrainer::TrainStep() {
  model_->train();
  optimizer_->ZeroGrad();
  std::vector<const TokenizedPair*> pairs;
  for (int i = 0; i < config_.batch_size(); ++i) pairs.push_back(&train_[cursor_->Next()]);
  PairScores scores = ScorePairs(model_, MakePairBatch(pairs, tokenizer_->pad_id()));
  torch::Tensor loss = BradleyTerryLoss(scores);
  loss.backward();
  const double lr = LearningRate(config_.optimizer(), static_cast<int>(step_), config_.steps());
  const double grad_norm = optimizer_->Step(lr);
  ++step_;
  torch::Tensor margin = (scores.chosen - scores.rejected).detach();
  return {loss.item<double>(), (margin > 0).to(torch::kFloat64).mean().item<double>(),
          margin.mean().item<double>(), lr, grad_norm};
}

nlohmann::json RmTrainer::Evaluate() {
  model_->eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> chosen, rejected;
  for (size_t begin = 0; begin < heldout_.size(); begin += kEvalPairs) {
    std::vector<const TokenizedPair*> pairs;
    for (size_t i = begin; i < std::min(heldout_.size(), begin + kEvalPairs); ++i) pairs.push_back(&heldout_[i]);
    PairScores scores = ScorePairs(model_, MakePairBatch(pairs, tokenizer_->pad_id()));
    chosen.push_back(scores.chosen);
    rejected.push_back(scores.rejected);
  }
  PairScores all{torch::cat(chosen), torch::cat(rejected)};
  torch::Tensor margin = (all.chosen - all.rejected).to(torch::kFloat64);
  const ScoreStats stats = ComputeScoreStats(torch::cat({all.chosen, all.rejected}));
  return {{"step", step_},
          {"kind", "eval"},
          {"heldout_pairwise_accuracy", (margin > 0).to(torch::kFloat64).mean().item<double>()},
          {"heldout_loss", torch::softplus(-margin).mean().item<double>()},
          {"heldout_margin", margin.mean().item<double>()},
          {"heldout_score_mean", stats.mean},
          {"heldout_score_std", stats.std},
          {"heldout_scores", stats.count}};
}

absl::StatusOr<nlohmann::json> RmTrainer::Run() {
  ProgressMeter meter("rm", config_.steps(), step_);
  std::deque<double> recent_losses, recent_accuracies;  // the summary's train numbers: single steps are noisy
  nlohmann::json last_eval;
  auto evaluate = [&]() -> absl::Status {
    FULCRUM_ASSIGN_OR_RETURN(last_eval, TorchCall("held-out evaluation", [&] { return Evaluate(); }));
    metrics_->Append(last_eval);
    return absl::OkStatus();
  };
  auto report = [&](const std::vector<std::pair<std::string, double>>& numbers) {
    if (progress_) *progress_ << meter.Line(step_, numbers) << std::endl;
  };
  if (step_ == 0) {
    FULCRUM_RETURN_IF_ERROR(evaluate());
    accuracy_before_ = last_eval["heldout_pairwise_accuracy"];
    report({{"heldout_loss", last_eval["heldout_loss"]}, {"acc", last_eval["heldout_pairwise_accuracy"]}});
  }
  auto last_report = std::chrono::steady_clock::now();
  while (step_ < config_.steps()) {
    FULCRUM_ASSIGN_OR_RETURN(StepResult result, TorchCall("training step", [&] { return TrainStep(); }));
    recent_losses.push_back(result.loss);
    recent_accuracies.push_back(result.accuracy);
    if (recent_losses.size() > kLossWindow) recent_losses.pop_front(), recent_accuracies.pop_front();
    metrics_->Append({{"step", step_}, {"loss", result.loss}, {"accuracy", result.accuracy},
                      {"margin", result.margin}, {"lr", result.lr}, {"grad_norm", result.grad_norm}});
    const bool last = step_ == config_.steps();
    if (last || (config_.eval_every() > 0 && step_ % config_.eval_every() == 0)) {
      FULCRUM_RETURN_IF_ERROR(evaluate());
      report({{"loss", result.loss},
              {"heldout_loss", last_eval["heldout_loss"]},
              {"acc", last_eval["heldout_pairwise_accuracy"]},
              {"margin", last_eval["heldout_margin"]}});
      last_report = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(5)) {
      report({{"loss", result.loss}, {"batch_acc", result.accuracy}});
      last_report = std::chrono::steady_clock::now();
    }
    if (last || (config_.checkpoint_every() > 0 && step_ % config_.checkpoint_every() == 0)) {
      // Every checkpoint carries the held-out score statistics of its own weights.
      if (last_eval.is_null() || last_eval["step"] != step_) {
        FULCRUM_RETURN_IF_ERROR(evaluate());
      }
      FULCRUM_RETURN_IF_ERROR(SaveCheckpoint(last_eval));
    }
  }
  if (last_eval.is_null()) {
    FULCRUM_RETURN_IF_ERROR(evaluate());
  }
  nlohmann::json summary = {{"stage", "rm"},
                            {"steps", step_},
                            {"wall_s", meter.elapsed_seconds()},
                            {"train_loss", Mean(recent_losses)},
                            {"train_accuracy", Mean(recent_accuracies)},
                            {"heldout_loss", last_eval["heldout_loss"]},
                            {"heldout_pairwise_accuracy", last_eval["heldout_pairwise_accuracy"]},
                            {"heldout_pairwise_accuracy_before", accuracy_before_},
                            {"heldout_margin", last_eval["heldout_margin"]},
                            {"heldout_score_mean", last_eval["heldout_score_mean"]},
                            {"heldout_score_std", last_eval["heldout_score_std"]},
                            {"checkpoint", CheckpointRoot(config_) + "/" + CheckpointDirName(step_)}};
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_.out_dir() + "/summary.json", summary.dump(2) + "\n"));
  return summary;
}

}  // namespace fulcrum
