#include "core/sampling.h"

#include <limits>

namespace fulcrum {

torch::Tensor FilterLogits(torch::Tensor logits, int top_k, double top_p) {
  const int64_t vocab = logits.size(-1);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  if (top_k > 0 && top_k < vocab) {
    torch::Tensor kth = std::get<0>(logits.topk(top_k, -1)).narrow(-1, top_k - 1, 1);
    logits = logits.masked_fill(logits < kth, neg_inf);
  }
  if (top_p < 1.0) {
    auto [sorted, order] = logits.sort(-1, /*descending=*/true);
    torch::Tensor cumulative = sorted.softmax(-1).cumsum(-1);
    // A token is dropped when the tokens ranked above it already reach top_p; the first always stays.
    torch::Tensor drop_sorted = (cumulative - sorted.softmax(-1)) >= top_p;
    torch::Tensor drop = torch::zeros_like(drop_sorted).scatter(-1, order, drop_sorted);
    logits = logits.masked_fill(drop, neg_inf);
  }
  return logits;
}

SampledTokens SampleTokens(const torch::Tensor& logits, const SamplingParams& params,
                           at::Generator& generator) {
  torch::Tensor x = logits.to(torch::kFloat32);
  if (params.greedy) {
    torch::Tensor tokens = x.argmax(-1);
    return {tokens, x.log_softmax(-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)};
  }
  torch::Tensor scaled = x / params.temperature;
  torch::Tensor filtered = FilterLogits(scaled, params.top_k, params.top_p);
  torch::Tensor tokens = torch::multinomial(filtered.softmax(-1), 1, false, generator).squeeze(-1);
  return {tokens, scaled.log_softmax(-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)};
}

}  // namespace fulcrum
