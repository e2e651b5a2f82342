// fulcrum-reference: serves per-token log-probs under a frozen checkpoint (fulcrum.v1.Reference).
//   fulcrum-reference --checkpoint=runs/demo/sft/checkpoints --port=0
// --metrics_port, --check and --wait_for are the flags every binary shares (core/binary_flags.h);
// --check loads no checkpoint, so the directory need not exist yet.

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/binary_flags.h"
#include "core/shutdown_signals.h"
#include "core/status_macros.h"
#include "reference_server/reference_server.h"

ABSL_FLAG(std::string, checkpoint, "", "Checkpoint directory, or a checkpoint root whose LATEST is loaded.");
ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on (0.0.0.0 for every interface).");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 picks a free one (printed once serving).");
ABSL_FLAG(int, threads, 0, "Intra-op threads for LibTorch; 0 uses LibTorch's default.");
ABSL_FLAG(int, max_batch_sequences, 64, "Sequences scored per forward pass.");
ABSL_FLAG(int, max_queued_sequences, 1024, "Sequences that may wait; more are refused with RESOURCE_EXHAUSTED.");

namespace fulcrum {
namespace {

constexpr char kBinary[] = "fulcrum-reference";

// The server's options, checked as far as they can be without loading the checkpoint.
absl::StatusOr<ReferenceServer::Options> OptionsFromFlags() {
  if (absl::GetFlag(FLAGS_checkpoint).empty()) {
    return absl::InvalidArgumentError("pass --checkpoint=DIR (a checkpoint or a root with LATEST)");
  }
  FULCRUM_RETURN_IF_ERROR(CheckPortFlag("--port", absl::GetFlag(FLAGS_port)));
  ReferenceServer::Options options;
  options.checkpoint_dir = absl::GetFlag(FLAGS_checkpoint);
  options.listen_address = absl::StrCat(absl::GetFlag(FLAGS_host), ":", absl::GetFlag(FLAGS_port));
  options.threads = absl::GetFlag(FLAGS_threads);
  options.max_batch_sequences = absl::GetFlag(FLAGS_max_batch_sequences);
  options.max_queued_sequences = absl::GetFlag(FLAGS_max_queued_sequences);
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  return options;
}

int Run() {
  absl::StatusOr<ReferenceServer::Options> options = OptionsFromFlags();
  if (absl::GetFlag(FLAGS_check)) return ReportCheck(kBinary, options.status());
  if (!options.ok()) {
    std::cerr << kBinary << ": " << options.status().message() << std::endl;
    return 1;
  }
  ShutdownSignals shutdown_signals;  // before gRPC, LibTorch and the metrics server start threads

  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
      PrepareToServe(kBinary, absl::GetFlag(FLAGS_host), shutdown_signals);
  if (!metrics.ok()) return ExitBeforeServing(kBinary, metrics.status());
  absl::StatusOr<std::unique_ptr<ReferenceServer>> server = ReferenceServer::Create(*options);
  if (!server.ok()) {
    std::cerr << kBinary << ": " << server.status().message() << std::endl;
    return 1;
  }
  std::cout << kBinary << " serving " << (*server)->checkpoint() << "\n"
            << kBinary << " listening on " << absl::GetFlag(FLAGS_host) << ":" << (*server)->port() << std::endl;

  const int received = shutdown_signals.Wait();
  std::cout << kBinary << ": " << ShutdownSignals::Name(received) << ", shutting down" << std::endl;
  (*server)->Shutdown();
  (*server)->Wait();
  return 0;
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Fulcrum reference-model server.\n"
      "  fulcrum-reference --checkpoint=DIR --port=0\n"
      "  fulcrum-reference --checkpoint=DIR --wait_for=runs/demo/sft/summary.json --metrics_port=9400");
  absl::ParseCommandLine(argc, argv);
  return fulcrum::Run();
}
