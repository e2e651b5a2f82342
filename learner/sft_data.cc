#include "learner/sft_data.h"

#include "absl/strings/str_cat.h"
#include "core/scoring.h"

namespace fulcrum {

absl::StatusOr<std::vector<TokenizedExample>> TokenizeSft(const std::vector<SftExample>& examples,
                                                          const Tokenizer& tokenizer, int max_seq_len,
                                                          const std::string& source) {
  std::vector<TokenizedExample> out;
  out.reserve(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    auto context = [&](absl::string_view what) {
      return absl::StrCat(source, ": example ", i + 1, ": ", what);
    };
    auto prompt = EncodePrompt(tokenizer, examples[i].prompt);
    if (!prompt.ok()) return absl::InvalidArgumentError(context(prompt.status().message()));
    auto response = tokenizer.Encode(examples[i].response);
    if (!response.ok()) return absl::InvalidArgumentError(context(response.status().message()));
    TokenizedExample example{std::move(*prompt), 0};
    example.prompt_len = static_cast<int>(example.tokens.size());
    example.tokens.insert(example.tokens.end(), response->begin(), response->end());
    example.tokens.push_back(tokenizer.eos_id());
    if (static_cast<int>(example.tokens.size()) > max_seq_len) {
      return absl::InvalidArgumentError(context(absl::StrCat(example.tokens.size(),
                                                             " tokens exceed model.max_seq_len ", max_seq_len)));
    }
    out.push_back(std::move(example));
  }
  return out;
}

ResponseLoss ComputeResponseLoss(Gpt& model, const std::vector<const TokenizedExample*>& batch, int pad_id) {
  std::vector<std::vector<int>> sequences;
  for (const auto* example : batch) sequences.push_back(example->tokens);
  PaddedBatch padded = RightPad(sequences, pad_id);
  // Target t+1 counts when it is a response token (index >= prompt_len) and not padding.
  torch::Tensor mask = padded.mask.narrow(1, 1, padded.mask.size(1) - 1).clone();
  auto m = mask.accessor<bool, 2>();
  for (size_t i = 0; i < batch.size(); ++i) {
    for (int t = 0; t + 1 < batch[i]->prompt_len; ++t) m[i][t] = false;
  }
  torch::Tensor logprobs = SequenceLogProbs(model, padded.tokens);
  const int64_t count = mask.sum().item<int64_t>();
  torch::Tensor weights = mask.to(torch::kFloat32);
  return {-(logprobs * weights).sum() / std::max<int64_t>(count, 1), count};
}

}  // namespace fulcrum
