#include "core/scoring.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace fulcrum {

PaddedBatch RightPad(const std::vector<std::vector<int>>& sequences, int pad_id) {
  size_t longest = 0;
  for (const auto& s : sequences) longest = std::max(longest, s.size());
  const int64_t b = static_cast<int64_t>(sequences.size()), t = static_cast<int64_t>(longest);
  PaddedBatch batch{torch::full({b, t}, pad_id, torch::kInt64), torch::zeros({b, t}, torch::kBool)};
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  auto mask = batch.mask.accessor<bool, 2>();
  for (int64_t i = 0; i < b; ++i) {
    for (size_t j = 0; j < sequences[i].size(); ++j) {
      tokens[i][j] = sequences[i][j];
      mask[i][j] = true;
    }
  }
  return batch;
}

TokenScores ScoreTokens(Gpt& model, const torch::Tensor& tokens, double temperature, bool with_entropy,
                        bool with_values) {
  const int64_t t = tokens.size(1);
  torch::Tensor inputs = tokens.narrow(1, 0, t - 1);
  torch::Tensor positions = torch::arange(t - 1, torch::kInt64).unsqueeze(0).expand({tokens.size(0), t - 1});
  torch::Tensor hidden = model->Forward(inputs, positions, torch::Tensor());
  torch::Tensor logits = model->Logits(hidden);
  if (temperature != 1.0) logits = logits / temperature;
  torch::Tensor log_probs = logits.log_softmax(-1);
  TokenScores scores;
  scores.logprobs = log_probs.gather(-1, tokens.narrow(1, 1, t - 1).unsqueeze(-1)).squeeze(-1);
  if (with_entropy) scores.entropy = -(log_probs.exp() * log_probs).sum(-1);
  if (with_values) scores.values = model->Values(hidden);
  return scores;
}

torch::Tensor SequenceLogProbs(Gpt& model, const torch::Tensor& tokens, double temperature) {
  return ScoreTokens(model, tokens, temperature, /*with_entropy=*/false, /*with_values=*/false).logprobs;
}

absl::StatusOr<std::vector<std::vector<float>>> ScoreCompletions(
    Gpt& model, const std::vector<std::vector<int>>& sequences, const std::vector<int>& prompt_lens,
    double temperature) {
  if (sequences.size() != prompt_lens.size()) {
    return absl::InvalidArgumentError("one prompt length per sequence is required");
  }
  if (sequences.empty()) return std::vector<std::vector<float>>{};
  for (size_t i = 0; i < sequences.size(); ++i) {
    const int64_t len = static_cast<int64_t>(sequences[i].size());
    if (prompt_lens[i] < 1 || prompt_lens[i] > len) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", i, ": prompt length ", prompt_lens[i],
                                                     " outside [1, ", len, "]"));
    }
    if (len > model->config().max_seq_len()) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " has ", len,
                                                     " tokens, max_seq_len is ", model->config().max_seq_len()));
    }
    for (int id : sequences[i]) {
      if (id < 0 || id >= model->config().vocab_size()) {
        return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " has token id ", id,
                                                       " outside the vocabulary"));
      }
    }
  }
  return TorchCall("scoring", [&] {
    torch::NoGradGuard no_grad;
    PaddedBatch batch = RightPad(sequences, 0);
    torch::Tensor lp = batch.tokens.size(1) < 2 ? torch::zeros({batch.tokens.size(0), 0})
                                                : SequenceLogProbs(model, batch.tokens, temperature);
    auto acc = lp.accessor<float, 2>();
    std::vector<std::vector<float>> out(sequences.size());
    for (size_t i = 0; i < sequences.size(); ++i) {
      for (size_t j = prompt_lens[i]; j < sequences[i].size(); ++j) out[i].push_back(acc[i][j - 1]);
    }
    return out;
  });
}

}  // namespace fulcrum
