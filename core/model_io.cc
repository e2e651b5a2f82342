#include "core/model_io.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/status_macros.h"
#include "core/tokenizer_io.h"
#include "core/torch_status.h"

namespace fulcrum {

absl::StatusOr<std::map<std::string, std::string>> ModelFiles(const Gpt& model, const Tokenizer& tokenizer) {
  std::map<std::string, std::string> files = TokenizerFiles(tokenizer);
  FULCRUM_ASSIGN_OR_RETURN(files[kModelWeightsFile], SerializeSafetensors(model->NamedWeights()));
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(model->config(), &json, options);
  if (!status.ok()) return absl::InternalError(absl::StrCat("encoding model config: ", status.ToString()));
  files[kModelConfigFile] = json;
  return files;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& dir) {
  const std::string config_path = absl::StrCat(dir, "/", kModelConfigFile);
  FULCRUM_ASSIGN_OR_RETURN(std::string json, ReadFile(config_path));
  v1::ModelConfig config;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &config);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat(config_path, ": ", parsed.ToString()));
  }
  LoadedModel loaded;
  FULCRUM_ASSIGN_OR_RETURN(loaded.tokenizer, LoadTokenizer(dir));
  auto resolved = ResolveModelConfig(config, loaded.tokenizer->vocab_size());
  if (!resolved.ok()) return absl::DataLossError(absl::StrCat(config_path, ": ", resolved.status().message()));
  FULCRUM_ASSIGN_OR_RETURN(SafetensorsFile weights, ReadSafetensors(absl::StrCat(dir, "/", kModelWeightsFile)));
  FULCRUM_ASSIGN_OR_RETURN(loaded.model, TorchCall("building the model", [&] { return Gpt(*resolved); }));
  absl::Status status = loaded.model->LoadWeights(weights.tensors);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(dir, "/", kModelWeightsFile, ": ", status.message()));
  }
  return loaded;
}

}  // namespace fulcrum
