// Runs a resolved pipeline into runs/<name>/: writes its datasets, then its stages in order, each
// as a fulcrum-learner child process (the RL stage also with its reward and reference servers and
// its actors, the eval stage with its selectors' reward servers) from the Launcher. While a stage
// runs it supervises every process (a crashed actor or service is restarted with backoff), shows
// one progress line per stage, and afterwards records the stage in state.json and summary.json,
// appends its metrics to the run's metrics.jsonl and redraws curves.svg / curves.png.
#ifndef FULCRUM_ORCHESTRATOR_PIPELINE_RUNNER_H_
#define FULCRUM_ORCHESTRATOR_PIPELINE_RUNNER_H_

#include <atomic>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "fulcrum/v1/config.pb.h"
#include "orchestrator/launcher.h"
#include "orchestrator/run_state.h"

namespace fulcrum {

class PipelineRunner {
 public:
  struct Options {
    std::string bin_dir;          // Where the fulcrum-* binaries are.
    std::string pipeline_source;  // The pipeline file as the user wrote it (copied into the run).
    bool resume = false;          // Continue the run in runs/<name>: done stages are skipped.
    int threads = 0;              // Cores to split; 0: launcher.threads, else every core.
    std::ostream* out = nullptr;  // Progress lines.
    std::string status_address;   // Where the run's Orchestrator service listens (shown and recorded).
    int metrics_port = 0;         // The orchestrator's; the processes it starts get the next ports.
  };
  PipelineRunner(v1::PipelineConfig pipeline, Options options);

  // Runs what is left of the pipeline. Completed stages' checkpoints stay whatever happens.
  absl::Status Run();
  // Asks Run to stop soon (from a signal thread): the running stage is stopped and kept resumable.
  void Stop() { stop_ = true; }

 private:
  absl::Status Prepare();
  absl::Status WriteDatasets();
  absl::Status RunStage(const v1::StageConfig& stage);
  // Starts the learner and everything the stage needs; waits for the learner to end.
  absl::Status Execute(const v1::StageConfig& stage, const std::string& stage_dir);
  void Report();
  void Say(const std::string& line);

  v1::PipelineConfig pipeline_;
  Options options_;
  std::string run_dir_;
  std::unique_ptr<Launcher> launcher_;
  std::unique_ptr<RunState> state_;
  std::atomic<bool> stop_{false};
};

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_PIPELINE_RUNNER_H_
