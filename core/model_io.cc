#include "core/model_io.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/status_macros.h"
#include "core/tokenizer_io.h"
#include "core/torch_status.h"

namespace fulcrum {

namespace {

// Metadata keys of a self-describing weights payload: the config as JSON, each tokenizer file base64.
constexpr char kConfigKey[] = "fulcrum.model_config";
constexpr char kTokenizerFilePrefix[] = "fulcrum.tokenizer_file.";

absl::StatusOr<std::string> ConfigJson(const v1::ModelConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(config, &json, options);
  if (!status.ok()) return absl::InternalError(absl::StrCat("encoding model config: ", status.ToString()));
  return json;
}

// Builds the model of `config_json` with `tokenizer` and copies `weights` in; `source` names the
// config and the weights in errors.
absl::StatusOr<LoadedModel> BuildModel(const std::string& config_json, std::unique_ptr<Tokenizer> tokenizer,
                                       const NamedTensors& weights, const std::string& config_source,
                                       const std::string& weights_source) {
  v1::ModelConfig config;
  auto parsed = google::protobuf::util::JsonStringToMessage(config_json, &config);
  if (!parsed.ok()) return absl::DataLossError(absl::StrCat(config_source, ": ", parsed.ToString()));
  auto resolved = ResolveModelConfig(config, tokenizer->vocab_size());
  if (!resolved.ok()) return absl::DataLossError(absl::StrCat(config_source, ": ", resolved.status().message()));
  LoadedModel loaded;
  loaded.tokenizer = std::move(tokenizer);
  FULCRUM_ASSIGN_OR_RETURN(loaded.model, TorchCall("building the model", [&] { return Gpt(*resolved); }));
  absl::Status status = loaded.model->LoadWeights(weights);
  if (!status.ok()) return absl::DataLossError(absl::StrCat(weights_source, ": ", status.message()));
  return loaded;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ModelFiles(const Gpt& model, const Tokenizer& tokenizer) {
  std::map<std::string, std::string> files = TokenizerFiles(tokenizer);
  FULCRUM_ASSIGN_OR_RETURN(files[kModelWeightsFile], SerializeSafetensors(model->NamedWeights()));
  FULCRUM_ASSIGN_OR_RETURN(files[kModelConfigFile], ConfigJson(model->config()));
  return files;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& dir) {
  const std::string config_path = absl::StrCat(dir, "/", kModelConfigFile);
  const std::string weights_path = absl::StrCat(dir, "/", kModelWeightsFile);
  FULCRUM_ASSIGN_OR_RETURN(std::string json, ReadFile(config_path));
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, LoadTokenizer(dir));
  FULCRUM_ASSIGN_OR_RETURN(SafetensorsFile weights, ReadSafetensors(weights_path));
  return BuildModel(json, std::move(tokenizer), weights.tensors, config_path, weights_path);
}

absl::StatusOr<std::map<std::string, std::string>> ModelMetadata(const Gpt& model, const Tokenizer& tokenizer) {
  std::map<std::string, std::string> metadata;
  FULCRUM_ASSIGN_OR_RETURN(metadata[kConfigKey], ConfigJson(model->config()));
  for (const auto& [name, contents] : TokenizerFiles(tokenizer)) {
    metadata[absl::StrCat(kTokenizerFilePrefix, name)] = absl::Base64Escape(contents);
  }
  return metadata;
}

absl::StatusOr<LoadedModel> ModelFromSafetensors(const SafetensorsFile& file, const std::string& source) {
  const auto config = file.metadata.find(kConfigKey);
  if (config == file.metadata.end()) {
    return absl::DataLossError(absl::StrCat(source, ": no model config in the metadata"));
  }
  std::map<std::string, std::string> tokenizer_files;
  for (const auto& [key, value] : file.metadata) {
    if (!absl::StartsWith(key, kTokenizerFilePrefix)) continue;
    std::string& contents = tokenizer_files[key.substr(sizeof(kTokenizerFilePrefix) - 1)];
    if (!absl::Base64Unescape(value, &contents)) {
      return absl::DataLossError(absl::StrCat(source, ": metadata '", key, "' is not base64"));
    }
  }
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, TokenizerFromFiles(tokenizer_files, source));
  return BuildModel(config->second, std::move(tokenizer), file.tensors, source, source);
}

}  // namespace fulcrum
