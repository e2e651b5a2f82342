#include "orchestrator/run_status.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "orchestrator/run_state.h"
#include "orchestrator/stage_progress.h"

namespace fulcrum {
namespace {

// A stage's headline numbers, as its summary names them.
std::string Headline(const std::string& summary_json) {
  const nlohmann::json summary = nlohmann::json::parse(summary_json, nullptr, false);
  if (!summary.is_object()) return "";
  std::string line;
  for (const char* key : {"heldout_accuracy", "heldout_pairwise_accuracy", "heldout_accuracy_before",
                          "heldout_accuracy_after", "accuracy", "reward_mean_last", "kl_last"}) {
    if (summary.contains(key) && summary[key].is_number()) {
      absl::StrAppend(&line, absl::StrFormat("  %s %.3f", key, summary[key].get<double>()));
    }
  }
  for (const char* key : {"pass_at_k", "best_of_n"}) {
    if (summary.contains(key)) absl::StrAppend(&line, "  ", key, " ", summary[key].dump());
  }
  return line;
}

}  // namespace

absl::StatusOr<v1::RunStatus> ReadRunStatus(const std::string& run_dir) {
  FULCRUM_ASSIGN_OR_RETURN(const RunState state, RunState::Read(run_dir));
  const nlohmann::json& json = state.json();
  v1::RunStatus status;
  status.set_name(json.value("name", ""));
  status.set_status(json.value("status", ""));
  status.set_run_dir(run_dir);
  for (const nlohmann::json& entry : json["stages"]) {
    v1::StageStatus* stage = status.add_stages();
    stage->set_name(entry.value("name", ""));
    stage->set_kind(entry.value("kind", ""));
    stage->set_status(entry.value("status", ""));
    stage->set_wall_s(entry.value("wall_s", 0.0));
    if (entry.contains("summary")) stage->set_summary_json(entry["summary"].dump());
    if (entry.contains("error")) stage->set_error(entry.value("error", ""));
    if (stage->status() == "running") {
      StageProgress progress(stage->name(), (std::filesystem::path(run_dir) / stage->name() / "metrics.jsonl").string(),
                             entry.value("steps", int64_t{0}));
      progress.Poll(0);
      stage->set_progress(progress.Line(/*with_rate=*/false));
    }
  }
  for (const nlohmann::json& entry : json.value("processes", nlohmann::json::array())) {
    v1::ProcessStatus* process = status.add_processes();
    process->set_name(entry.value("name", ""));
    process->set_pid(entry.value("pid", 0));
    process->set_address(entry.value("address", ""));
    process->set_log(entry.value("log", ""));
  }
  return status;
}

std::string FormatRunStatus(const v1::RunStatus& status) {
  std::string text = absl::StrCat("run ", status.name(), ": ", status.status(), " (", status.run_dir(), ")\n");
  for (const v1::StageStatus& stage : status.stages()) {
    absl::StrAppend(&text, absl::StrFormat("  %-10s %-5s %-8s %6.0f s", stage.name(), stage.kind(), stage.status(),
                                           stage.wall_s()));
    absl::StrAppend(&text, Headline(stage.summary_json()));
    if (!stage.progress().empty()) absl::StrAppend(&text, "  ", stage.progress());
    if (!stage.error().empty()) absl::StrAppend(&text, "\n      ", stage.error());
    absl::StrAppend(&text, "\n");
  }
  for (const v1::ProcessStatus& process : status.processes()) {
    absl::StrAppend(&text, absl::StrFormat("  process %-28s pid %-7d %-22s %s\n", process.name(), process.pid(),
                                           process.address(), process.log()));
  }
  return text;
}

}  // namespace fulcrum
