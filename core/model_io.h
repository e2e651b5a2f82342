// A model as files in a checkpoint directory: model.safetensors (weights), model.json (its
// ModelConfig) and the tokenizer's files. Every role loads models through here.
#ifndef FULCRUM_CORE_MODEL_IO_H_
#define FULCRUM_CORE_MODEL_IO_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/gpt.h"
#include "core/safetensors.h"
#include "core/tokenizer.h"

namespace fulcrum {

inline constexpr char kModelWeightsFile[] = "model.safetensors";
inline constexpr char kModelConfigFile[] = "model.json";

// File name -> bytes, ready for WriteCheckpoint.
absl::StatusOr<std::map<std::string, std::string>> ModelFiles(const Gpt& model, const Tokenizer& tokenizer);

struct LoadedModel {
  Gpt model{nullptr};
  std::unique_ptr<Tokenizer> tokenizer;
};

// Loads a checkpoint directory written with ModelFiles. Errors name the directory and the file.
absl::StatusOr<LoadedModel> LoadModel(const std::string& dir);

// A model as one self-describing safetensors payload, the form a policy version travels in from the
// learner to actors: the weights, with the model config and the tokenizer's files in the metadata.
absl::StatusOr<std::map<std::string, std::string>> ModelMetadata(const Gpt& model, const Tokenizer& tokenizer);
// Rebuilds a model from such a payload; `source` (e.g. "weights v12") prefixes errors.
absl::StatusOr<LoadedModel> ModelFromSafetensors(const SafetensorsFile& file, const std::string& source);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_MODEL_IO_H_
