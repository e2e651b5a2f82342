// What a run has done so far, kept in runs/<name>/state.json (rewritten atomically after every
// change): each stage's status (pending, running, done, failed, stopped), its wall-clock seconds,
// its summary once done, the error that stopped it, and the services of the run. `fulcrum status`
// reads it and `fulcrum run --resume` skips the stages it marks done.
#ifndef FULCRUM_ORCHESTRATOR_RUN_STATE_H_
#define FULCRUM_ORCHESTRATOR_RUN_STATE_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "fulcrum/v1/config.pb.h"

namespace fulcrum {

class RunState {
 public:
  // A new state with every stage pending, or the one on disk when `resume` (its done stages kept).
  static absl::StatusOr<RunState> Open(const v1::PipelineConfig& pipeline, bool resume);
  // The state on disk, for reading.
  static absl::StatusOr<RunState> Read(const std::string& run_dir);

  nlohmann::json& stage(const std::string& name);
  const nlohmann::json& json() const { return state_; }
  nlohmann::json& json() { return state_; }
  absl::Status Save() const;

  // runs/<name>/summary.json: the run's status and wall time and a `stages` list, each entry the
  // stage's own summary with its name, kind and wall_s.
  nlohmann::json Summary() const;

 private:
  std::string path_;
  nlohmann::json state_ = nlohmann::json::object();
};

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_RUN_STATE_H_
