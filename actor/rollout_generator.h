// Turns a leased work unit into samples with the held policy: every prompt encoded as BOS + text,
// replicated SamplesPerPrompt times (prompt-major), decoded by batched KV-cache generation in
// batches of at most max_batch_sequences, each batch seeded by GenerationSeed. Rewards and
// reference log-probs are filled in later (rollout_unit.h). Called by RolloutActor's generation
// thread.
#ifndef FULCRUM_ACTOR_ROLLOUT_GENERATOR_H_
#define FULCRUM_ACTOR_ROLLOUT_GENERATOR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "actor/policy_sync.h"
#include "actor/rollout_unit.h"
#include "fulcrum/v1/learner.pb.h"

namespace fulcrum {

struct GenerationOptions {
  uint64_t seed = 0;
  int max_batch_sequences = 512;
};

// Each sample gets prompt_index, prompt_tokens, completion_tokens (with EOS when it stopped),
// behaviour_logprobs, policy_version, finished and completion_text (decoded without EOS).
// INVALID_ARGUMENT naming the unit for a malformed unit or a prompt the tokenizer cannot encode;
// generation errors (e.g. prompt + max_new_tokens beyond max_seq_len) name the unit too.
absl::StatusOr<RolloutUnit> GenerateRollouts(Policy& policy, const v1::WorkUnit& unit,
                                             const GenerationOptions& options);

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_ROLLOUT_GENERATOR_H_
