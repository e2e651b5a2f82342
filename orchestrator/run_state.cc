#include "orchestrator/run_state.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "orchestrator/pipeline.h"

namespace fulcrum {

absl::StatusOr<RunState> RunState::Read(const std::string& run_dir) {
  RunState state;
  state.path_ = (std::filesystem::path(run_dir) / "state.json").string();
  absl::StatusOr<std::string> text = ReadFile(state.path_);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(absl::StrCat(run_dir, " holds no run (no state.json)"));
  }
  FULCRUM_RETURN_IF_ERROR(text.status());
  state.state_ = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!state.state_.is_object() || !state.state_.contains("stages")) {
    return absl::DataLossError(absl::StrCat(state.path_, " is not a run state; was it edited by hand?"));
  }
  return state;
}

absl::StatusOr<RunState> RunState::Open(const v1::PipelineConfig& pipeline, bool resume) {
  const std::string run_dir = RunDir(pipeline);
  RunState state;
  if (resume) {
    FULCRUM_ASSIGN_OR_RETURN(state, Read(run_dir));
  } else {
    state.path_ = (std::filesystem::path(run_dir) / "state.json").string();
  }
  nlohmann::json stages = nlohmann::json::array();
  for (const v1::StageConfig& config : pipeline.stages()) {
    nlohmann::json entry = {
        {"name", config.name()}, {"kind", StageKind(config)}, {"status", "pending"}, {"steps", StageSteps(config)}};
    for (const nlohmann::json& old : state.state_.value("stages", nlohmann::json::array())) {
      if (old.value("name", "") == config.name() && old.value("status", "") == "done") entry = old;
    }
    stages.push_back(entry);
  }
  state.state_["name"] = pipeline.name();
  state.state_["stages"] = stages;
  state.state_["status"] = "running";
  return state;
}

nlohmann::json& RunState::stage(const std::string& name) {
  for (nlohmann::json& entry : state_["stages"]) {
    if (entry.value("name", "") == name) return entry;
  }
  state_["stages"].push_back({{"name", name}});
  return state_["stages"].back();
}

absl::Status RunState::Save() const { return WriteFileAtomic(path_, state_.dump(2) + "\n"); }

nlohmann::json RunState::Summary() const {
  nlohmann::json stages = nlohmann::json::array();
  double wall = 0;
  for (const nlohmann::json& entry : state_["stages"]) {
    nlohmann::json item = entry.value("summary", nlohmann::json::object());
    item.erase("stage");
    item["name"] = entry.value("name", "");
    item["kind"] = entry.value("kind", "");
    item["status"] = entry.value("status", "");
    item["wall_s"] = entry.value("wall_s", 0.0);
    if (entry.contains("error")) item["error"] = entry["error"];
    wall += entry.value("wall_s", 0.0);
    stages.push_back(item);
  }
  return {{"name", state_.value("name", "")}, {"status", state_.value("status", "")}, {"wall_s", wall},
          {"stages", stages}};
}

}  // namespace fulcrum
