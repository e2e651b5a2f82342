// Reads and writes the safetensors format: the one on-disk and on-the-wire form of Fulcrum's
// weights (checkpoints, weight publication to actors, imported Hugging Face models).
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {"key": "value"}, "name": {"dtype": "F32", "shape": [2, 3],
//    "data_offsets": [begin, end]}, ...}
// padded with spaces so the data starts 8-byte aligned, then the tensor data, contiguous and
// little-endian, offsets relative to the start of the data. The reader trusts nothing: every
// length, shape and offset is checked before any tensor is allocated, so a hostile or truncated
// file is an INVALID_ARGUMENT error naming the source and the tensor, never a crash or a huge
// allocation.
#ifndef FULCRUM_CORE_SAFETENSORS_H_
#define FULCRUM_CORE_SAFETENSORS_H_

#include <torch/torch.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fulcrum {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Supported dtypes (safetensors name → torch): F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.

// A parsed file. `tensors` keeps the order of the data in the file; each tensor owns its memory.
struct SafetensorsFile {
  NamedTensors tensors;
  std::map<std::string, std::string> metadata;

  // The tensor called `name`, or nullptr. Linear in the number of tensors.
  const torch::Tensor* Find(std::string_view name) const;
};

// Serializes `tensors` in the given order (any device, any strides: each is copied to a
// contiguous CPU buffer). Fails on an unsupported dtype, a sparse or undefined tensor, a name
// used twice or the reserved name "__metadata__".
absl::StatusOr<std::string> SerializeSafetensors(
    const NamedTensors& tensors, const std::map<std::string, std::string>& metadata = {});

// SerializeSafetensors, then WriteFileAtomic.
absl::Status WriteSafetensors(const std::string& path, const NamedTensors& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// Parses a whole file held in memory. `source_name` (a path or a description such as
// "weights v12") prefixes every error message.
absl::StatusOr<SafetensorsFile> ParseSafetensors(std::string_view bytes,
                                                 std::string_view source_name);

// ReadFile, then ParseSafetensors with the path as the source name.
absl::StatusOr<SafetensorsFile> ReadSafetensors(const std::string& path);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_SAFETENSORS_H_
