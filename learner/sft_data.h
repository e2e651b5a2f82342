// Turns prompt/response text into training sequences: [BOS] prompt response [EOS], with the loss
// on the response and EOS only. Shared by SFT training, held-out loss and (later) DPO.
#ifndef FULCRUM_LEARNER_SFT_DATA_H_
#define FULCRUM_LEARNER_SFT_DATA_H_

#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "core/examples.h"
#include "core/gpt.h"
#include "core/tokenizer.h"

namespace fulcrum {

struct TokenizedExample {
  std::vector<int> tokens;  // BOS, prompt, response, EOS
  int prompt_len = 0;       // BOS + prompt
};

// Errors name the source and the example's line-order index.
absl::StatusOr<std::vector<TokenizedExample>> TokenizeSft(const std::vector<SftExample>& examples,
                                                          const Tokenizer& tokenizer, int max_seq_len,
                                                          const std::string& source);

// Mean negative log-likelihood of the response tokens of `batch` (differentiable), and how many
// response tokens it averaged over.
struct ResponseLoss {
  torch::Tensor loss;
  int64_t tokens = 0;
};
ResponseLoss ComputeResponseLoss(Gpt& model, const std::vector<const TokenizedExample*>& batch, int pad_id);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_SFT_DATA_H_
