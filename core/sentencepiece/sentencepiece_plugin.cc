// libfulcrum_sentencepiece.so: SentencePiece behind a C interface (see sentencepiece_plugin.h). It
// uses neither Abseil nor protobuf headers, whose absl::string_view and protobuf symbols would
// clash with SentencePiece's own, and lets no C++ exception cross its boundary.
#include "core/sentencepiece/sentencepiece_plugin.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct FulcrumSpmModel {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

char* CopyToMalloc(std::string_view bytes) {
  char* copy = static_cast<char*>(std::malloc(bytes.size() + 1));
  std::memcpy(copy, bytes.data(), bytes.size());
  copy[bytes.size()] = '\0';
  return copy;
}

// Returns 0 for OK, else stores the message in *error and returns 1.
int Report(const sentencepiece::util::Status& status, char** error) {
  if (status.ok()) return 0;
  *error = CopyToMalloc(status.ToString());
  return 1;
}

int ReportException(const std::exception& e, char** error) {
  *error = CopyToMalloc(e.what());
  return 1;
}

// Feeds in-memory sentences to the trainer.
class ArrayIterator : public sentencepiece::SentenceIterator {
 public:
  ArrayIterator(const char* const* sentences, const size_t* sizes, size_t count)
      : sentences_(sentences), sizes_(sizes), count_(count) {
    Load();
  }
  bool done() const override { return index_ >= count_; }
  void Next() override {
    ++index_;
    Load();
  }
  const std::string& value() const override { return current_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void Load() {
    if (index_ < count_) current_.assign(sentences_[index_], sizes_[index_]);
  }

  const char* const* sentences_;
  const size_t* sizes_;
  size_t count_;
  size_t index_ = 0;
  std::string current_;
};

}  // namespace

extern "C" {

FulcrumSpmModel* fulcrum_spm_load(const char* model, size_t model_size, char** error) {
  try {
    auto loaded = std::make_unique<FulcrumSpmModel>();
    if (Report(loaded->processor.LoadFromSerializedProto(std::string_view(model, model_size)),
               error) != 0) {
      return nullptr;
    }
    return loaded.release();
  } catch (const std::exception& e) {
    ReportException(e, error);
    return nullptr;
  }
}

void fulcrum_spm_free(FulcrumSpmModel* model) { delete model; }

FulcrumSpmIds fulcrum_spm_special_ids(const FulcrumSpmModel* model) {
  const sentencepiece::SentencePieceProcessor& p = model->processor;
  return {p.GetPieceSize(), p.unk_id(), p.bos_id(), p.eos_id(), p.pad_id()};
}

int fulcrum_spm_encode(const FulcrumSpmModel* model, const char* text, size_t text_size, int** ids,
                       size_t* id_count, char** error) {
  try {
    std::vector<int> pieces;
    if (Report(model->processor.Encode(std::string_view(text, text_size), &pieces), error) != 0) {
      return 1;
    }
    *ids = static_cast<int*>(std::malloc(sizeof(int) * (pieces.size() + 1)));
    std::memcpy(*ids, pieces.data(), sizeof(int) * pieces.size());
    *id_count = pieces.size();
    return 0;
  } catch (const std::exception& e) {
    return ReportException(e, error);
  }
}

int fulcrum_spm_decode(const FulcrumSpmModel* model, const int* ids, size_t id_count, char** text,
                       size_t* text_size, char** error) {
  try {
    std::string decoded;
    if (Report(model->processor.Decode(std::vector<int>(ids, ids + id_count), &decoded), error) !=
        0) {
      return 1;
    }
    *text = CopyToMalloc(decoded);
    *text_size = decoded.size();
    return 0;
  } catch (const std::exception& e) {
    return ReportException(e, error);
  }
}

int fulcrum_spm_train(const char* const* sentences, const size_t* sentence_sizes,
                      size_t sentence_count, const char* const* option_keys,
                      const char* const* option_values, size_t option_count, char** model,
                      size_t* model_size, char** error) {
  try {
    std::unordered_map<std::string, std::string> options;
    for (size_t i = 0; i < option_count; ++i) options[option_keys[i]] = option_values[i];
    ArrayIterator corpus(sentences, sentence_sizes, sentence_count);
    std::string trained;
    if (Report(sentencepiece::SentencePieceTrainer::Train(options, &corpus, &trained), error) !=
        0) {
      return 1;
    }
    *model = CopyToMalloc(trained);
    *model_size = trained.size();
    return 0;
  } catch (const std::exception& e) {
    return ReportException(e, error);
  }
}

}  // extern "C"
