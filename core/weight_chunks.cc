#include "core/weight_chunks.h"

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

uint32_t Crc32(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large buffers in pieces.
  for (size_t offset = 0; offset < bytes.size(); offset += kMaxWeightChunkBytes) {
    const size_t n = std::min(kMaxWeightChunkBytes, bytes.size() - offset);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SerializedWeights>> SerializeWeights(
    int64_t version, const NamedTensors& weights, std::map<std::string, std::string> metadata) {
  auto out = std::make_shared<SerializedWeights>();
  out->version = version;
  metadata["policy_version"] = std::to_string(version);
  FULCRUM_ASSIGN_OR_RETURN(out->bytes, SerializeSafetensors(weights, metadata));
  out->crc32 = Crc32(out->bytes);
  return std::shared_ptr<const SerializedWeights>(std::move(out));
}

size_t ChunkCount(const SerializedWeights& weights, size_t chunk_bytes) {
  return std::max<size_t>(1, (weights.bytes.size() + chunk_bytes - 1) / chunk_bytes);
}

v1::WeightsChunk ChunkAt(const SerializedWeights& weights, size_t index, size_t chunk_bytes) {
  v1::WeightsChunk chunk;
  if (index == 0) {
    chunk.set_version(weights.version);
    chunk.set_total_bytes(static_cast<int64_t>(weights.bytes.size()));
    chunk.set_crc32(weights.crc32);
  }
  const size_t begin = std::min(weights.bytes.size(), index * chunk_bytes);
  chunk.set_data(weights.bytes.substr(begin, chunk_bytes));
  chunk.set_last(index + 1 == ChunkCount(weights, chunk_bytes));
  return chunk;
}

absl::Status WeightAssembler::Add(const v1::WeightsChunk& chunk) {
  if (done_) return absl::DataLossError("weights stream: a chunk after the last one");
  const bool has_header = chunk.total_bytes() > 0 || chunk.version() != 0 || chunk.crc32() != 0;
  if (!started_) {
    if (!has_header || chunk.total_bytes() <= 0) {
      return absl::DataLossError("weights stream: the first chunk lacks version, size and checksum");
    }
    started_ = true;
    version_ = chunk.version();
    total_bytes_ = chunk.total_bytes();
    crc32_ = chunk.crc32();
    bytes_.reserve(static_cast<size_t>(total_bytes_));
  } else if (has_header) {
    return absl::DataLossError("weights stream: a header on a chunk other than the first");
  }
  if (static_cast<int64_t>(bytes_.size() + chunk.data().size()) > total_bytes_) {
    return absl::DataLossError(absl::StrCat("weights stream: more than the announced ", total_bytes_, " bytes"));
  }
  bytes_ += chunk.data();
  done_ = chunk.last();
  return absl::OkStatus();
}

absl::StatusOr<WeightAssembler::Assembled> WeightAssembler::Finish() {
  const std::string bytes = std::move(bytes_);
  bytes_.clear();
  if (!done_) {
    return absl::FailedPreconditionError(absl::StrCat("weights stream ended after ", bytes.size(), " of ",
                                                      total_bytes_, " bytes: keeping the current weights"));
  }
  if (static_cast<int64_t>(bytes.size()) != total_bytes_) {
    return absl::DataLossError(absl::StrCat("weights stream: got ", bytes.size(), " bytes, ", total_bytes_, " announced"));
  }
  if (Crc32(bytes) != crc32_) return absl::DataLossError("weights stream: CRC-32 mismatch");
  Assembled out;
  out.version = version_;
  FULCRUM_ASSIGN_OR_RETURN(out.weights,
                           ParseSafetensors(bytes, "weights of policy version " + std::to_string(version_)));
  return out;
}

}  // namespace fulcrum
