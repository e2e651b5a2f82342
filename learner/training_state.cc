#include "learner/training_state.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_io.h"
#include "core/safetensors.h"
#include "core/status_macros.h"
#include "core/torch_status.h"

namespace fulcrum {
namespace {

constexpr char kOptimizerFile[] = "optimizer.safetensors";
constexpr char kStateFile[] = "state.json";

}  // namespace

absl::StatusOr<Gpt> RebuildWithConfig(const Gpt& model, const v1::ModelConfig& config, const char* what) {
  FULCRUM_ASSIGN_OR_RETURN(Gpt out, TorchCall(what, [&] { return Gpt(config); }));
  std::map<std::string, torch::Tensor> trained;
  for (auto& [name, tensor] : model->NamedWeights()) trained[name] = tensor;
  NamedTensors weights = out->NamedWeights();
  for (auto& [name, tensor] : weights) {
    if (auto it = trained.find(name); it != trained.end()) tensor = it->second;
  }
  FULCRUM_RETURN_IF_ERROR(out->LoadWeights(weights));
  return out;
}

absl::StatusOr<nlohmann::json> RestoreTrainingState(const std::string& dir, DataCursor& cursor, Optimizer& optimizer) {
  FULCRUM_ASSIGN_OR_RETURN(std::string state_text, ReadFile(dir + "/" + kStateFile));
  auto state = nlohmann::json::parse(state_text, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.contains("step") || !state.contains("cursor")) {
    return absl::DataLossError(absl::StrCat(dir, "/", kStateFile, ": not a training state"));
  }
  FULCRUM_ASSIGN_OR_RETURN(DataCursor::State cursor_state, DataCursor::StateFromJson(state["cursor"]));
  FULCRUM_RETURN_IF_ERROR(cursor.Restore(cursor_state));
  FULCRUM_ASSIGN_OR_RETURN(SafetensorsFile optimizer_state, ReadSafetensors(dir + "/" + kOptimizerFile));
  FULCRUM_RETURN_IF_ERROR(optimizer.Restore(optimizer_state.tensors));
  return state;
}

absl::Status SaveTrainingCheckpoint(const std::string& root, int64_t step, const Gpt& model,
                                    const Tokenizer& tokenizer, const Optimizer& optimizer,
                                    const DataCursor& cursor, const nlohmann::json& extras, int keep,
                                    const std::map<std::string, std::string>& extra_files) {
  FULCRUM_ASSIGN_OR_RETURN(auto files, ModelFiles(model, tokenizer));
  FULCRUM_ASSIGN_OR_RETURN(files[kOptimizerFile], SerializeSafetensors(optimizer.State()));
  nlohmann::json state = extras.is_null() ? nlohmann::json::object() : extras;
  state["step"] = step;
  state["cursor"] = DataCursor::StateToJson(cursor.state());
  files[kStateFile] = state.dump(2);
  for (const auto& [name, contents] : extra_files) files[name] = contents;
  FULCRUM_RETURN_IF_ERROR(WriteCheckpoint(root, step, files).status());
  if (keep == 0) return absl::OkStatus();
  return PruneCheckpoints(root, keep);
}

absl::StatusOr<std::unique_ptr<MetricsLog>> OpenStageOutput(const std::string& out_dir, int64_t step) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("creating ", out_dir, ": ", ec.message()));
  return MetricsLog::Open(out_dir + "/metrics.jsonl", step);
}

}  // namespace fulcrum
