// Generation throughput with and without the KV cache: L4 d256, batch 1 and 64, 64 and 256 new
// tokens from 16-token prompts. Rows: {batch, prompt_len, new_tokens, kv_cache, tokens_per_s}.
#include <iostream>

#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/report.h"
#include "core/generation.h"
#include "core/model_config.h"

ABSL_FLAG(std::string, out_dir, "build/bench", "Where generation.json goes.");
ABSL_FLAG(int, threads, 0, "LibTorch threads; 0 uses every core.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  fulcrum::v1::ModelConfig config;
  config.set_n_layer(4);
  config.set_n_head(4);
  config.set_d_model(256);
  config.set_max_seq_len(512);
  fulcrum::Gpt model(fulcrum::ResolveModelConfig(config, 98).value());
  model->eval();

  constexpr int kPromptLen = 16;
  fulcrum::BenchReport report("generation", absl::GetFlag(FLAGS_out_dir));
  for (int batch : {1, 64}) {
    for (int new_tokens : {64, 256}) {
      for (bool kv_cache : {true, false}) {
        std::vector<std::vector<int>> prompts(batch);
        for (int i = 0; i < batch; ++i) {
          for (int j = 0; j < kPromptLen; ++j) prompts[i].push_back(3 + (i * 7 + j * 13) % 90);
        }
        fulcrum::SamplingParams params;
        params.max_new_tokens = new_tokens;  // no stop tokens: every row runs to the end
        params.use_kv_cache = kv_cache;
        const bool slow = !kv_cache && batch * new_tokens >= 64 * 256;
        const double seconds = fulcrum::SecondsPerCall(
            [&] { fulcrum::Generate(model, prompts, params).value(); }, slow ? 0 : 1, slow ? 1 : 3);
        report.Add({{"batch", batch},
                    {"prompt_len", kPromptLen},
                    {"new_tokens", new_tokens},
                    {"kv_cache", kv_cache},
                    {"tokens_per_s", batch * new_tokens / seconds}});
      }
    }
  }
  return report.Write() ? 0 : 1;
}
