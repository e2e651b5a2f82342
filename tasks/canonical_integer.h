// Strict checks for answers written as non-negative integers. Verifiers use these so that exactly
// one spelling of a number earns reward: no sign, no leading zeros, no surrounding characters.
#ifndef FULCRUM_TASKS_CANONICAL_INTEGER_H_
#define FULCRUM_TASKS_CANONICAL_INTEGER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fulcrum {

// OK iff `text` is 1..max_length decimal digits without a leading zero ("0" itself is fine).
// The error message completes a sentence about the text: "has a leading zero", "is empty".
absl::Status CheckCanonicalInteger(std::string_view text, size_t max_length);

// CheckCanonicalInteger plus conversion; numbers beyond int64 are OUT_OF_RANGE.
absl::StatusOr<int64_t> ParseCanonicalInteger(std::string_view text);

// Describes one byte for an error message: the character if printable ASCII, else its hex code,
// so that a stray Unicode or control byte is visible in logs.
std::string DescribeByte(char c);

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_CANONICAL_INTEGER_H_
