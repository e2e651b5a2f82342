// A policy version on the wire: its safetensors bytes cut into FetchWeights chunks of at most
// 1 MiB (the first carrying version, size and CRC-32), and the receiving side that puts them back
// together and hands out the weights only when every byte arrived and the checksum matched.
// The learner's FetchWeights stream writes ChunkAt(i); the actor feeds each chunk to a WeightAssembler.
#ifndef FULCRUM_CORE_WEIGHT_CHUNKS_H_
#define FULCRUM_CORE_WEIGHT_CHUNKS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/safetensors.h"
#include "fulcrum/v1/learner.pb.h"

namespace fulcrum {

inline constexpr size_t kMaxWeightChunkBytes = size_t{1} << 20;

// One serialized policy version, made once and shared by every stream that sends it.
struct SerializedWeights {
  int64_t version = 0;
  std::string bytes;  // safetensors
  uint32_t crc32 = 0;
};

// `metadata` travels in the safetensors header (see ModelMetadata in core/model_io.h).
absl::StatusOr<std::shared_ptr<const SerializedWeights>> SerializeWeights(
    int64_t version, const NamedTensors& weights, std::map<std::string, std::string> metadata = {});

size_t ChunkCount(const SerializedWeights& weights, size_t chunk_bytes = kMaxWeightChunkBytes);
// Chunk `index` of ChunkCount: its slice of the bytes; the first also has the header, the last `last`.
v1::WeightsChunk ChunkAt(const SerializedWeights& weights, size_t index,
                         size_t chunk_bytes = kMaxWeightChunkBytes);

class WeightAssembler {
 public:
  // Errors (DATA_LOSS) for a stream that breaks the protocol: no header on the first chunk, a header
  // on a later one, more bytes than announced, anything after the last chunk.
  absl::Status Add(const v1::WeightsChunk& chunk);
  bool complete() const { return done_; }

  struct Assembled {
    int64_t version = 0;
    SafetensorsFile weights;
  };
  // Only after the last chunk: checks size and CRC-32, then parses. A stream cut short is
  // FAILED_PRECONDITION; a checksum mismatch DATA_LOSS. The assembler is spent either way.
  absl::StatusOr<Assembled> Finish();

 private:
  bool started_ = false, done_ = false;
  int64_t version_ = 0, total_bytes_ = 0;
  uint32_t crc32_ = 0;
  std::string bytes_;
};

}  // namespace fulcrum

#endif  // FULCRUM_CORE_WEIGHT_CHUNKS_H_
