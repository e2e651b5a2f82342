// A character-level tokenizer for Fulcrum's synthetic tasks: one id per ASCII character, after the
// special ids PAD=0, BOS=1, EOS=2. Its vocabulary is small enough to store inline in
// tokenizer.json.
#ifndef FULCRUM_CORE_CHAR_TOKENIZER_H_
#define FULCRUM_CORE_CHAR_TOKENIZER_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tokenizer.h"
#include "nlohmann/json.hpp"

namespace fulcrum {

class CharTokenizer final : public Tokenizer {
 public:
  static constexpr int kPadId = 0;
  static constexpr int kBosId = 1;
  static constexpr int kEosId = 2;
  static constexpr int kFirstCharId = 3;

  // The printable ASCII characters, space (32) through '~' (126).
  static std::string PrintableAscii();

  // The charset is the vocabulary in id order: charset[i] gets id kFirstCharId + i. It must be
  // non-empty ASCII without repeats, so ids are unambiguous and tokenizer.json stays valid UTF-8.
  static absl::StatusOr<std::unique_ptr<CharTokenizer>> Create(std::string_view charset);

  // Tokenizes over PrintableAscii().
  CharTokenizer();

  absl::StatusOr<std::vector<int>> Encode(std::string_view text) const override;
  std::string Decode(const std::vector<int>& ids) const override;
  int vocab_size() const override { return kFirstCharId + static_cast<int>(charset_.size()); }
  int bos_id() const override { return kBosId; }
  int eos_id() const override { return kEosId; }
  int pad_id() const override { return kPadId; }
  // {"type": "char", "charset": "..."}
  nlohmann::json ToJson() const override;

  const std::string& charset() const { return charset_; }

 private:
  explicit CharTokenizer(std::string charset);

  std::string charset_;
  std::array<int, 256> id_of_byte_;  // -1 for bytes outside the charset.
};

}  // namespace fulcrum

#endif  // FULCRUM_CORE_CHAR_TOKENIZER_H_
