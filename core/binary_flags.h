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

// For --check: with `status` (the binary's own checks) OK, also checks the shared flags; prints
// "<binary>: flags ok" and returns 0, or "<binary>: <message>" and 1.
int ReportCheck(const std::string& binary, const absl::Status& status);

// What a serving binary does between checking its flags and starting its server: serves metrics
// (--metrics_port on `host`), then waits until --wait_for's file exists (at once without the flag),
// saying so once. The metrics server to keep, or CANCELLED when SIGINT / SIGTERM came while
// waiting, or why metrics could not be served.
absl::StatusOr<std::unique_ptr<MetricsServer>> PrepareToServe(const std::string& binary, const std::string& host,
                                                              ShutdownSignals& signals);
// PrepareToServe's error as the binary's exit: 0 for a signal while waiting, else 1; one line either way.
int ExitBeforeServing(const std::string& binary, const absl::Status& status);

// Port flags: an error naming the flag unless 0 <= port <= 65535.
absl::Status CheckPortFlag(const std::string& flag, int port);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_BINARY_FLAGS_H_
