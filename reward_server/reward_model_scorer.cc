#include "reward_server/reward_model_scorer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/checkpoint.h"
#include "core/model_io.h"
#include "core/scoring.h"
#include "core/status_macros.h"
#include "core/torch_status.h"
#include "reward_server/score_results.h"

namespace fulcrum {

absl::StatusOr<std::unique_ptr<RewardModelScorer>> RewardModelScorer::Create(const Options& options) {
  if (options.checkpoint.empty()) return absl::InvalidArgumentError("checkpoint: required by scorer reward_model");
  if (options.max_forward_batch <= 0) return absl::InvalidArgumentError("max_forward_batch must be positive");
  FULCRUM_ASSIGN_OR_RETURN(std::string dir, ResolveCheckpointDir(options.checkpoint));
  FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(dir));
  if (!loaded.model->config().score_head()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": the model has no score head, so it is not a reward model (train one with --rm_config)"));
  }
  ScoreStats stats;
  if (options.normalize) {
    auto read = ReadScoreStats(dir);
    if (!read.ok()) {
      return absl::Status(read.status().code(), absl::StrCat("--normalize needs the held-out score statistics: ",
                                                             read.status().message()));
    }
    stats = *read;
  }
  loaded.model->eval();
  return std::unique_ptr<RewardModelScorer>(new RewardModelScorer(
      loaded.model, std::move(loaded.tokenizer), options.normalize, stats, options.max_forward_batch));
}

RewardModelScorer::RewardModelScorer(Gpt model, std::unique_ptr<Tokenizer> tokenizer, bool normalize,
                                     ScoreStats stats, int max_forward_batch)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      normalize_(normalize),
      stats_(stats),
      max_forward_batch_(max_forward_batch) {}

absl::StatusOr<std::vector<int>> RewardModelScorer::Sequence(const fulcrum::v1::ScoreItem& item) const {
  auto prompt = EncodePrompt(*tokenizer_, item.prompt());
  if (!prompt.ok()) return absl::InvalidArgumentError(absl::StrCat("prompt: ", prompt.status().message()));
  auto completion = tokenizer_->Encode(item.completion());
  if (!completion.ok()) return absl::InvalidArgumentError(absl::StrCat("completion: ", completion.status().message()));
  std::vector<int> tokens = std::move(*prompt);
  tokens.insert(tokens.end(), completion->begin(), completion->end());
  tokens.push_back(tokenizer_->eos_id());
  const int max_len = model_->config().max_seq_len();
  if (static_cast<int>(tokens.size()) > max_len) {
    return absl::InvalidArgumentError(absl::StrCat("prompt and completion are ", tokens.size(),
                                                   " tokens with BOS and EOS; the reward model takes at most ",
                                                   max_len));
  }
  return tokens;
}

std::vector<fulcrum::v1::ScoreResult> RewardModelScorer::ScoreBatch(const ScoreItems& items,
                                                                    absl::Time deadline) const {
  std::vector<fulcrum::v1::ScoreResult> results(items.size());
  std::vector<int> pending;  // items that tokenized, in order
  std::vector<std::vector<int>> sequences;
  for (int i = 0; i < items.size(); ++i) {
    auto sequence = Sequence(items[i]);
    if (!sequence.ok()) {
      results[i] = MissingResult(std::string(sequence.status().message()));
      continue;
    }
    pending.push_back(i);
    sequences.push_back(std::move(*sequence));
  }
  for (size_t begin = 0; begin < pending.size(); begin += max_forward_batch_) {
    const size_t end = std::min(pending.size(), begin + max_forward_batch_);
    if (absl::Now() >= deadline) {
      for (size_t j = begin; j < end; ++j) results[pending[j]] = MissingResult("deadline exceeded");
      continue;
    }
    const std::vector<std::vector<int>> chunk(sequences.begin() + begin, sequences.begin() + end);
    auto scores = TorchCall("reward model forward pass", [&] {
      torch::NoGradGuard no_grad;
      PaddedBatch batch = RightPad(chunk, tokenizer_->pad_id());
      torch::Tensor last = batch.mask.sum(1) - 1;
      torch::Tensor out = LastTokenScores(model_, batch.tokens, last).to(torch::kFloat64).contiguous();
      return std::vector<double>(out.data_ptr<double>(), out.data_ptr<double>() + out.numel());
    });
    for (size_t j = begin; j < end; ++j) {
      fulcrum::v1::ScoreResult& result = results[pending[j]];
      if (!scores.ok()) {
        result = MissingResult(std::string(scores.status().message()));
        continue;
      }
      const double score = (*scores)[j - begin];
      result.set_reward(normalize_ ? (score - stats_.mean) / stats_.std : score);
      (*result.mutable_components())["score"] = score;
      result = RejectNonFinite(std::move(result));
    }
  }
  return results;
}

}  // namespace fulcrum
