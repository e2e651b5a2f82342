// fulcrum-reference: serves per-token log-probs under a frozen checkpoint (fulcrum.v1.Reference).
//   fulcrum-reference --checkpoint=runs/demo/sft/checkpoints --port=0

#include <cstdint>
#include <iostream>
#include <limits>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "core/shutdown_signals.h"
#include "reference_server/reference_server.h"

ABSL_FLAG(std::string, checkpoint, "", "Checkpoint directory, or a checkpoint root whose LATEST is loaded.");
ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on (0.0.0.0 for every interface).");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 picks a free one (printed once serving).");
ABSL_FLAG(int, threads, 0, "Intra-op threads for LibTorch; 0 uses LibTorch's default.");
ABSL_FLAG(int, max_batch_sequences, 64, "Sequences scored per forward pass.");
ABSL_FLAG(int, max_queued_sequences, 1024, "Sequences that may wait; more are refused with RESOURCE_EXHAUSTED.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Fulcrum reference-model server.\n  fulcrum-reference --checkpoint=DIR --port=0");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_checkpoint).empty()) {
    std::cerr << "fulcrum-reference: pass --checkpoint=DIR (a checkpoint or a root with LATEST)\n";
    return 1;
  }
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > std::numeric_limits<uint16_t>::max()) {
    std::cerr << "fulcrum-reference: --port must be in [0, 65535], got " << port << "\n";
    return 1;
  }

  fulcrum::ShutdownSignals shutdown_signals;  // before gRPC and LibTorch start their threads

  fulcrum::ReferenceServer::Options options;
  options.checkpoint_dir = absl::GetFlag(FLAGS_checkpoint);
  options.listen_address = absl::StrCat(absl::GetFlag(FLAGS_host), ":", port);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.max_batch_sequences = absl::GetFlag(FLAGS_max_batch_sequences);
  options.max_queued_sequences = absl::GetFlag(FLAGS_max_queued_sequences);
  auto server = fulcrum::ReferenceServer::Create(options);
  if (!server.ok()) {
    std::cerr << "fulcrum-reference: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "fulcrum-reference serving " << (*server)->checkpoint() << "\n"
            << "fulcrum-reference listening on " << absl::GetFlag(FLAGS_host) << ":" << (*server)->port()
            << std::endl;

  const int received = shutdown_signals.Wait();
  std::cout << "fulcrum-reference: " << fulcrum::ShutdownSignals::Name(received) << ", shutting down"
            << std::endl;
  (*server)->Shutdown();
  (*server)->Wait();
  return 0;
}
