// The GPT decoder every Fulcrum role runs: token embeddings, RoPE, RMSNorm, causal attention with an
// optional KV cache, SwiGLU MLP, tied output head, and optional value / score heads. Parameter names
// follow the Hugging Face Llama layout (model.layers.N.self_attn.q_proj.weight, ...).
#ifndef FULCRUM_CORE_GPT_H_
#define FULCRUM_CORE_GPT_H_

#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "fulcrum/v1/config.pb.h"

namespace fulcrum {

// Keys and values of every layer for a batch of sequences, preallocated to `capacity` positions.
// Forward appends at `length`; rows can be dropped when their sequences finish.
struct KvCache {
  std::vector<torch::Tensor> keys;    // per layer [B, H, capacity, head_dim]
  std::vector<torch::Tensor> values;  // per layer [B, H, capacity, head_dim]
  int64_t length = 0;

  static KvCache Allocate(const v1::ModelConfig& config, int64_t batch, int64_t capacity);
  int64_t capacity() const { return keys.empty() ? 0 : keys[0].size(2); }
  // Keeps only the batch rows listed in `rows` (int64 indices), in that order.
  void SelectRows(const torch::Tensor& rows);
};

class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight_;
  double eps_;
};
TORCH_MODULE(RmsNorm);

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const v1::ModelConfig& config);
  // x [B,T,D]; cos/sin [B,1,T,head_dim]; bias [B or 1,1,T,Tk] additive mask.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias, KvCache* cache, int layer);

 private:
  int64_t n_head_, head_dim_;
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const v1::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear gate_proj_{nullptr}, up_proj_{nullptr}, down_proj_{nullptr};
};
TORCH_MODULE(Mlp);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const v1::ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias, KvCache* cache, int layer);

 private:
  RmsNorm input_layernorm_{nullptr}, post_attention_layernorm_{nullptr};
  Attention self_attn_{nullptr};
  Mlp mlp_{nullptr};
};
TORCH_MODULE(DecoderLayer);

// The decoder stack without heads: registered as "model" so names match the Llama layout.
class DecoderImpl : public torch::nn::Module {
 public:
  explicit DecoderImpl(const v1::ModelConfig& config);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};
};
TORCH_MODULE(Decoder);

class GptImpl : public torch::nn::Module {
 public:
  // `config` must come from ResolveModelConfig. Weights are initialized from config.init_seed().
  explicit GptImpl(const v1::ModelConfig& config);

  // tokens, positions: [B,T] int64 (positions are RoPE positions, per row). key_mask: [B, Tk] bool
  // where Tk = cache length + T (true = may be attended to), or undefined when every key is real.
  // With a cache, keys/values of these T tokens are appended and cache->length advances by T.
  // Returns the final-norm hidden states [B,T,D].
  torch::Tensor Forward(const torch::Tensor& tokens, const torch::Tensor& positions,
                        const torch::Tensor& key_mask, KvCache* cache = nullptr);
  torch::Tensor Logits(const torch::Tensor& hidden);  // [..., vocab]
  torch::Tensor Values(const torch::Tensor& hidden);  // [...], needs config.value_head
  torch::Tensor Scores(const torch::Tensor& hidden);  // [...], needs config.score_head

  const v1::ModelConfig& config() const { return config_; }

  // Weights by their checkpoint name (the tied lm_head is not listed twice).
  std::vector<std::pair<std::string, torch::Tensor>> NamedWeights() const;
  // Copies weights in by name; every parameter must be present with its exact shape.
  absl::Status LoadWeights(const std::vector<std::pair<std::string, torch::Tensor>>& weights);

 private:
  void InitWeights();

  v1::ModelConfig config_;
  Decoder model_{nullptr};
  torch::nn::Linear value_head_{nullptr}, score_{nullptr};
  torch::Tensor rope_cos_, rope_sin_;  // [max_seq_len, head_dim], buffers
};
TORCH_MODULE(Gpt);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_GPT_H_
