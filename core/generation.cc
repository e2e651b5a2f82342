#include "core/generation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace fulcrum {
namespace {

// Finished rows are compacted away once they are this share of the batch: each compaction
// copies the cache, so doing it for every single finished row would cost more than it saves.
constexpr double kCompactShare = 0.25;

absl::Status CheckRequest(const Gpt& model, const std::vector<std::vector<int>>& prompts,
                          const SamplingParams& params) {
  const auto& config = model->config();
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) return absl::InvalidArgumentError(absl::StrCat("prompt ", i, " is empty"));
    for (int id : prompts[i]) {
      if (id < 0 || id >= config.vocab_size()) {
        return absl::InvalidArgumentError(absl::StrCat("prompt ", i, " has token id ", id,
                                                       " outside the vocabulary of ", config.vocab_size()));
      }
    }
    if (static_cast<int64_t>(prompts[i].size()) + params.max_new_tokens > config.max_seq_len()) {
      return absl::InvalidArgumentError(absl::StrCat("prompt ", i, " (", prompts[i].size(),
                                                     " tokens) plus max_new_tokens ", params.max_new_tokens,
                                                     " exceeds max_seq_len ", config.max_seq_len()));
    }
  }
  if (params.max_new_tokens <= 0) return absl::InvalidArgumentError("max_new_tokens must be positive");
  if (!params.greedy && params.temperature <= 0) {
    return absl::InvalidArgumentError("temperature must be positive (or use greedy)");
  }
  if (params.top_p <= 0 || params.top_p > 1) return absl::InvalidArgumentError("top_p must be in (0, 1]");
  return absl::OkStatus();
}

// The decoding state of the rows still in the batch.
struct Batch {
  std::vector<int> rows;   // original prompt index of each batch row
  std::vector<bool> done;  // finished but not yet compacted away
  torch::Tensor key_mask;  // [B, capacity] bool: real (non-pad) positions
  torch::Tensor next_pos;  // [B] int64: RoPE position of the next token
  torch::Tensor history;   // [B, filled] int64: every token so far (recompute mode only)
  KvCache cache;

  void Compact() {
    std::vector<int64_t> keep;
    std::vector<int> rows_kept;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!done[i]) {
        keep.push_back(static_cast<int64_t>(i));
        rows_kept.push_back(rows[i]);
      }
    }
    torch::Tensor index = torch::tensor(keep, torch::kInt64);
    key_mask = key_mask.index_select(0, index);
    next_pos = next_pos.index_select(0, index);
    if (history.defined()) history = history.index_select(0, index);
    if (!cache.keys.empty()) cache.SelectRows(index);
    rows = std::move(rows_kept);
    done.assign(rows.size(), false);
  }
};

std::vector<Completion> GenerateChecked(Gpt& model, const std::vector<std::vector<int>>& prompts,
                                        const SamplingParams& params) {
  torch::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(prompts.size());
  int64_t prompt_len = 0;
  for (const auto& p : prompts) prompt_len = std::max<int64_t>(prompt_len, p.size());
  const int64_t capacity = prompt_len + params.max_new_tokens;

  // Left padding puts every prompt's last token in the same column, so one decode step serves all.
  torch::Tensor tokens = torch::zeros({n, prompt_len}, torch::kInt64);
  torch::Tensor positions = torch::zeros({n, prompt_len}, torch::kInt64);
  Batch batch;
  batch.key_mask = torch::zeros({n, capacity}, torch::kBool);
  auto tok = tokens.accessor<int64_t, 2>();
  auto pos = positions.accessor<int64_t, 2>();
  auto mask = batch.key_mask.accessor<bool, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t offset = prompt_len - static_cast<int64_t>(prompts[i].size());
    for (int64_t j = 0; j < static_cast<int64_t>(prompts[i].size()); ++j) {
      tok[i][offset + j] = prompts[i][j];
      pos[i][offset + j] = j;
      mask[i][offset + j] = true;
    }
    batch.rows.push_back(static_cast<int>(i));
  }
  batch.done.assign(n, false);
  batch.next_pos = positions.select(1, prompt_len - 1) + 1;
  if (params.use_kv_cache) {
    batch.cache = KvCache::Allocate(model->config(), n, capacity);
  } else {
    batch.history = tokens;
  }

  auto generator = at::make_generator<at::CPUGeneratorImpl>(params.seed);
  std::vector<Completion> out(n);
  torch::Tensor hidden = model->Forward(tokens, positions, batch.key_mask.narrow(1, 0, prompt_len),
                                        params.use_kv_cache ? &batch.cache : nullptr);
  int64_t filled = prompt_len;
  for (int step = 0; step < params.max_new_tokens; ++step) {
    torch::Tensor logits = model->Logits(hidden.select(1, hidden.size(1) - 1));
    SampledTokens sampled = SampleTokens(logits, params, generator);
    auto ids = sampled.tokens.accessor<int64_t, 1>();
    auto lps = sampled.logprobs.accessor<float, 1>();
    int live = 0;
    for (size_t i = 0; i < batch.rows.size(); ++i) {
      if (batch.done[i]) continue;
      Completion& c = out[batch.rows[i]];
      const int id = static_cast<int>(ids[i]);
      c.tokens.push_back(id);
      c.logprobs.push_back(lps[i]);
      if (std::find(params.stop_tokens.begin(), params.stop_tokens.end(), id) != params.stop_tokens.end()) {
        c.finish_reason = FinishReason::kStop;
        batch.done[i] = true;
      } else {
        ++live;
      }
    }
    if (live == 0 || step + 1 == params.max_new_tokens) break;

    torch::Tensor next = sampled.tokens.unsqueeze(1);
    batch.key_mask.select(1, filled).fill_(true);
    ++filled;
    const size_t finished = batch.rows.size() - live;
    if (finished > 0 && finished >= kCompactShare * batch.rows.size()) {
      std::vector<int64_t> keep;
      for (size_t i = 0; i < batch.rows.size(); ++i) {
        if (!batch.done[i]) keep.push_back(static_cast<int64_t>(i));
      }
      next = next.index_select(0, torch::tensor(keep, torch::kInt64));
      if (batch.history.defined()) {
        batch.history = torch::cat({batch.history, sampled.tokens.unsqueeze(1)}, 1);
      }
      batch.Compact();
    } else if (batch.history.defined()) {
      batch.history = torch::cat({batch.history, next}, 1);
    }

    if (params.use_kv_cache) {
      hidden = model->Forward(next, batch.next_pos.unsqueeze(1), batch.key_mask.narrow(1, 0, filled),
                              &batch.cache);
    } else {
      // Recompute every position: positions of the whole history follow from the key mask.
      torch::Tensor all_mask = batch.key_mask.narrow(1, 0, filled);
      torch::Tensor all_pos = (all_mask.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);
      hidden = model->Forward(batch.history, all_pos, all_mask, nullptr);
    }
    batch.next_pos += 1;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Completion>> Generate(Gpt& model, const std::vector<std::vector<int>>& prompts,
                                                 const SamplingParams& params) {
  if (prompts.empty()) return std::vector<Completion>{};
  FULCRUM_RETURN_IF_ERROR(CheckRequest(model, prompts, params));
  return TorchCall("generating", [&] { return GenerateChecked(model, prompts, params); });
}

}  // namespace fulcrum
