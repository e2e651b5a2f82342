// Token sampling from next-token logits: greedy, temperature, top-k and top-p (nucleus). Pure
// tensor functions so they can be tested without a model.
#ifndef FULCRUM_CORE_SAMPLING_H_
#define FULCRUM_CORE_SAMPLING_H_

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace fulcrum {

struct SamplingParams {
  bool greedy = false;
  double temperature = 1.0;
  int top_k = 0;         // 0 keeps every token.
  double top_p = 1.0;    // 1 keeps every token.
  int max_new_tokens = 64;
  std::vector<int> stop_tokens;
  uint64_t seed = 0;
  bool use_kv_cache = true;  // false recomputes the whole prefix each step (for benchmarks).
};

struct SampledTokens {
  torch::Tensor tokens;    // [N] int64
  torch::Tensor logprobs;  // [N] float: log-softmax(logits / temperature) at `tokens`
};

// Sets logits outside the top k, and outside the smallest set whose probability reaches top_p,
// to -inf. logits: [N, V].
torch::Tensor FilterLogits(torch::Tensor logits, int top_k, double top_p);

// Picks one token per row. Log-probs are of the temperature-scaled distribution before filtering:
// the distribution the learner recomputes. Greedy reports temperature-1 log-probs.
SampledTokens SampleTokens(const torch::Tensor& logits, const SamplingParams& params,
                           at::Generator& generator);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_SAMPLING_H_
