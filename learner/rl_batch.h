// One RL update's samples as tensors: the prompt groups an update takes from the RolloutCoordinator,
// right-padded into [N, T] token rows (group-major: the G samples of group 0, then group 1, ...),
// with every per-token quantity aligned to SequenceLogProbs: column t is the log-prob of token t+1.
#ifndef FULCRUM_LEARNER_RL_BATCH_H_
#define FULCRUM_LEARNER_RL_BATCH_H_

#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "learner/rollout_coordinator.h"

namespace fulcrum {

struct RlBatch {
  int64_t num_groups = 0;
  int64_t group_size = 0;
  torch::Tensor tokens;              // [N, T] int64, prompt then completion, right-padded
  torch::Tensor completion_mask;     // [N, T-1] float: 1 where the column predicts a completion token
  torch::Tensor last_token;          // [N, T-1] float: 1 at the column of each completion's last token
  torch::Tensor behaviour_logprobs;  // [N, T-1] float, 0 outside the completion
  torch::Tensor reference_logprobs;  // [N, T-1] float, or undefined when no sample carries them
  torch::Tensor rewards;             // [N] float, 0 where missing
  torch::Tensor reward_present;      // [N] bool
  torch::Tensor policy_versions;     // [N] int64, the version that generated each sample
  int64_t completion_tokens = 0;     // Sum of completion lengths.
};

// Every group must hold the same number of samples. Errors (INVALID_ARGUMENT) name the group and
// sample: a sequence longer than max_seq_len, a malformed log-prob tensor.
absl::StatusOr<RlBatch> MakeRlBatch(const std::vector<RolloutGroup>& groups, int pad_id, int max_seq_len);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_RL_BATCH_H_
