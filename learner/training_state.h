// What Fulcrum's training stages do alike around their losses, in one place so every stage starts,
// checkpoints and resumes the same way:
//   - the model a reward model or critic starts from: a trained trunk under a new head;
//   - the held-out subset an evaluation uses;
//   - a checkpoint's training state beside the model (docs/checkpoints.md): the optimizer's moments
//     in optimizer.safetensors and state.json with the step, the data cursor and the stage's own keys;
//   - the stage's output folder and its metrics.jsonl.
#ifndef FULCRUM_LEARNER_TRAINING_STATE_H_
#define FULCRUM_LEARNER_TRAINING_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/data_cursor.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "fulcrum/v1/config.pb.h"
#include "learner/metrics_log.h"
#include "learner/optimizer.h"

namespace fulcrum {

// A model of `config` holding every weight of `model` that it names too; the others (a head
// `model` lacks) keep their fresh initialization. `what` starts the error message ("building the
// critic").
absl::StatusOr<Gpt> RebuildWithConfig(const Gpt& model, const v1::ModelConfig& config, const char* what);

// Keeps the first `n` items; n <= 0 keeps them all (an eval_examples of 0).
template <typename T>
void KeepFirst(std::vector<T>& items, int n) {
  if (n > 0 && items.size() > static_cast<size_t>(n)) items.resize(n);
}

// Reads checkpoint `dir`'s state.json, restores `cursor` from it and `optimizer` from
// optimizer.safetensors, and returns the state: "step" is there, and the stage reads its own keys.
// DATA_LOSS when state.json has no step or cursor.
absl::StatusOr<nlohmann::json> RestoreTrainingState(const std::string& dir, DataCursor& cursor, Optimizer& optimizer);

// Writes the checkpoint of `step` under `root`: the model and tokenizer files, `optimizer`'s state,
// state.json ({"step", "cursor"} and the keys of `extras`, a JSON object or null) and `extra_files`
// (file name -> contents); then keeps the `keep` newest checkpoints (0: all of them).
absl::Status SaveTrainingCheckpoint(const std::string& root, int64_t step, const Gpt& model,
                                    const Tokenizer& tokenizer, const Optimizer& optimizer,
                                    const DataCursor& cursor, const nlohmann::json& extras, int keep,
                                    const std::map<std::string, std::string>& extra_files = {});

// Creates `out_dir` and opens its metrics.jsonl, dropping the records past `step`, the step a
// resumed run continues from (0 for a fresh one).
absl::StatusOr<std::unique_ptr<MetricsLog>> OpenStageOutput(const std::string& out_dir, int64_t step);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_TRAINING_STATE_H_
