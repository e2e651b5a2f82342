#include "actor/rollout_unit.h"

#include "absl/strings/str_cat.h"
#include "core/tensor_proto.h"

namespace fulcrum {
namespace {

// SplitMix64's finalizer: spreads every input bit over the whole output.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

absl::StatusOr<int> SamplesPerPrompt(const v1::WorkUnit& unit) {
  const std::string name = absl::StrCat("work unit '", unit.work_id(), "'");
  if (unit.prompts_size() == 0) return absl::InvalidArgumentError(absl::StrCat(name, " has no prompts"));
  switch (unit.kind()) {
    case v1::WorkUnit::TRAIN:
      if (unit.group_size() < 1) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": group_size ", unit.group_size(), " is below 1"));
      }
      return unit.group_size();
    case v1::WorkUnit::EVAL:
      return 1;
    default:
      return absl::InvalidArgumentError(absl::StrCat(name, " has no kind (TRAIN or EVAL)"));
  }
}

absl::StatusOr<SamplingParams> SamplingParamsFor(const v1::WorkUnit& unit, int eos_id) {
  v1::SamplingConfig sampling = unit.sampling();
  if (unit.kind() == v1::WorkUnit::EVAL) sampling.set_greedy(true);
  return SamplingParamsFrom(sampling, eos_id, absl::StrCat("work unit '", unit.work_id(), "'"));
}

absl::StatusOr<SamplingParams> SamplingParamsFrom(const v1::SamplingConfig& sampling, int eos_id,
                                                  const std::string& name) {
  if (sampling.max_new_tokens() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": max_new_tokens ", sampling.max_new_tokens(),
                                                   " is not positive"));
  }
  SamplingParams params;
  params.max_new_tokens = sampling.max_new_tokens();
  params.stop_tokens = {eos_id};
  if (sampling.greedy()) {
    params.greedy = true;
    return params;
  }
  if (sampling.temperature() < 0 || sampling.top_p() < 0 || sampling.top_p() > 1 || sampling.top_k() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": bad sampling (temperature ", sampling.temperature(),
                                                   ", top_k ", sampling.top_k(), ", top_p ", sampling.top_p(), ")"));
  }
  params.temperature = sampling.temperature() == 0 ? 1.0 : sampling.temperature();
  params.top_p = sampling.top_p() == 0 ? 1.0 : sampling.top_p();
  params.top_k = sampling.top_k();
  return params;
}

uint64_t GenerationSeed(uint64_t actor_seed, const std::string& work_id, int batch) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a: stable across processes, unlike std::hash.
  for (unsigned char c : work_id) hash = (hash ^ c) * 0x100000001b3ULL;
  return Mix(Mix(Mix(actor_seed) ^ hash) ^ static_cast<uint64_t>(batch));
}

std::vector<v1::ScoreItem> ScoreItemsFor(const RolloutUnit& rollouts) {
  std::vector<v1::ScoreItem> items;
  items.reserve(rollouts.samples.size());
  for (const v1::Sample& sample : rollouts.samples) {
    const v1::PromptItem& prompt = rollouts.unit.prompts(sample.prompt_index());
    v1::ScoreItem& item = items.emplace_back();
    item.set_prompt(prompt.prompt());
    item.set_completion(sample.completion_text());
    item.set_ground_truth(prompt.ground_truth());
    *item.mutable_metadata() = prompt.metadata();
  }
  return items;
}

int SetRewards(const std::vector<v1::ScoreResult>& results, RolloutUnit& rollouts) {
  int missing = 0;
  for (size_t i = 0; i < rollouts.samples.size(); ++i) {
    const v1::ScoreResult& result = results[i];
    v1::SampleReward* reward = rollouts.samples[i].mutable_reward();
    reward->Clear();
    reward->set_missing(result.missing());
    reward->set_reason(result.reason());
    if (result.missing()) {
      ++missing;
      continue;
    }
    reward->set_value(result.reward());
    *reward->mutable_components() = result.components();
  }
  return missing;
}

void MarkRewardsMissing(RolloutUnit& rollouts, const std::string& reason) {
  for (v1::Sample& sample : rollouts.samples) {
    sample.mutable_reward()->Clear();
    sample.mutable_reward()->set_missing(true);
    sample.mutable_reward()->set_reason(reason);
  }
}

std::vector<v1::Sequence> ReferenceSequences(const RolloutUnit& rollouts) {
  std::vector<v1::Sequence> sequences;
  sequences.reserve(rollouts.samples.size());
  for (const v1::Sample& sample : rollouts.samples) {
    v1::Sequence& sequence = sequences.emplace_back();
    sequence.mutable_tokens()->Reserve(sample.prompt_tokens_size() + sample.completion_tokens_size());
    sequence.mutable_tokens()->Add(sample.prompt_tokens().begin(), sample.prompt_tokens().end());
    sequence.mutable_tokens()->Add(sample.completion_tokens().begin(), sample.completion_tokens().end());
    sequence.set_prompt_len(sample.prompt_tokens_size());
  }
  return sequences;
}

void SetReferenceLogProbs(const std::vector<torch::Tensor>& logprobs, RolloutUnit& rollouts) {
  for (size_t i = 0; i < rollouts.samples.size(); ++i) {
    *rollouts.samples[i].mutable_reference_logprobs() = TensorToProto(logprobs[i]);
  }
}

}  // namespace fulcrum
