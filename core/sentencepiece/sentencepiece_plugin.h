// The C interface of libfulcrum_sentencepiece.so, the plugin through which Fulcrum uses
// SentencePiece.
//
// Why a plugin: Debian's libsentencepiece embeds its own protobuf-lite 3.14 and exports those
// symbols. Linked into a process that also uses libprotobuf 3.21 (every Fulcrum binary),
// SentencePiece's protobuf calls bind to 3.21 and model loading aborts. SentencePieceTokenizer
// therefore dlopen()s this plugin with RTLD_DEEPBIND, so the plugin and libsentencepiece resolve
// their own symbols first, and talks to it only through the plain-C functions below. Nothing else
// may link libsentencepiece.
//
// Buffers the plugin returns (ids, text, models, error messages) are malloc()ed; the caller free()s
// them. Functions returning int return 0 on success; on failure they set *error.
#ifndef FULCRUM_CORE_SENTENCEPIECE_SENTENCEPIECE_PLUGIN_H_
#define FULCRUM_CORE_SENTENCEPIECE_SENTENCEPIECE_PLUGIN_H_

#include <stddef.h>

extern "C" {

// A loaded model; immutable, so it may be shared by threads.
struct FulcrumSpmModel;

struct FulcrumSpmIds {
  int vocab_size;
  int unk_id;
  int bos_id;  // -1 when the model has no such piece.
  int eos_id;
  int pad_id;
};

typedef FulcrumSpmModel* (*FulcrumSpmLoadFn)(const char* model, size_t model_size, char** error);
typedef void (*FulcrumSpmFreeFn)(FulcrumSpmModel* model);
typedef FulcrumSpmIds (*FulcrumSpmSpecialIdsFn)(const FulcrumSpmModel* model);
typedef int (*FulcrumSpmEncodeFn)(const FulcrumSpmModel* model, const char* text, size_t text_size,
                                  int** ids, size_t* id_count, char** error);
typedef int (*FulcrumSpmDecodeFn)(const FulcrumSpmModel* model, const int* ids, size_t id_count,
                                  char** text, size_t* text_size, char** error);
// Trains on `sentence_count` sentences with SentencePieceTrainer options given as parallel key and
// value arrays (e.g. "vocab_size" -> "8000"); returns the serialized model.
typedef int (*FulcrumSpmTrainFn)(const char* const* sentences, const size_t* sentence_sizes,
                                 size_t sentence_count, const char* const* option_keys,
                                 const char* const* option_values, size_t option_count,
                                 char** model, size_t* model_size, char** error);

FulcrumSpmModel* fulcrum_spm_load(const char* model, size_t model_size, char** error);
void fulcrum_spm_free(FulcrumSpmModel* model);
FulcrumSpmIds fulcrum_spm_special_ids(const FulcrumSpmModel* model);
int fulcrum_spm_encode(const FulcrumSpmModel* model, const char* text, size_t text_size, int** ids,
                       size_t* id_count, char** error);
int fulcrum_spm_decode(const FulcrumSpmModel* model, const int* ids, size_t id_count, char** text,
                       size_t* text_size, char** error);
int fulcrum_spm_train(const char* const* sentences, const size_t* sentence_sizes,
                      size_t sentence_count, const char* const* option_keys,
                      const char* const* option_values, size_t option_count, char** model,
                      size_t* model_size, char** error);

}  // extern "C"

#endif  // FULCRUM_CORE_SENTENCEPIECE_SENTENCEPIECE_PLUGIN_H_
