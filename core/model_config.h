// Resolves a ModelConfig from YAML (defaults filled, sizes checked) before a Gpt is built from it.
#ifndef FULCRUM_CORE_MODEL_CONFIG_H_
#define FULCRUM_CORE_MODEL_CONFIG_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "fulcrum/v1/config.pb.h"

namespace fulcrum {

// Fills zero fields with their documented defaults (vocab_size from `vocab_size`) and rejects
// sizes the model cannot take, naming the field.
absl::StatusOr<v1::ModelConfig> ResolveModelConfig(v1::ModelConfig config, int vocab_size);

// Parameters of the decoder (tied head counted once, value/score heads included).
int64_t CountParameters(const v1::ModelConfig& config);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_MODEL_CONFIG_H_
