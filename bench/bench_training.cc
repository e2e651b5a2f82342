// Training throughput and model FLOPs utilization. FLOPs per token = 6 * params + 12 * L * d * T
// (forward + backward, attention included); peak is a 1024^2 fp32 matmul on the same threads.
// Rows: {n_layer, d_model, seq_len, batch, tokens_per_s, achieved_gflops, peak_gflops, mfu}.
#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/report.h"
#include "core/model_config.h"
#include "core/scoring.h"
#include "learner/optimizer.h"

ABSL_FLAG(std::string, out_dir, "build/bench", "Where training.json goes.");
ABSL_FLAG(int, threads, 0, "LibTorch threads; 0 uses every core.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  struct Shape {
    int n_layer, d_model, seq_len, batch;
  };
  fulcrum::BenchReport report("training", absl::GetFlag(FLAGS_out_dir));
  for (const Shape& s : {Shape{4, 128, 32, 64}, Shape{4, 256, 64, 64}, Shape{6, 384, 128, 32}}) {
    fulcrum::v1::ModelConfig config;
    config.set_n_layer(s.n_layer);
    config.set_n_head(s.d_model / 64);
    config.set_d_model(s.d_model);
    config.set_max_seq_len(s.seq_len + 1);
    config = fulcrum::ResolveModelConfig(config, 98).value();
    fulcrum::Gpt model(config);
    fulcrum::v1::OptimizerConfig opt_config;
    opt_config.set_lr(1e-4);
    opt_config.set_weight_decay(0.1);
    opt_config.set_grad_clip(1.0);
    fulcrum::Optimizer optimizer(model->NamedWeights(), opt_config);
    torch::Tensor tokens = torch::randint(0, 98, {s.batch, s.seq_len + 1}, torch::kInt64);
    auto step = [&] {
      optimizer.ZeroGrad();
      (-fulcrum::SequenceLogProbs(model, tokens).mean()).backward();
      optimizer.Step(1e-4);
    };
    const double seconds = fulcrum::SecondsPerCall(step, 2, 5);
    const double peak = fulcrum::MeasurePeakGflops();
    const double tokens_per_s = s.batch * s.seq_len / seconds;
    const double flops_per_token =
        6.0 * fulcrum::CountParameters(config) + 12.0 * s.n_layer * s.d_model * s.seq_len;
    const double achieved = flops_per_token * tokens_per_s / 1e9;
    report.Add({{"n_layer", s.n_layer}, {"d_model", s.d_model}, {"seq_len", s.seq_len},
                {"batch", s.batch}, {"tokens_per_s", tokens_per_s}, {"achieved_gflops", achieved},
                {"peak_gflops", peak}, {"mfu", achieved / peak}});
  }
  return report.Write() ? 0 : 1;
}
