#include "learner/rl_batch.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor_proto.h"

namespace fulcrum {

absl::StatusOr<RlBatch> MakeRlBatch(const std::vector<RolloutGroup>& groups, int pad_id, int max_seq_len) {
  if (groups.empty()) return absl::InvalidArgumentError("an RL batch needs at least one group");
  RlBatch batch;
  batch.num_groups = static_cast<int64_t>(groups.size());
  batch.group_size = static_cast<int64_t>(groups[0].samples.size());
  int64_t longest = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (static_cast<int64_t>(groups[g].samples.size()) != batch.group_size || batch.group_size == 0) {
      return absl::InvalidArgumentError(absl::StrCat("group ", g, " has ", groups[g].samples.size(),
                                                     " samples, group 0 has ", batch.group_size));
    }
    for (const v1::Sample& s : groups[g].samples) {
      longest = std::max<int64_t>(longest, s.prompt_tokens_size() + s.completion_tokens_size());
    }
  }
  if (longest > max_seq_len) {
    return absl::InvalidArgumentError(absl::StrCat("a sample has ", longest, " tokens, the model takes ", max_seq_len));
  }
  const int64_t n = batch.num_groups * batch.group_size;
  const int64_t t = std::max<int64_t>(longest, 2);
  batch.tokens = torch::full({n, t}, pad_id, torch::kInt64);
  batch.completion_mask = torch::zeros({n, t - 1});
  batch.last_token = torch::zeros({n, t - 1});
  batch.behaviour_logprobs = torch::zeros({n, t - 1});
  torch::Tensor reference = torch::zeros({n, t - 1});
  bool any_reference = false;
  batch.rewards = torch::zeros({n});
  batch.reward_present = torch::zeros({n}, torch::kBool);
  batch.policy_versions = torch::zeros({n}, torch::kInt64);

  auto tokens = batch.tokens.accessor<int64_t, 2>();
  int64_t row = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i = 0; i < groups[g].samples.size(); ++i, ++row) {
      const v1::Sample& s = groups[g].samples[i];
      const int64_t prompt_len = s.prompt_tokens_size(), len = s.completion_tokens_size();
      for (int64_t j = 0; j < prompt_len; ++j) tokens[row][j] = s.prompt_tokens(j);
      for (int64_t j = 0; j < len; ++j) tokens[row][prompt_len + j] = s.completion_tokens(j);
      batch.completion_tokens += len;
      if (len == 0) continue;
      // Column c predicts token c + 1: completion token j sits at prompt_len + j.
      auto columns = torch::indexing::Slice(prompt_len - 1, prompt_len - 1 + len);
      auto fail = [&](const absl::Status& status) {
        return absl::InvalidArgumentError(absl::StrCat("group ", g, " sample ", i, ": ", status.message()));
      };
      absl::StatusOr<torch::Tensor> behaviour = TensorFromProto(s.behaviour_logprobs());
      if (!behaviour.ok()) return fail(behaviour.status());
      if (behaviour->numel() != len) return fail(absl::InvalidArgumentError("behaviour_logprobs length"));
      batch.behaviour_logprobs.index_put_({row, columns}, behaviour->to(torch::kFloat32));
      if (s.reference_logprobs().shape_size() > 0) {
        absl::StatusOr<torch::Tensor> ref = TensorFromProto(s.reference_logprobs());
        if (!ref.ok()) return fail(ref.status());
        if (ref->numel() != len) return fail(absl::InvalidArgumentError("reference_logprobs length"));
        reference.index_put_({row, columns}, ref->to(torch::kFloat32));
        any_reference = true;
      }
      batch.completion_mask.index_put_({row, columns}, 1.0f);
      batch.last_token.index_put_({row, prompt_len - 2 + len}, 1.0f);
      const bool present = !s.reward().missing() && std::isfinite(s.reward().value());
      batch.reward_present[row] = present;
      batch.rewards[row] = present ? s.reward().value() : 0.0;
      batch.policy_versions[row] = s.policy_version();
    }
  }
  if (any_reference) batch.reference_logprobs = reference;
  return batch;
}

}  // namespace fulcrum
