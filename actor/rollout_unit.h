// A leased work unit after generation, on its way through scoring and reference log-probs to
// SubmitRollouts, and the pure steps that fill it in: how a unit maps to sampling parameters and
// seeds, which items go to the reward and reference servers, and where their answers land. No
// threads, no RPCs, so every rule here is tested directly.
#ifndef FULCRUM_ACTOR_ROLLOUT_UNIT_H_
#define FULCRUM_ACTOR_ROLLOUT_UNIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "core/sampling.h"
#include "fulcrum/v1/learner.pb.h"
#include "fulcrum/v1/reference.pb.h"
#include "fulcrum/v1/reward.pb.h"

namespace fulcrum {

struct RolloutUnit {
  v1::WorkUnit unit;
  // Prompt-major: prompt 0's samples, then prompt 1's, ... (SamplesPerPrompt each).
  std::vector<v1::Sample> samples;
};

// group_size for a TRAIN unit, 1 for an EVAL unit. INVALID_ARGUMENT naming the unit when it has
// no prompts, no kind, or a TRAIN group_size below 1.
absl::StatusOr<int> SamplesPerPrompt(const v1::WorkUnit& unit);

// How to decode a unit: a TRAIN unit samples with its temperature / top-k / top-p (0 temperature
// or top_p mean 1, as in the run config), an EVAL unit decodes greedily; both stop at `eos_id`
// and after max_new_tokens. The seed is left 0 (see GenerationSeed).
absl::StatusOr<SamplingParams> SamplingParamsFor(const v1::WorkUnit& unit, int eos_id);

// The same for any sampling config (greedy when sampling.greedy()); errors begin with `name`.
absl::StatusOr<SamplingParams> SamplingParamsFrom(const v1::SamplingConfig& sampling, int eos_id,
                                                  const std::string& name);

// The seed of one generation batch of a unit: a fixed function of the actor's seed, the work_id
// and the batch index, so the same unit generated again with the same policy samples the same
// tokens, and different units sample independently.
uint64_t GenerationSeed(uint64_t actor_seed, const std::string& work_id, int batch);

// One Score item per sample, in sample order: the prompt's text, ground truth and metadata and the
// completion's text.
std::vector<v1::ScoreItem> ScoreItemsFor(const RolloutUnit& rollouts);

// Copies result i into sample i's reward (missing, value, components, reason); returns how many
// are missing. `results` has one entry per sample.
int SetRewards(const std::vector<v1::ScoreResult>& results, RolloutUnit& rollouts);

// Marks every sample's reward missing with `reason` (masked by the learner, never a 0).
void MarkRewardsMissing(RolloutUnit& rollouts, const std::string& reason);

// One reference sequence per sample: prompt_tokens + completion_tokens, prompt_len = the prompt's.
std::vector<v1::Sequence> ReferenceSequences(const RolloutUnit& rollouts);

// Sets sample i's reference_logprobs to logprobs[i]; one tensor per sample.
void SetReferenceLogProbs(const std::vector<torch::Tensor>& logprobs, RolloutUnit& rollouts);

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_ROLLOUT_UNIT_H_
