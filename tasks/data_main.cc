// fulcrum-data: writes a synthetic task's SFT, preference and RL datasets as JSONL.
//   fulcrum-data --task=addition --out=data/addition --train=20000 --heldout=500 --seed=1
#include <cstdint>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "fulcrum/v1/config.pb.h"
#include "tasks/jsonl_writer.h"
#include "tasks/registry.h"
#include "tasks/split_sampler.h"

ABSL_FLAG(std::string, task, "", "Task name: addition, multiplication or countdown.");
ABSL_FLAG(std::string, out, "", "Output directory for {sft,preference,rl}_{train,heldout}.jsonl.");
ABSL_FLAG(int64_t, train, 20000, "Training examples (fewer if the task has fewer prompts).");
ABSL_FLAG(int64_t, heldout, 500, "Held-out examples; their prompts never appear in train.");
ABSL_FLAG(uint64_t, seed, 1, "Random seed; the same seed and flags give the same files.");
ABSL_FLAG(int32_t, min_digits, 0, "Arithmetic: fewest operand digits (0 = task default).");
ABSL_FLAG(int32_t, max_digits, 0, "Arithmetic: most operand digits (0 = task default).");
ABSL_FLAG(int32_t, numbers, 0, "Countdown: how many numbers per problem (0 = default 3).");
ABSL_FLAG(int32_t, max_number, 0, "Countdown: largest number (0 = default 20).");
ABSL_FLAG(double, sft_sloppy_fraction, 0,
          "Fraction of SFT training responses written with a trailing '.', which the strict verifier "
          "rejects: sloppy demonstrations for RL to clean up. Preference and RL files stay exact.");
ABSL_FLAG(double, preference_sloppy_fraction, 0,
          "Fraction of preference pairs (train and held-out) whose rejected response is the correct "
          "answer with a trailing '.', instead of a wrong answer: pairs that teach a reward model or "
          "DPO the verifier's strict format.");

namespace fulcrum {
namespace {

absl::Status Run() {
  if (absl::GetFlag(FLAGS_task).empty()) {
    return absl::InvalidArgumentError("--task is required: addition, multiplication or countdown");
  }
  if (absl::GetFlag(FLAGS_out).empty()) return absl::InvalidArgumentError("--out is required");
  fulcrum::v1::TaskConfig config;
  config.set_name(absl::GetFlag(FLAGS_task));
  config.set_min_digits(absl::GetFlag(FLAGS_min_digits));
  config.set_max_digits(absl::GetFlag(FLAGS_max_digits));
  config.set_numbers(absl::GetFlag(FLAGS_numbers));
  config.set_max_number(absl::GetFlag(FLAGS_max_number));
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Task> task, MakeTask(config));

  SplitOptions options;
  options.train_size = absl::GetFlag(FLAGS_train);
  options.heldout_size = absl::GetFlag(FLAGS_heldout);
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  FULCRUM_ASSIGN_OR_RETURN(DatasetSplits splits, DrawSplits(*task, options, rng));
  const double sloppy = absl::GetFlag(FLAGS_sft_sloppy_fraction);
  if (sloppy < 0 || sloppy > 1) return absl::InvalidArgumentError("--sft_sloppy_fraction must be in [0, 1]");
  std::bernoulli_distribution is_sloppy(sloppy);
  for (Example& example : splits.train) {
    if (sloppy > 0 && is_sloppy(rng)) example.sft_suffix.push_back('.');  // not = ".": GCC 12 warns falsely (PR 105329)
  }
  const double preference_sloppy = absl::GetFlag(FLAGS_preference_sloppy_fraction);
  if (preference_sloppy < 0 || preference_sloppy > 1) {
    return absl::InvalidArgumentError("--preference_sloppy_fraction must be in [0, 1]");
  }
  std::bernoulli_distribution is_sloppy_pair(preference_sloppy);
  for (std::vector<Example>* split : {&splits.train, &splits.heldout}) {
    for (Example& example : *split) {
      if (preference_sloppy > 0 && is_sloppy_pair(rng)) example.rejected = absl::StrCat(example.problem.response, ".");
    }
  }
  FULCRUM_ASSIGN_OR_RETURN(std::vector<WrittenFile> files,
                           WriteDataset(splits, absl::GetFlag(FLAGS_out)));

  std::cout << "task " << task->name() << ": " << splits.train.size() << " train and "
            << splits.heldout.size() << " held-out problems with distinct prompts\n";
  if (static_cast<int64_t>(splits.train.size()) < options.train_size ||
      static_cast<int64_t>(splits.heldout.size()) < options.heldout_size) {
    std::cout << "note: the task has too few distinct prompts for the " << options.train_size
              << " train and " << options.heldout_size << " held-out asked for\n";
  }
  for (const WrittenFile& file : files) {
    std::cout << "wrote " << file.lines << " lines to " << file.path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes SFT, preference and RL JSONL datasets for a synthetic task.\n"
      "  fulcrum-data --task=addition --out=data/addition --train=20000 --heldout=500 --seed=1");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::cerr << "fulcrum-data: unexpected argument '" << positional[1]
              << "' (all options are --flags)\n";
    return 1;
  }
  if (absl::Status status = fulcrum::Run(); !status.ok()) {
    std::cerr << "fulcrum-data: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
