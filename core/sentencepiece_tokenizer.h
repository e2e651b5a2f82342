// A subword tokenizer for natural text: a trained SentencePiece model (BPE or unigram). The model
// must define BOS, EOS and PAD pieces; Fulcrum pads batches and terminates sequences with them.
//
// SentencePiece runs inside the plugin libfulcrum_sentencepiece.so (core/sentencepiece/), loaded on
// first use from the directory of the running binary or the dynamic loader's search path; see
// sentencepiece_plugin.h for why it cannot be linked directly. Without the plugin every factory
// here fails with FAILED_PRECONDITION, and the rest of Fulcrum works as before.
#ifndef FULCRUM_CORE_SENTENCEPIECE_TOKENIZER_H_
#define FULCRUM_CORE_SENTENCEPIECE_TOKENIZER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tokenizer.h"
#include "nlohmann/json.hpp"

struct FulcrumSpmModel;

namespace fulcrum {

struct SentencePiecePlugin;

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // The file name SaveTokenizer gives the model inside a checkpoint directory.
  static constexpr char kModelFileName[] = "tokenizer.model";

  // Loads a .model file as written by spm_train or Train().
  static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> FromFile(const std::string& path);
  // Loads the bytes of a .model file; `source` names them in errors.
  static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> FromSerializedModel(
      std::string model, const std::string& source);

  // Trains a model on `sentences` and returns its .model bytes. `options` are SentencePieceTrainer
  // flags without dashes, e.g. {"model_type", "bpe"}, {"vocab_size", "8000"}, {"pad_id", "0"}.
  static absl::StatusOr<std::string> Train(const std::vector<std::string>& sentences,
                                           const std::map<std::string, std::string>& options);

  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;
  ~SentencePieceTokenizer() override;

  // Pieces the model does not know become its UNK id (or bytes, for byte-fallback models): that is
  // SentencePiece's contract, so an error here means a broken model, not unusual text.
  absl::StatusOr<std::vector<int>> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int>& ids) const override;
  int vocab_size() const override { return vocab_size_; }
  int bos_id() const override { return bos_id_; }
  int eos_id() const override { return eos_id_; }
  int pad_id() const override { return pad_id_; }
  // {"type": "sentencepiece", "model_file": kModelFileName}
  nlohmann::json ToJson() const override;

  // The .model file's bytes, for saving next to a checkpoint.
  const std::string& serialized_model() const { return serialized_model_; }

 private:
  SentencePieceTokenizer(const SentencePiecePlugin* plugin, FulcrumSpmModel* model,
                         std::string serialized_model);

  const SentencePiecePlugin* plugin_;
  FulcrumSpmModel* model_;  // Owned; released through the plugin.
  std::string serialized_model_;
  int vocab_size_;
  int unk_id_;
  int bos_id_;
  int eos_id_;
  int pad_id_;
};

}  // namespace fulcrum

#endif  // FULCRUM_CORE_SENTENCEPIECE_TOKENIZER_H_
