#include "core/tokenizer_io.h"

#include <filesystem>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/char_tokenizer.h"
#include "core/file_util.h"
#include "core/sentencepiece_tokenizer.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

std::string JoinPath(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

absl::StatusOr<std::string> GetString(const nlohmann::json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end()) return absl::InvalidArgumentError(absl::StrCat("missing key '", key, "'"));
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key '", key, "' must be a string, got ", it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace

namespace {

// Builds the tokenizer `json` describes; `read_file` returns the bytes of a file it names and what
// to call them in errors.
absl::StatusOr<std::unique_ptr<Tokenizer>> BuildTokenizer(
    const nlohmann::json& json,
    const std::function<absl::StatusOr<std::pair<std::string, std::string>>(const std::string&)>& read_file) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a tokenizer description must be a JSON object, got ", json.type_name()));
  }
  FULCRUM_ASSIGN_OR_RETURN(const std::string type, GetString(json, "type"));
  if (type == "char") {
    if (!json.contains("charset")) return std::make_unique<CharTokenizer>();
    FULCRUM_ASSIGN_OR_RETURN(const std::string charset, GetString(json, "charset"));
    FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<CharTokenizer> tokenizer,
                             CharTokenizer::Create(charset));
    return tokenizer;
  }
  if (type == "sentencepiece") {
    FULCRUM_ASSIGN_OR_RETURN(const std::string model_file, GetString(json, "model_file"));
    FULCRUM_ASSIGN_OR_RETURN(auto model, read_file(model_file));
    FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<SentencePieceTokenizer> tokenizer,
                             SentencePieceTokenizer::FromSerializedModel(std::move(model.first), model.second));
    return tokenizer;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown tokenizer type '", type, "' (known types: char, sentencepiece)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> TokenizerFromJson(const nlohmann::json& json,
                                                             const std::string& dir) {
  return BuildTokenizer(json, [&](const std::string& name) -> absl::StatusOr<std::pair<std::string, std::string>> {
    const std::string path = JoinPath(dir, name);
    FULCRUM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
    return std::make_pair(std::move(bytes), path);
  });
}

absl::StatusOr<std::unique_ptr<Tokenizer>> TokenizerFromFiles(const std::map<std::string, std::string>& files,
                                                              const std::string& source) {
  const auto json_file = files.find(kTokenizerJsonFileName);
  if (json_file == files.end()) return absl::InvalidArgumentError(absl::StrCat(source, ": no ", kTokenizerJsonFileName));
  const auto json = nlohmann::json::parse(json_file->second, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(source, ": ", kTokenizerJsonFileName, " is not JSON"));
  auto tokenizer = BuildTokenizer(json, [&](const std::string& name) -> absl::StatusOr<std::pair<std::string, std::string>> {
    const auto it = files.find(name);
    if (it == files.end()) return absl::InvalidArgumentError(absl::StrCat("no file '", name, "'"));
    return std::make_pair(it->second, absl::StrCat(source, " ", name));
  });
  if (!tokenizer.ok()) return absl::Status(tokenizer.status().code(), absl::StrCat(source, ": ", tokenizer.status().message()));
  return tokenizer;
}

std::map<std::string, std::string> TokenizerFiles(const Tokenizer& tokenizer) {
  std::map<std::string, std::string> files;
  files[kTokenizerJsonFileName] = tokenizer.ToJson().dump(2) + "\n";
  if (const auto* sentencepiece = dynamic_cast<const SentencePieceTokenizer*>(&tokenizer)) {
    files[SentencePieceTokenizer::kModelFileName] = sentencepiece->serialized_model();
  }
  return files;
}

absl::Status SaveTokenizer(const Tokenizer& tokenizer, const std::string& dir) {
  for (const auto& [name, contents] : TokenizerFiles(tokenizer)) {
    FULCRUM_RETURN_IF_ERROR(WriteFileSynced(JoinPath(dir, name), contents));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& dir) {
  const std::string path = JoinPath(dir, kTokenizerJsonFileName);
  FULCRUM_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  // nlohmann::json reports parse errors only by exception; it stops here.
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer = TokenizerFromJson(json, dir);
  if (!tokenizer.ok()) {
    return absl::Status(tokenizer.status().code(),
                        absl::StrCat(path, ": ", tokenizer.status().message()));
  }
  return tokenizer;
}

}  // namespace fulcrum
