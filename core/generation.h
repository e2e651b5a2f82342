// Batched autoregressive generation: one prefill of the left-padded prompts, then one decode step
// per new token against a KV cache. Rows whose sequences finished are dropped from the batch so
// they stop costing compute. Used by rollout actors and evaluation.
#ifndef FULCRUM_CORE_GENERATION_H_
#define FULCRUM_CORE_GENERATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/gpt.h"
#include "core/sampling.h"

namespace fulcrum {

enum class FinishReason { kStop, kLength };

struct Completion {
  std::vector<int> tokens;      // sampled ids, the stop token included when one ended the row
  std::vector<float> logprobs;  // one per token, see SampleTokens
  FinishReason finish_reason = FinishReason::kLength;
};

// Generates one completion per prompt (prompts may differ in length; none may be empty).
absl::StatusOr<std::vector<Completion>> Generate(Gpt& model, const std::vector<std::vector<int>>& prompts,
                                                 const SamplingParams& params);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_GENERATION_H_
