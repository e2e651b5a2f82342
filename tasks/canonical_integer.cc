#include "tasks/canonical_integer.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fulcrum {

std::string DescribeByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrFormat("byte 0x%02x", byte);
}

absl::Status CheckCanonicalInteger(std::string_view text, size_t max_length) {
  if (text.empty()) return absl::InvalidArgumentError("is empty");
  if (text.size() > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", text.size(), " characters (at most ", max_length, " allowed)"));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("has unexpected ", DescribeByte(text[i]), " at position ", i));
    }
  }
  if (text.size() > 1 && text[0] == '0') {
    return absl::InvalidArgumentError("has a leading zero");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseCanonicalInteger(std::string_view text) {
  constexpr size_t kMaxInt64Digits = 19;
  if (absl::Status status = CheckCanonicalInteger(text, kMaxInt64Digits); !status.ok()) {
    return status;
  }
  int64_t value = 0;
  for (char c : text) {
    if (value > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) {
      return absl::OutOfRangeError("does not fit in 64 bits");
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace fulcrum
