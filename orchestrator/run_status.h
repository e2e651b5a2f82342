// A run's status as `fulcrum status` shows it, read from the run folder (state.json and the running
// stage's metrics.jsonl). The orchestrator's Orchestrator service serves the same message.
#ifndef FULCRUM_ORCHESTRATOR_RUN_STATUS_H_
#define FULCRUM_ORCHESTRATOR_RUN_STATUS_H_

#include <string>

#include "absl/status/statusor.h"
#include "fulcrum/v1/orchestrator.pb.h"

namespace fulcrum {

absl::StatusOr<v1::RunStatus> ReadRunStatus(const std::string& run_dir);

// One line for the run, one per stage (status, wall time, headline numbers or progress, error),
// one per live process.
std::string FormatRunStatus(const v1::RunStatus& status);

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_RUN_STATUS_H_
