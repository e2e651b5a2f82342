// Typed readers for Fulcrum's three dataset formats, each a JSONL file of objects:
//   SFT          {"prompt", "response"}
//   preferences  {"prompt", "chosen", "rejected"}
//   RL prompts   {"prompt", "ground_truth"}
// Listed keys must be strings; other keys are ignored so users may keep ids or metadata alongside.
// Errors read like "data/sft.jsonl:17: missing key 'response'"; a file without examples is an
// error.
#ifndef FULCRUM_CORE_EXAMPLES_H_
#define FULCRUM_CORE_EXAMPLES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fulcrum {

struct SftExample {
  std::string prompt;
  std::string response;
};

struct PreferenceExample {
  std::string prompt;
  std::string chosen;
  std::string rejected;
};

struct RlPrompt {
  std::string prompt;
  std::string ground_truth;  // What the task's verifier checks a completion against.
};

absl::StatusOr<std::vector<SftExample>> ReadSftExamples(const std::string& path);
absl::StatusOr<std::vector<PreferenceExample>> ReadPreferenceExamples(const std::string& path);
absl::StatusOr<std::vector<RlPrompt>> ReadRlPrompts(const std::string& path);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_EXAMPLES_H_
