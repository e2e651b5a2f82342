#include "core/examples.h"

#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/jsonl.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace fulcrum {
namespace {

absl::Status GetString(const nlohmann::json& object, const char* key, std::string* out) {
  const auto it = object.find(key);
  if (it == object.end())
    return absl::InvalidArgumentError(absl::StrCat("missing key '", key, "'"));
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key '", key, "' must be a string, got ", it->type_name()));
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// Reads every object of `path` into an Example with `parse`; at least one is required.
template <typename Example>
absl::StatusOr<std::vector<Example>> ReadExamples(
    const std::string& path,
    const std::function<absl::Status(const nlohmann::json&, Example*)>& parse) {
  std::vector<Example> examples;
  FULCRUM_RETURN_IF_ERROR(
      ForEachJsonlObject(path, kDefaultMaxJsonlLineBytes, [&](const nlohmann::json& object) {
        Example example;
        FULCRUM_RETURN_IF_ERROR(parse(object, &example));
        examples.push_back(std::move(example));
        return absl::OkStatus();
      }));
  if (examples.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no examples"));
  return examples;
}

}  // namespace

absl::StatusOr<std::vector<SftExample>> ReadSftExamples(const std::string& path) {
  return ReadExamples<SftExample>(path, [](const nlohmann::json& object, SftExample* example) {
    FULCRUM_RETURN_IF_ERROR(GetString(object, "prompt", &example->prompt));
    return GetString(object, "response", &example->response);
  });
}

absl::StatusOr<std::vector<PreferenceExample>> ReadPreferenceExamples(const std::string& path) {
  return ReadExamples<PreferenceExample>(
      path, [](const nlohmann::json& object, PreferenceExample* example) {
        FULCRUM_RETURN_IF_ERROR(GetString(object, "prompt", &example->prompt));
        FULCRUM_RETURN_IF_ERROR(GetString(object, "chosen", &example->chosen));
        return GetString(object, "rejected", &example->rejected);
      });
}

absl::StatusOr<std::vector<RlPrompt>> ReadRlPrompts(const std::string& path) {
  return ReadExamples<RlPrompt>(path, [](const nlohmann::json& object, RlPrompt* example) {
    FULCRUM_RETURN_IF_ERROR(GetString(object, "prompt", &example->prompt));
    return GetString(object, "ground_truth", &example->ground_truth);
  });
}

}  // namespace fulcrum
