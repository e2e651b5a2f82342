// Checkpoint directories on disk. A checkpoint is `<root>/step_<%08d>/` holding the files its
// writer chose (model.safetensors, model.json, tokenizer.json, optimizer.safetensors,
// state.json, ...); `<root>/LATEST` holds the name of the newest complete one. A directory is
// built under a `.tmp` name, fsynced and renamed into place before LATEST is rewritten, so a
// crash at any point leaves LATEST naming a complete checkpoint (or no LATEST at all).
//
// One writer per root: WriteCheckpoint and PruneCheckpoints must not run concurrently on the
// same root, since pruning removes unfinished `.tmp` directories. Readers may run at any time.
#ifndef FULCRUM_CORE_CHECKPOINT_H_
#define FULCRUM_CORE_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fulcrum {

// "step_00000042" for step 42.
std::string CheckpointDirName(int64_t step);

// The step of a canonical checkpoint directory name ("step_00000042" → 42); nullopt for
// anything else, including "step_42", "step_00000042.tmp" and full paths.
std::optional<int64_t> CheckpointStep(std::string_view dir_name);

// Writes `files` (file name → contents; plain names, no '/') as the checkpoint of `step`,
// replacing an existing checkpoint of the same step, then points LATEST at it even if a newer
// step exists: the caller's last write is the state to resume from. Creates `root` if needed.
// Returns the checkpoint directory's path.
absl::StatusOr<std::string> WriteCheckpoint(const std::string& root, int64_t step,
                                            const std::map<std::string, std::string>& files);

// The path of the checkpoint LATEST names. NOT_FOUND when `root` has no LATEST (nothing to
// resume from); DATA_LOSS when LATEST is malformed or names a directory that does not exist.
absl::StatusOr<std::string> LatestCheckpoint(const std::string& root);

// `dir` itself, or the checkpoint its LATEST names when `dir` is a checkpoint root. NOT_FOUND
// naming `dir` when it is not a directory.
absl::StatusOr<std::string> ResolveCheckpointDir(const std::string& dir);

// Paths of the complete checkpoints under `root`, oldest step first; empty if `root` is absent.
std::vector<std::string> ListCheckpoints(const std::string& root);

// Deletes all but the `keep` newest checkpoints, never the one LATEST names, and the leftovers
// of interrupted writes (`step_*.tmp` directories, `LATEST.tmp.*` files). Refuses (returns
// LatestCheckpoint's error) when LATEST exists but is broken, since it could not then tell which
// checkpoint must survive.
absl::Status PruneCheckpoints(const std::string& root, int keep);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_CHECKPOINT_H_
