// Conversion between torch tensors and fulcrum.v1.Tensor, the wire form of every tensor: dtype,
// shape and the raw little-endian bytes of the row-major contents. Servers (reference, learner)
// encode their answers with TensorToProto; clients decode with TensorFromProto, which trusts
// nothing on the wire.
#ifndef FULCRUM_CORE_TENSOR_PROTO_H_
#define FULCRUM_CORE_TENSOR_PROTO_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "fulcrum/v1/tensor.pb.h"

namespace fulcrum {

// A CPU tensor holding a copy of `proto`'s contents. INVALID_ARGUMENT when the dtype is
// unspecified or unknown, a dimension is negative, the element count overflows, the byte size
// is not shape × element size, or a BOOL byte is neither 0 nor 1.
absl::StatusOr<torch::Tensor> TensorFromProto(const v1::Tensor& proto);

// The wire form of `tensor` (any device, any strides). Its dtype must be one the wire carries
// (float32, float16, bfloat16, int64, int32, uint8, bool); anything else is a programming error
// and aborts.
v1::Tensor TensorToProto(const torch::Tensor& tensor);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_TENSOR_PROTO_H_
