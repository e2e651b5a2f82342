#include "core/model_config.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

absl::Status Positive(int64_t value, const char* field) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("model.", field, " must be positive, got ", value));
}

}  // namespace

absl::StatusOr<v1::ModelConfig> ResolveModelConfig(v1::ModelConfig config, int vocab_size) {
  if (config.vocab_size() == 0) config.set_vocab_size(vocab_size);
  if (config.vocab_size() < vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("model.vocab_size ", config.vocab_size(),
                                                   " is smaller than the tokenizer's ", vocab_size));
  }
  if (config.d_ff() == 0) config.set_d_ff((config.d_model() * 8 / 3 + 31) / 32 * 32);
  if (config.rope_theta() == 0) config.set_rope_theta(10000.0f);
  if (config.norm_eps() == 0) config.set_norm_eps(1e-5f);
  for (auto [value, field] : {std::pair<int64_t, const char*>{config.n_layer(), "n_layer"},
                              {config.n_head(), "n_head"},
                              {config.d_model(), "d_model"},
                              {config.d_ff(), "d_ff"},
                              {config.max_seq_len(), "max_seq_len"}}) {
    if (auto status = Positive(value, field); !status.ok()) return status;
  }
  if (config.d_model() % config.n_head() != 0 || (config.d_model() / config.n_head()) % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("model.d_model (", config.d_model(), ") must be n_head (", config.n_head(),
                     ") times an even head size, as RoPE rotates pairs of channels"));
  }
  return config;
}

int64_t CountParameters(const v1::ModelConfig& c) {
  const int64_t d = c.d_model();
  const int64_t per_layer = 4 * d * d + 3 * d * c.d_ff() + 2 * d;
  int64_t total = c.vocab_size() * d + c.n_layer() * per_layer + d;
  if (c.value_head()) total += d + 1;
  if (c.score_head()) total += d + 1;
  return total;
}

}  // namespace fulcrum
