#include "core/gpt.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fulcrum {
namespace {

// Additive mask value: finite so rows with no visible key (left padding) stay NaN-free.
constexpr float kMasked = -1e9f;

torch::nn::Linear NoBiasLinear(int64_t in, int64_t out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

// Llama's rotate_half convention: the head is split into two halves that rotate as pairs.
torch::Tensor RotateHalf(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return x * cos + RotateHalf(x) * sin;
}

}  // namespace

KvCache KvCache::Allocate(const v1::ModelConfig& config, int64_t batch, int64_t capacity) {
  KvCache cache;
  const int64_t head_dim = config.d_model() / config.n_head();
  for (int i = 0; i < config.n_layer(); ++i) {
    cache.keys.push_back(torch::empty({batch, config.n_head(), capacity, head_dim}));
    cache.values.push_back(torch::empty({batch, config.n_head(), capacity, head_dim}));
  }
  return cache;
}

void KvCache::SelectRows(const torch::Tensor& rows) {
  for (auto& k : keys) k = k.index_select(0, rows);
  for (auto& v : values) v = v.index_select(0, rows);
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps_) * weight_;
}

AttentionImpl::AttentionImpl(const v1::ModelConfig& c)
    : n_head_(c.n_head()), head_dim_(c.d_model() / c.n_head()) {
  q_proj_ = register_module("q_proj", NoBiasLinear(c.d_model(), c.d_model()));
  k_proj_ = register_module("k_proj", NoBiasLinear(c.d_model(), c.d_model()));
  v_proj_ = register_module("v_proj", NoBiasLinear(c.d_model(), c.d_model()));
  o_proj_ = register_module("o_proj", NoBiasLinear(c.d_model(), c.d_model()));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& bias,
                                     KvCache* cache, int layer) {
  const int64_t b = x.size(0), t = x.size(1);
  auto heads = [&](const torch::Tensor& y) {
    return y.view({b, t, n_head_, head_dim_}).transpose(1, 2);
  };
  torch::Tensor q = ApplyRope(heads(q_proj_(x)), cos, sin);
  torch::Tensor k = ApplyRope(heads(k_proj_(x)), cos, sin);
  torch::Tensor v = heads(v_proj_(x));
  if (cache != nullptr) {
    const int64_t start = cache->length;
    cache->keys[layer].narrow(2, start, t).copy_(k);
    cache->values[layer].narrow(2, start, t).copy_(v);
    k = cache->keys[layer].narrow(2, 0, start + t);
    v = cache->values[layer].narrow(2, 0, start + t);
  }
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(head_dim_));
  torch::Tensor probs = torch::softmax(scores + bias, -1);
  torch::Tensor out = torch::matmul(probs, v).transpose(1, 2).reshape({b, t, n_head_ * head_dim_});
  return o_proj_(out);
}

MlpImpl::MlpImpl(const v1::ModelConfig& c) {
  gate_proj_ = register_module("gate_proj", NoBiasLinear(c.d_model(), c.d_ff()));
  up_proj_ = register_module("up_proj", NoBiasLinear(c.d_model(), c.d_ff()));
  down_proj_ = register_module("down_proj", NoBiasLinear(c.d_ff(), c.d_model()));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return down_proj_(torch::silu(gate_proj_(x)) * up_proj_(x));
}

DecoderLayerImpl::DecoderLayerImpl(const v1::ModelConfig& c) {
  input_layernorm_ = register_module("input_layernorm", RmsNorm(c.d_model(), c.norm_eps()));
  self_attn_ = register_module("self_attn", Attention(c));
  post_attention_layernorm_ =
      register_module("post_attention_layernorm", RmsNorm(c.d_model(), c.norm_eps()));
  mlp_ = register_module("mlp", Mlp(c));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                        const torch::Tensor& sin, const torch::Tensor& bias,
                                        KvCache* cache, int layer) {
  torch::Tensor h = x + self_attn_(input_layernorm_(x), cos, sin, bias, cache, layer);
  return h + mlp_(post_attention_layernorm_(h));
}

DecoderImpl::DecoderImpl(const v1::ModelConfig& c) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size(), c.d_model()));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < c.n_layer(); ++i) layers->push_back(DecoderLayer(c));
  norm = register_module("norm", RmsNorm(c.d_model(), c.norm_eps()));
}

GptImpl::GptImpl(const v1::ModelConfig& config) : config_(config) {
  model_ = register_module("model", Decoder(config));
  if (config.value_head()) value_head_ = register_module("value_head", torch::nn::Linear(config.d_model(), 1));
  if (config.score_head()) score_ = register_module("score", torch::nn::Linear(config.d_model(), 1));

  const int64_t head_dim = config.d_model() / config.n_head();
  torch::Tensor inv_freq =
      1.0 / torch::pow(config.rope_theta(), torch::arange(0, head_dim, 2, torch::kFloat64) / head_dim);
  torch::Tensor angles = torch::outer(torch::arange(config.max_seq_len(), torch::kFloat64), inv_freq);
  angles = torch::cat({angles, angles}, -1);
  rope_cos_ = register_buffer("rope_cos", angles.cos().to(torch::kFloat32));
  rope_sin_ = register_buffer("rope_sin", angles.sin().to(torch::kFloat32));
  InitWeights();
}

void GptImpl::InitWeights() {
  torch::NoGradGuard no_grad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(config_.init_seed());
  // GPT-2 style: residual projections scaled down with depth so the stream's variance stays flat.
  const double residual_std = 0.02 / std::sqrt(2.0 * config_.n_layer());
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& param = item.value();
    if (name.ends_with("norm.weight")) continue;
    if (name.ends_with(".bias")) {
      param.zero_();
    } else if (name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight")) {
      param.normal_(0.0, residual_std, generator);
    } else {
      param.normal_(0.0, 0.02, generator);
    }
  }
}

torch::Tensor GptImpl::Forward(const torch::Tensor& tokens, const torch::Tensor& positions,
                               const torch::Tensor& key_mask, KvCache* cache) {
  const int64_t t = tokens.size(1);
  const int64_t past = cache ? cache->length : 0;
  const int64_t tk = past + t;
  TORCH_CHECK(tk <= config_.max_seq_len(), "sequence of ", tk, " tokens exceeds max_seq_len ",
              config_.max_seq_len());
  TORCH_CHECK(cache == nullptr || tk <= cache->capacity(), "KV cache capacity exceeded");

  // Query i (absolute position past + i) may see key j when j <= past + i and the key is real.
  torch::Tensor query_pos = torch::arange(past, tk, torch::kInt64).unsqueeze(1);
  torch::Tensor visible = torch::arange(tk, torch::kInt64).unsqueeze(0) <= query_pos;  // [T, Tk]
  visible = visible.unsqueeze(0).unsqueeze(0);
  if (key_mask.defined()) visible = visible & key_mask.view({key_mask.size(0), 1, 1, tk});
  torch::Tensor bias = torch::zeros(visible.sizes()).masked_fill_(visible.logical_not(), kMasked);

  torch::Tensor cos = rope_cos_.index_select(0, positions.reshape(-1)).view({positions.size(0), 1, t, -1});
  torch::Tensor sin = rope_sin_.index_select(0, positions.reshape(-1)).view({positions.size(0), 1, t, -1});
  torch::Tensor h = model_->embed_tokens(tokens);
  int layer = 0;
  for (const auto& module : *model_->layers) {
    h = module->as<DecoderLayer>()->forward(h, cos, sin, bias, cache, layer++);
  }
  if (cache != nullptr) cache->length = tk;
  return model_->norm(h);
}

torch::Tensor GptImpl::Logits(const torch::Tensor& hidden) {
  return torch::matmul(hidden, model_->embed_tokens->weight.t());
}

torch::Tensor GptImpl::Values(const torch::Tensor& hidden) {
  TORCH_CHECK(!value_head_.is_empty(), "model has no value head (model.value_head: true)");
  return value_head_(hidden).squeeze(-1);
}

torch::Tensor GptImpl::Scores(const torch::Tensor& hidden) {
  TORCH_CHECK(!score_.is_empty(), "model has no score head (model.score_head: true)");
  return score_(hidden).squeeze(-1);
}

std::vector<std::pair<std::string, torch::Tensor>> GptImpl::NamedWeights() const {
  std::vector<std::pair<std::string, torch::Tensor>> weights;
  for (const auto& item : named_parameters()) weights.emplace_back(item.key(), item.value());
  return weights;
}

absl::Status GptImpl::LoadWeights(const std::vector<std::pair<std::string, torch::Tensor>>& weights) {
  std::map<std::string, torch::Tensor> by_name(weights.begin(), weights.end());
  torch::NoGradGuard no_grad;
  std::vector<std::string> missing;
  for (auto& item : named_parameters()) {
    auto it = by_name.find(item.key());
    if (it == by_name.end()) {
      missing.push_back(item.key());
      continue;
    }
    if (it->second.sizes() != item.value().sizes()) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", item.key(), "' has shape ", c10::str(it->second.sizes()),
                       ", the model expects ", c10::str(item.value().sizes())));
    }
    item.value().copy_(it->second);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint lacks weights: ", absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace fulcrum
