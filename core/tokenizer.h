// The text <-> token-id mapping every Fulcrum model speaks. Concrete tokenizers are CharTokenizer
// (synthetic tasks) and SentencePieceTokenizer (natural text); core/tokenizer_io.h saves one next
// to a checkpoint and rebuilds it from there. Implementations are immutable after creation, so one
// instance may be shared by threads.
#ifndef FULCRUM_CORE_TOKENIZER_H_
#define FULCRUM_CORE_TOKENIZER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fulcrum {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Ids of `text`, without BOS or EOS. A character the vocabulary cannot represent is an error that
  // names the character and its byte offset, so bad data is reported instead of silently altered.
  virtual absl::StatusOr<std::vector<int>> Encode(std::string_view text) const = 0;

  // Text of `ids`. BOS, EOS and PAD produce nothing, so a padded or terminated sequence decodes to
  // its content; an id outside the vocabulary decodes to a visible replacement mark rather than
  // vanishing.
  virtual std::string Decode(const std::vector<int>& ids) const = 0;

  virtual int vocab_size() const = 0;
  virtual int bos_id() const = 0;
  virtual int eos_id() const = 0;
  virtual int pad_id() const = 0;

  // The description stored as tokenizer.json; TokenizerFromJson (core/tokenizer_io.h) inverts it.
  virtual nlohmann::json ToJson() const = 0;
};

// [BOS] + the ids of `prompt`: what generation starts from (SFT data, evaluation, rollout actors).
absl::StatusOr<std::vector<int>> EncodePrompt(const Tokenizer& tokenizer, std::string_view prompt);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_TOKENIZER_H_
