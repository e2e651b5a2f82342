#include "core/sentencepiece_tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/sentencepiece/sentencepiece_plugin.h"
#include "core/status_macros.h"
#include "glog/logging.h"

namespace fulcrum {

// The plugin's entry points.
struct SentencePiecePlugin {
  FulcrumSpmLoadFn load;
  FulcrumSpmFreeFn free;
  FulcrumSpmSpecialIdsFn special_ids;
  FulcrumSpmEncodeFn encode;
  FulcrumSpmDecodeFn decode;
  FulcrumSpmTrainFn train;
};

namespace {

constexpr char kPluginFileName[] = "libfulcrum_sentencepiece.so";

struct FreeDeleter {
  void operator()(void* buffer) const { std::free(buffer); }
};
template <typename T>
using MallocPtr = std::unique_ptr<T, FreeDeleter>;

template <typename Fn>
bool Resolve(void* handle, const char* name, Fn* fn) {
  *fn = reinterpret_cast<Fn>(dlsym(handle, name));
  return *fn != nullptr;
}

absl::StatusOr<SentencePiecePlugin> OpenPlugin() {
  std::vector<std::string> candidates;
  std::error_code error;
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back((binary.parent_path() / kPluginFileName).string());
  candidates.push_back(kPluginFileName);  // LD_LIBRARY_PATH and the system library directories.
  std::vector<std::string> failures;
  for (const std::string& candidate : candidates) {
    // RTLD_DEEPBIND makes libsentencepiece bind its embedded protobuf before the process's one.
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (handle == nullptr) {
      failures.push_back(dlerror());
      continue;
    }
    // The handle stays open for the life of the process: tokenizers may outlive any owner.
    SentencePiecePlugin plugin;
    if (!Resolve(handle, "fulcrum_spm_load", &plugin.load) ||
        !Resolve(handle, "fulcrum_spm_free", &plugin.free) ||
        !Resolve(handle, "fulcrum_spm_special_ids", &plugin.special_ids) ||
        !Resolve(handle, "fulcrum_spm_encode", &plugin.encode) ||
        !Resolve(handle, "fulcrum_spm_decode", &plugin.decode) ||
        !Resolve(handle, "fulcrum_spm_train", &plugin.train)) {
      return absl::FailedPreconditionError(
          absl::StrCat(candidate, " is not a Fulcrum SentencePiece plugin: ", dlerror()));
    }
    return plugin;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "SentencePiece tokenizers need ", kPluginFileName,
      " next to the Fulcrum binary or on the library path: ", absl::StrJoin(failures, "; ")));
}

absl::StatusOr<const SentencePiecePlugin*> Plugin() {
  static const auto* const plugin = new absl::StatusOr<SentencePiecePlugin>(OpenPlugin());
  if (!plugin->ok()) return plugin->status();
  return &**plugin;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::FromFile(
    const std::string& path) {
  FULCRUM_ASSIGN_OR_RETURN(std::string model, ReadFile(path));
  return FromSerializedModel(std::move(model), path);
}

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::FromSerializedModel(
    std::string model, const std::string& source) {
  FULCRUM_ASSIGN_OR_RETURN(const SentencePiecePlugin* plugin, Plugin());
  char* raw_error = nullptr;
  FulcrumSpmModel* loaded = plugin->load(model.data(), model.size(), &raw_error);
  const MallocPtr<char> error(raw_error);
  if (loaded == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("loading SentencePiece model ", source, ": ", error.get()));
  }
  auto tokenizer = std::unique_ptr<SentencePieceTokenizer>(
      new SentencePieceTokenizer(plugin, loaded, std::move(model)));
  const std::pair<const char*, int> required[] = {
      {"bos", tokenizer->bos_id_}, {"eos", tokenizer->eos_id_}, {"pad", tokenizer->pad_id_}};
  for (const auto& [name, id] : required) {
    if (id < 0) {
      return absl::InvalidArgumentError(absl::StrCat("SentencePiece model ", source, " has no ",
                                                     name, " piece; train it with ", name,
                                                     "_id set to a non-negative id"));
    }
  }
  return tokenizer;
}

absl::StatusOr<std::string> SentencePieceTokenizer::Train(
    const std::vector<std::string>& sentences, const std::map<std::string, std::string>& options) {
  FULCRUM_ASSIGN_OR_RETURN(const SentencePiecePlugin* plugin, Plugin());
  std::vector<const char*> sentence_data;
  std::vector<size_t> sentence_sizes;
  for (const std::string& sentence : sentences) {
    sentence_data.push_back(sentence.data());
    sentence_sizes.push_back(sentence.size());
  }
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : options) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  char* raw_model = nullptr;
  size_t model_size = 0;
  char* raw_error = nullptr;
  const int failed =
      plugin->train(sentence_data.data(), sentence_sizes.data(), sentences.size(), keys.data(),
                    values.data(), keys.size(), &raw_model, &model_size, &raw_error);
  const MallocPtr<char> model(raw_model);
  const MallocPtr<char> error(raw_error);
  if (failed != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("training a SentencePiece model: ", error.get()));
  }
  return std::string(model.get(), model_size);
}

SentencePieceTokenizer::SentencePieceTokenizer(const SentencePiecePlugin* plugin,
                                               FulcrumSpmModel* model, std::string serialized_model)
    : plugin_(plugin), model_(model), serialized_model_(std::move(serialized_model)) {
  const FulcrumSpmIds ids = plugin_->special_ids(model_);
  vocab_size_ = ids.vocab_size;
  unk_id_ = ids.unk_id;
  bos_id_ = ids.bos_id;
  eos_id_ = ids.eos_id;
  pad_id_ = ids.pad_id;
}

SentencePieceTokenizer::~SentencePieceTokenizer() { plugin_->free(model_); }

absl::StatusOr<std::vector<int>> SentencePieceTokenizer::Encode(std::string_view text) const {
  int* raw_ids = nullptr;
  size_t count = 0;
  char* raw_error = nullptr;
  const int failed =
      plugin_->encode(model_, text.data(), text.size(), &raw_ids, &count, &raw_error);
  const MallocPtr<int> ids(raw_ids);
  const MallocPtr<char> error(raw_error);
  if (failed != 0) return absl::InternalError(absl::StrCat("SentencePiece encode: ", error.get()));
  return std::vector<int>(ids.get(), ids.get() + count);
}

std::string SentencePieceTokenizer::Decode(const std::vector<int>& ids) const {
  std::vector<int> pieces;
  pieces.reserve(ids.size());
  for (int id : ids) {
    if (id == bos_id_ || id == eos_id_ || id == pad_id_) continue;
    // The model's UNK piece renders as its visible unknown mark (" ⁇ " by default).
    pieces.push_back(id >= 0 && id < vocab_size_ ? id : unk_id_);
  }
  char* raw_text = nullptr;
  size_t size = 0;
  char* raw_error = nullptr;
  const int failed =
      plugin_->decode(model_, pieces.data(), pieces.size(), &raw_text, &size, &raw_error);
  const MallocPtr<char> text(raw_text);
  const MallocPtr<char> error(raw_error);
  if (failed != 0) {
    LOG(ERROR) << "SentencePiece decode: " << error.get();
    return "";
  }
  return std::string(text.get(), size);
}

nlohmann::json SentencePieceTokenizer::ToJson() const {
  return nlohmann::json{{"type", "sentencepiece"}, {"model_file", kModelFileName}};
}

}  // namespace fulcrum
