// The flags every Fulcrum binary has besides its own:
//   --metrics_port=N  serve Prometheus /metrics on the binary's --host at port N (0: none).
//   --check           parse the flags and the files they name, say "ok" or what is wrong, and exit;
//                     deployments (compose, Kubernetes) check their commands with it.
//   --wait_for=PATH   servers that load a checkpoint: wait until PATH exists before loading it (the
//                     summary.json of the stage that trains it), so they can start before that stage.
#ifndef FULCRUM_CORE_BINARY_FLAGS_H_
#define FULCRUM_CORE_BINARY_FLAGS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/metrics.h"
#include "core/shutdown_signals.h"

ABSL_DECLARE_FLAG(int32_t, metrics_port);
ABSL_DECLARE_FLAG(bool, check);
ABSL_DECLARE_FLAG(std::string, wait_for);

namespace fulcrum {

// The metrics server --metrics_port asks for, on `host`, announced as "<binary> metrics on
// <host>:<port>"; nullptr when --metrics_port is 0.
absl::StatusOr<std::unique_ptr<MetricsServer>> ServeMetricsFromFlags(const std::string& binary,
                                                                     const std::string& host);

// For --check: prints "<binary>: flags ok" and returns 0, or "<binary>: <message>" and 1.
int ReportCheck(const std::string& binary, const absl::Status& status);

// Waits until --wait_for's file exists (at once when the flag is empty), saying so once. Cancelled
// when SIGINT / SIGTERM arrives meanwhile.
absl::Status WaitForFileFlag(const std::string& binary, ShutdownSignals& signals);

// Port flags: an error naming the flag unless 0 <= port <= 65535.
absl::Status CheckPortFlag(const std::string& flag, int port);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_BINARY_FLAGS_H_
