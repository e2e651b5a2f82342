// fulcrum-learner: trains a policy. `--sft_config=<yaml>` runs the SFT stage standalone.
#include <iostream>

#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/yaml_proto.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/sft_trainer.h"

ABSL_FLAG(std::string, sft_config, "", "YAML file of an SFT stage (fulcrum.v1.SftConfig) to run standalone.");
ABSL_FLAG(int, threads, 0, "Intra-op threads for LibTorch; 0 uses every core.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Fulcrum learner.\n  fulcrum-learner --sft_config=configs/sft_addition.yaml");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_threads) > 0) torch::set_num_threads(absl::GetFlag(FLAGS_threads));

  const std::string path = absl::GetFlag(FLAGS_sft_config);
  if (path.empty()) {
    std::cerr << "fulcrum-learner: pass --sft_config=<file.yaml> (see configs/sft_addition.yaml)\n";
    return 2;
  }
  fulcrum::v1::SftConfig config;
  if (auto status = fulcrum::LoadYamlProto(path, &config); !status.ok()) {
    std::cerr << "fulcrum-learner: " << status.message() << "\n";
    return 1;
  }
  auto trainer = fulcrum::SftTrainer::Create(config, &std::cout);
  if (!trainer.ok()) {
    std::cerr << "fulcrum-learner: " << trainer.status().message() << "\n";
    return 1;
  }
  auto summary = (*trainer)->Run();
  if (!summary.ok()) {
    std::cerr << "fulcrum-learner: " << summary.status().message() << "\n";
    return 1;
  }
  std::cout << "sft done: " << summary->dump() << "\n";
  return 0;
}
