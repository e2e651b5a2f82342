#include "actor/rollout_generator.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/generation.h"
#include "core/status_macros.h"
#include "core/tensor_proto.h"

namespace fulcrum {

absl::StatusOr<RolloutUnit> GenerateRollouts(Policy& policy, const v1::WorkUnit& unit,
                                             const GenerationOptions& options) {
  const Tokenizer& tokenizer = *policy.tokenizer;
  FULCRUM_ASSIGN_OR_RETURN(const int per_prompt, SamplesPerPrompt(unit));
  FULCRUM_ASSIGN_OR_RETURN(SamplingParams params, SamplingParamsFor(unit, tokenizer.eos_id()));
  const std::string name = absl::StrCat("work unit '", unit.work_id(), "'");

  std::vector<std::vector<int>> prompts;
  prompts.reserve(unit.prompts_size());
  for (int i = 0; i < unit.prompts_size(); ++i) {
    absl::StatusOr<std::vector<int>> encoded = EncodePrompt(tokenizer, unit.prompts(i).prompt());
    if (!encoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": prompt ", i, ": ", encoded.status().message()));
    }
    prompts.push_back(*std::move(encoded));
  }

  RolloutUnit out;
  out.unit = unit;
  const int total = unit.prompts_size() * per_prompt;
  const int batch_size = std::max(1, options.max_batch_sequences);
  out.samples.reserve(total);
  for (int begin = 0, batch = 0; begin < total; begin += batch_size, ++batch) {
    const int end = std::min(total, begin + batch_size);
    std::vector<std::vector<int>> batch_prompts;
    batch_prompts.reserve(end - begin);
    for (int s = begin; s < end; ++s) batch_prompts.push_back(prompts[s / per_prompt]);
    params.seed = GenerationSeed(options.seed, unit.work_id(), batch);
    absl::StatusOr<std::vector<Completion>> completions = Generate(policy.model, batch_prompts, params);
    if (!completions.ok()) {
      return absl::Status(completions.status().code(),
                          absl::StrCat(name, ": ", completions.status().message()));
    }
    for (int s = begin; s < end; ++s) {
      Completion& completion = (*completions)[s - begin];
      const std::vector<int>& prompt = prompts[s / per_prompt];
      v1::Sample& sample = out.samples.emplace_back();
      sample.set_prompt_index(s / per_prompt);
      sample.mutable_prompt_tokens()->Add(prompt.begin(), prompt.end());
      sample.mutable_completion_tokens()->Add(completion.tokens.begin(), completion.tokens.end());
      *sample.mutable_behaviour_logprobs() = TensorToProto(torch::from_blob(
          completion.logprobs.data(), {static_cast<int64_t>(completion.logprobs.size())}, torch::kFloat32));
      sample.set_policy_version(policy.version);
      sample.set_finished(completion.finish_reason == FinishReason::kStop);
      sample.set_completion_text(tokenizer.Decode(completion.tokens));
    }
  }
  return out;
}

}  // namespace fulcrum
