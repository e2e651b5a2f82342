#include "core/char_tokenizer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

// U+FFFD, the Unicode replacement character.
constexpr char kReplacementMark[] = "\xEF\xBF\xBD";

}  // namespace

std::string CharTokenizer::PrintableAscii() {
  std::string charset;
  for (char c = ' '; c <= '~'; ++c) charset.push_back(c);
  return charset;
}

absl::StatusOr<std::unique_ptr<CharTokenizer>> CharTokenizer::Create(std::string_view charset) {
  if (charset.empty()) return absl::InvalidArgumentError("char tokenizer: the charset is empty");
  std::array<bool, 256> seen{};
  for (size_t i = 0; i < charset.size(); ++i) {
    const auto byte = static_cast<unsigned char>(charset[i]);
    const std::string shown = absl::CHexEscape(absl::string_view(&charset[i], 1));
    if (byte >= 128) {
      return absl::InvalidArgumentError(
          absl::StrCat("char tokenizer: charset byte ", i, " ('", shown, "') is not ASCII"));
    }
    if (seen[byte]) {
      return absl::InvalidArgumentError(
          absl::StrCat("char tokenizer: charset repeats '", shown, "' at byte ", i));
    }
    seen[byte] = true;
  }
  return std::unique_ptr<CharTokenizer>(new CharTokenizer(std::string(charset)));
}

CharTokenizer::CharTokenizer() : CharTokenizer(PrintableAscii()) {}

CharTokenizer::CharTokenizer(std::string charset) : charset_(std::move(charset)) {
  id_of_byte_.fill(-1);
  for (size_t i = 0; i < charset_.size(); ++i) {
    id_of_byte_[static_cast<unsigned char>(charset_[i])] = kFirstCharId + static_cast<int>(i);
  }
}

absl::StatusOr<std::vector<int>> CharTokenizer::Encode(std::string_view text) const {
  std::vector<int> ids;
  ids.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int id = id_of_byte_[static_cast<unsigned char>(text[i])];
    if (id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "char tokenizer: character '", absl::CHexEscape(absl::string_view(&text[i], 1)),
          "' at byte ", i, " is not in the vocabulary"));
    }
    ids.push_back(id);
  }
  return ids;
}

std::string CharTokenizer::Decode(const std::vector<int>& ids) const {
  std::string text;
  text.reserve(ids.size());
  for (int id : ids) {
    if (id == kPadId || id == kBosId || id == kEosId) continue;
    if (id < kFirstCharId || id >= vocab_size()) {
      text += kReplacementMark;
      continue;
    }
    text.push_back(charset_[id - kFirstCharId]);
  }
  return text;
}

nlohmann::json CharTokenizer::ToJson() const {
  return nlohmann::json{{"type", "char"}, {"charset", charset_}};
}

}  // namespace fulcrum
