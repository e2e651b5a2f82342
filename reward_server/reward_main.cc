// fulcrum-reward: serves the Reward service with one scorer chosen by flags. Prints
// "fulcrum-reward listening on <host>:<port>" once serving, so a parent process can read the
// port, and shuts down cleanly on SIGTERM or SIGINT. --metrics_port, --check and --wait_for are
// the flags every binary shares (core/binary_flags.h); --check loads no checkpoint.

#include <cstdint>
#include <iostream>
#include <string>

#include <ATen/Parallel.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "core/binary_flags.h"
#include "core/shutdown_signals.h"
#include "core/status_macros.h"
#include "reward_server/reward_server.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int32_t, port, 0, "Port to listen on; 0 picks a free one (printed on start).");
ABSL_FLAG(std::string, scorer, "verifier", "verifier | exact_match | regex | format | reward_model | composite.");
ABSL_FLAG(std::string, task, "", "Task for verifier/format: addition | multiplication | countdown.");
ABSL_FLAG(int32_t, min_digits, 0, "Arithmetic task: fewest operand digits (0 = task default).");
ABSL_FLAG(int32_t, max_digits, 0, "Arithmetic task: most operand digits (0 = task default).");
ABSL_FLAG(int32_t, numbers, 0, "Countdown task: how many numbers (0 = task default).");
ABSL_FLAG(int32_t, max_number, 0, "Countdown task: largest number (0 = task default).");
ABSL_FLAG(std::string, regex, "", "RE2 pattern for the regex scorer; {ground_truth} is substituted.");
ABSL_FLAG(std::string, checkpoint, "", "reward_model: checkpoint directory, or a root with LATEST, of an RM stage.");
ABSL_FLAG(bool, normalize, false, "reward_model: reward = (score - mean) / std from the checkpoint's held-out stats.");
ABSL_FLAG(int32_t, threads, 0, "reward_model: intra-op threads for LibTorch; 0 uses every core.");
ABSL_FLAG(std::string, composite, "", "Composite parts and weights, e.g. verifier:1.0,format:0.1.");
ABSL_FLAG(int32_t, max_concurrent_requests, 8, "Score calls served at once; more are refused.");
ABSL_FLAG(int32_t, max_batch_items, 1024, "Largest number of items in one Score call.");

namespace fulcrum {
namespace {

constexpr char kBinary[] = "fulcrum-reward";

absl::StatusOr<RewardServer::Options> OptionsFromFlags() {
  FULCRUM_RETURN_IF_ERROR(CheckPortFlag("--port", absl::GetFlag(FLAGS_port)));
  RewardServer::Options options;
  options.listen_address =
      absl::StrCat(absl::GetFlag(FLAGS_host), ":", absl::GetFlag(FLAGS_port));
  options.max_concurrent_requests = absl::GetFlag(FLAGS_max_concurrent_requests);
  options.max_batch_items = absl::GetFlag(FLAGS_max_batch_items);
  ScorerOptions& scorer = options.scorer;
  scorer.scorer = absl::GetFlag(FLAGS_scorer);
  scorer.task.set_name(absl::GetFlag(FLAGS_task));
  scorer.task.set_min_digits(absl::GetFlag(FLAGS_min_digits));
  scorer.task.set_max_digits(absl::GetFlag(FLAGS_max_digits));
  scorer.task.set_numbers(absl::GetFlag(FLAGS_numbers));
  scorer.task.set_max_number(absl::GetFlag(FLAGS_max_number));
  scorer.regex = absl::GetFlag(FLAGS_regex);
  scorer.checkpoint = absl::GetFlag(FLAGS_checkpoint);
  scorer.normalize = absl::GetFlag(FLAGS_normalize);
  auto composite = ParseCompositeWeights(absl::GetFlag(FLAGS_composite));
  if (!composite.ok()) return composite.status();
  scorer.composite = *std::move(composite);
  return options;
}

// For --check: what RewardServer::Create would refuse, short of loading a checkpoint or binding.
absl::Status CheckFlags(const absl::StatusOr<RewardServer::Options>& options) {
  FULCRUM_RETURN_IF_ERROR(options.status());
  FULCRUM_RETURN_IF_ERROR(options->Validate());
  return CheckScorerOptions(options->scorer);
}

int Run() {
  absl::StatusOr<RewardServer::Options> options = OptionsFromFlags();
  if (absl::GetFlag(FLAGS_check)) return ReportCheck(kBinary, CheckFlags(options));
  if (!options.ok()) {
    std::cerr << kBinary << ": " << options.status().message() << std::endl;
    return 1;
  }
  ShutdownSignals shutdown_signals;  // before gRPC, LibTorch and the metrics server start threads
  if (absl::GetFlag(FLAGS_threads) > 0) at::set_num_threads(absl::GetFlag(FLAGS_threads));

  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
      PrepareToServe(kBinary, absl::GetFlag(FLAGS_host), shutdown_signals);
  if (!metrics.ok()) return ExitBeforeServing(kBinary, metrics.status());
  absl::StatusOr<std::unique_ptr<RewardServer>> server = RewardServer::Create(*options);
  if (!server.ok()) {
    std::cerr << kBinary << ": " << server.status().message() << std::endl;
    return 1;
  }
  std::cout << kBinary << " listening on " << absl::GetFlag(FLAGS_host) << ":" << (*server)->port() << std::endl;
  const int signal_number = shutdown_signals.Wait();
  std::cout << kBinary << ": " << ShutdownSignals::Name(signal_number) << ", shutting down" << std::endl;
  (*server)->Shutdown();
  (*server)->Wait();
  return 0;
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves the fulcrum.v1.Reward service. Examples:\n"
      "  fulcrum-reward --scorer=verifier --task=addition --port=0\n"
      "  fulcrum-reward --scorer=reward_model --checkpoint=runs/rm_addition/checkpoints --normalize\n"
      "  fulcrum-reward --scorer=verifier --task=addition --check");
  absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  return fulcrum::Run();
}
