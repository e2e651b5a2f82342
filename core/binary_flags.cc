#include "core/binary_flags.h"

#include <filesystem>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int32_t, metrics_port, 0, "Serve Prometheus metrics at http://<host>:<port>/metrics; 0: none.");
ABSL_FLAG(bool, check, false, "Check the flags and the files they name, print ok or the mistake, and exit.");
ABSL_FLAG(std::string, wait_for, "",
          "Before loading the checkpoint, wait until this file exists (e.g. the training stage's summary.json).");

namespace fulcrum {
namespace {

absl::Status WaitForFileFlag(const std::string& binary, ShutdownSignals& signals) {
  const std::string path = absl::GetFlag(FLAGS_wait_for);
  bool said = false;
  while (!path.empty() && !std::filesystem::exists(path)) {
    if (!said) std::cout << binary << " waiting for " << path << std::endl;
    said = true;
    if (const int received = signals.WaitFor(absl::Seconds(2)); received != 0) {
      return absl::CancelledError(absl::StrCat(ShutdownSignals::Name(received), " while waiting for ", path));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> ServeMetricsFromFlags(const std::string& binary,
                                                                     const std::string& host) {
  const int port = absl::GetFlag(FLAGS_metrics_port);
  if (port == 0) return nullptr;
  if (absl::Status status = CheckPortFlag("--metrics_port", port); !status.ok()) return status;
  absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(host, port);
  if (server.ok()) std::cout << binary << " metrics on " << host << ":" << (*server)->port() << std::endl;
  return server;
}

int ReportCheck(const std::string& binary, const absl::Status& status) {
  const absl::Status checked =
      status.ok() ? CheckPortFlag("--metrics_port", absl::GetFlag(FLAGS_metrics_port)) : status;
  if (!checked.ok()) {
    std::cerr << binary << ": " << checked.message() << std::endl;
    return 1;
  }
  std::cout << binary << ": flags ok" << std::endl;
  return 0;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> PrepareToServe(const std::string& binary, const std::string& host,
                                                              ShutdownSignals& signals) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics = ServeMetricsFromFlags(binary, host);
  if (!metrics.ok()) return metrics.status();
  if (absl::Status waited = WaitForFileFlag(binary, signals); !waited.ok()) return waited;
  return metrics;
}

int ExitBeforeServing(const std::string& binary, const absl::Status& status) {
  if (absl::IsCancelled(status)) {
    std::cout << binary << ": " << status.message() << ", shutting down" << std::endl;
    return 0;
  }
  std::cerr << binary << ": " << status.message() << std::endl;
  return 1;
}

absl::Status CheckPortFlag(const std::string& flag, int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " must be in [0, 65535], got ", port));
  }
  return absl::OkStatus();
}

}  // namespace fulcrum
