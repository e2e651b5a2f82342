#include "tasks/jsonl_writer.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace fulcrum {

std::string_view JsonlFormatName(JsonlFormat format) {
  switch (format) {
    case JsonlFormat::kSft:
      return "sft";
    case JsonlFormat::kPreference:
      return "preference";
    case JsonlFormat::kRl:
      return "rl";
  }
  return "unknown";
}

nlohmann::json ExampleToJson(const Example& example, JsonlFormat format) {
  const Problem& p = example.problem;
  switch (format) {
    case JsonlFormat::kSft:
      return {{"prompt", p.prompt}, {"response", absl::StrCat(p.response, example.sft_suffix)}};
    case JsonlFormat::kPreference:
      return {{"prompt", p.prompt}, {"chosen", p.response}, {"rejected", example.rejected}};
    case JsonlFormat::kRl:
      return {{"prompt", p.prompt}, {"ground_truth", p.ground_truth}};
  }
  return {};
}

std::string ToJsonl(const std::vector<Example>& examples, JsonlFormat format) {
  std::string out;
  for (const Example& example : examples) {
    absl::StrAppend(&out, ExampleToJson(example, format).dump(), "\n");
  }
  return out;
}

absl::StatusOr<std::vector<WrittenFile>> WriteDataset(const DatasetSplits& splits,
                                                      const std::string& out_dir) {
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("creating directory ", out_dir, ": ", error.message()));
  }
  const std::pair<std::string_view, const std::vector<Example>*> split_files[] = {
      {"train", &splits.train}, {"heldout", &splits.heldout}};
  std::vector<WrittenFile> written;
  for (JsonlFormat format : {JsonlFormat::kSft, JsonlFormat::kPreference, JsonlFormat::kRl}) {
    for (const auto& [split, examples] : split_files) {
      const std::string path =
          (std::filesystem::path(out_dir) /
           absl::StrFormat("%s_%s.jsonl", JsonlFormatName(format), split))
              .string();
      FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(path, ToJsonl(*examples, format)));
      written.push_back(WrittenFile{path, examples->size()});
    }
  }
  return written;
}

}  // namespace fulcrum
