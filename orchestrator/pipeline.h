// A pipeline file (fulcrum.v1.PipelineConfig in YAML) made ready to run. Loading checks what can
// be checked before anything starts, each error naming the file, the line of the stage and the
// key: unknown keys and wrong types (core/yaml_proto.h), duplicate or missing stage names, a stage
// without a kind, references to stages that do not come earlier (or are of the wrong kind), input
// files that neither exist nor are written by one of the pipeline's datasets, out_dir set by hand.
//
// Resolving then fills in what the pipeline decides: every stage's out_dir
// (runs_dir/<pipeline>/<stage>) and every reference to an earlier stage replaced by that stage's
// checkpoint root. The resolved pipeline is what runs/<name>/pipeline.json holds.
#ifndef FULCRUM_ORCHESTRATOR_PIPELINE_H_
#define FULCRUM_ORCHESTRATOR_PIPELINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fulcrum/v1/config.pb.h"

namespace fulcrum {

// Loads, checks and resolves the pipeline file at `path` (YAML, or the JSON of a resolved one).
absl::StatusOr<v1::PipelineConfig> LoadPipeline(const std::string& path);

// The files fulcrum-data writes into a dataset's folder.
const std::vector<std::string>& DatasetFiles();

// runs_dir/name.
std::string RunDir(const v1::PipelineConfig& pipeline);

// "sft", "rm", "dpo", "rl" or "eval".
std::string StageKind(const v1::StageConfig& stage);

// Where a stage writes its checkpoints: <run>/<stage>/checkpoints.
std::string CheckpointRoot(const v1::PipelineConfig& pipeline, const std::string& stage);

// The stage's steps as its config sets them (0 for eval).
int64_t StageSteps(const v1::StageConfig& stage);

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_PIPELINE_H_
