// Saves a tokenizer into a checkpoint-like directory and rebuilds it from there. The directory
// holds tokenizer.json (Tokenizer::ToJson) plus any file it names, e.g. a SentencePiece model.
#ifndef FULCRUM_CORE_TOKENIZER_IO_H_
#define FULCRUM_CORE_TOKENIZER_IO_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/tokenizer.h"
#include "nlohmann/json.hpp"

namespace fulcrum {

inline constexpr char kTokenizerJsonFileName[] = "tokenizer.json";

// Builds the tokenizer `json` describes: {"type": "char", "charset": "..."} (charset optional,
// default printable ASCII) or {"type": "sentencepiece", "model_file": "..."} with model_file
// relative to `dir`.
absl::StatusOr<std::unique_ptr<Tokenizer>> TokenizerFromJson(const nlohmann::json& json,
                                                             const std::string& dir);

// The same from the files TokenizerFiles returns, held in memory; `source` prefixes errors.
absl::StatusOr<std::unique_ptr<Tokenizer>> TokenizerFromFiles(const std::map<std::string, std::string>& files,
                                                              const std::string& source);

// The files that describe `tokenizer` (name -> contents): tokenizer.json, plus the model file of a
// SentencePiece tokenizer. Shaped for WriteCheckpoint (core/checkpoint.h).
std::map<std::string, std::string> TokenizerFiles(const Tokenizer& tokenizer);

// Writes TokenizerFiles(tokenizer) into the existing `dir`, each file fsynced.
absl::Status SaveTokenizer(const Tokenizer& tokenizer, const std::string& dir);

// Reads `dir`/tokenizer.json and builds the tokenizer it describes.
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& dir);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_TOKENIZER_IO_H_
