// Draws the training curves of a pipeline run into one picture for the run report. Each stage's
// metrics.jsonl (one JSON object a line: training records with "step" and the stage's numbers,
// evaluation records with "kind":"eval") becomes one row of panels, drawn by Debian's gnuplot.
// A missing picture never fails a run: the orchestrator logs the error and carries on.
#ifndef FULCRUM_ORCHESTRATOR_CURVES_H_
#define FULCRUM_ORCHESTRATOR_CURVES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace fulcrum {

struct StageCurves {
  std::string name;          // the stage's name, shown in the panel titles ("sft: loss")
  std::string kind;          // sft | rm | dpo | rl | eval
  std::string metrics_path;  // its metrics.jsonl
};

// Draws every stage with metrics into `out_path` (".svg" or ".png"): one row per stage, with a panel
// for each of loss, reward (reward_mean), KL and accuracy that the stage logged, against step.
// Training series are drawn raw (faint) and smoothed; held-out numbers (heldout_loss, heldout_accuracy,
// heldout_pairwise_accuracy, heldout_preference_accuracy) as points. Eval-only stages, stages whose
// metrics file does not exist yet and a KL that is zero throughout (no reference) are left out.
// Resumed runs may log a step twice; the later record wins.
//
// Writes `<out_path minus extension>.dat` and `.gp` beside the picture (run `gnuplot X.gp` to redraw
// it by hand) and runs gnuplot with a timeout. Errors: FAILED_PRECONDITION when gnuplot is not
// installed; INVALID_ARGUMENT for a malformed metrics file ("path:line: ...") or another extension;
// NOT_FOUND when no stage has metrics; INTERNAL with gnuplot's stderr when it fails.
absl::Status WriteCurves(const std::vector<StageCurves>& stages, const std::string& out_path);

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_CURVES_H_
