// Writes drawn splits as JSONL in the formats post-training tools already read:
//   SFT         {"prompt": ..., "response": ...}
//   preference  {"prompt": ..., "chosen": ..., "rejected": ...}
//   RL          {"prompt": ..., "ground_truth": ...}
// The only part of tasks/ that touches the file system.
#ifndef FULCRUM_TASKS_JSONL_WRITER_H_
#define FULCRUM_TASKS_JSONL_WRITER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tasks/split_sampler.h"

namespace fulcrum {

enum class JsonlFormat { kSft, kPreference, kRl };

// "sft", "preference" or "rl": the file name prefix.
std::string_view JsonlFormatName(JsonlFormat format);

nlohmann::json ExampleToJson(const Example& example, JsonlFormat format);

// One JSON object per line, each line ending in '\n'.
std::string ToJsonl(const std::vector<Example>& examples, JsonlFormat format);

struct WrittenFile {
  std::string path;
  size_t lines = 0;
};

// Creates `out_dir` if needed and writes <format>_{train,heldout}.jsonl for every format, each
// file replaced atomically. Returns the files in the order written.
absl::StatusOr<std::vector<WrittenFile>> WriteDataset(const DatasetSplits& splits,
                                                      const std::string& out_dir);

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_JSONL_WRITER_H_
