#include "core/tensor_proto.h"

#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include <glog/logging.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "core/torch_status.h"

namespace fulcrum {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the wire format is little-endian and tensors are copied byte for byte");

struct WireType {
  v1::Tensor::DType dtype;
  torch::ScalarType scalar_type;
};

constexpr WireType kWireTypes[] = {
    {v1::Tensor::F32, torch::kFloat32}, {v1::Tensor::F16, torch::kFloat16},
    {v1::Tensor::BF16, torch::kBFloat16}, {v1::Tensor::I64, torch::kInt64},
    {v1::Tensor::I32, torch::kInt32},   {v1::Tensor::U8, torch::kUInt8},
    {v1::Tensor::BOOL, torch::kBool},
};

std::optional<torch::ScalarType> ScalarTypeOf(v1::Tensor::DType dtype) {
  for (const WireType& type : kWireTypes) {
    if (type.dtype == dtype) return type.scalar_type;
  }
  return std::nullopt;
}

std::optional<v1::Tensor::DType> DTypeOf(torch::ScalarType scalar_type) {
  for (const WireType& type : kWireTypes) {
    if (type.scalar_type == scalar_type) return type.dtype;
  }
  return std::nullopt;
}

std::string ShapeString(const v1::Tensor& proto) {
  return absl::StrCat("[", absl::StrJoin(proto.shape(), ", "), "]");
}

}  // namespace

absl::StatusOr<torch::Tensor> TensorFromProto(const v1::Tensor& proto) {
  const std::optional<torch::ScalarType> scalar_type = ScalarTypeOf(proto.dtype());
  if (!scalar_type) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor dtype ", v1::Tensor::DType_Name(proto.dtype()), " (", proto.dtype(),
                     ") is not supported"));
  }
  const int64_t element_size = static_cast<int64_t>(c10::elementSize(*scalar_type));
  int64_t numel = 1;
  for (int64_t dim : proto.shape()) {
    if (dim < 0) {
      return absl::InvalidArgumentError(absl::StrCat("tensor shape ", ShapeString(proto), " has a negative dimension"));
    }
    if (dim != 0 && numel > std::numeric_limits<int64_t>::max() / element_size / dim) {
      return absl::InvalidArgumentError(absl::StrCat("tensor shape ", ShapeString(proto), " is too large"));
    }
    numel *= dim;
  }
  const int64_t expected_bytes = numel * element_size;
  if (static_cast<int64_t>(proto.data().size()) != expected_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor of shape ", ShapeString(proto), " and dtype ", v1::Tensor::DType_Name(proto.dtype()), " needs ",
        expected_bytes, " bytes, got ", proto.data().size()));
  }
  if (*scalar_type == torch::kBool) {
    for (char byte : proto.data()) {
      if (byte != 0 && byte != 1) return absl::InvalidArgumentError("BOOL tensor has a byte other than 0 or 1");
    }
  }
  std::vector<int64_t> shape(proto.shape().begin(), proto.shape().end());
  FULCRUM_ASSIGN_OR_RETURN(torch::Tensor tensor, TorchCall("allocating a tensor", [&] {
                             return torch::empty(shape, torch::TensorOptions().dtype(*scalar_type));
                           }));
  if (expected_bytes > 0) std::memcpy(tensor.data_ptr(), proto.data().data(), expected_bytes);
  return tensor;
}

v1::Tensor TensorToProto(const torch::Tensor& tensor) {
  const std::optional<v1::Tensor::DType> dtype = DTypeOf(tensor.scalar_type());
  CHECK(dtype.has_value()) << "TensorToProto: dtype " << tensor.scalar_type() << " has no wire form";
  const torch::Tensor contiguous = tensor.to(torch::kCPU).contiguous();
  v1::Tensor proto;
  proto.set_dtype(*dtype);
  for (int64_t dim : contiguous.sizes()) proto.add_shape(dim);
  if (contiguous.nbytes() > 0) {
    proto.set_data(static_cast<const char*>(contiguous.data_ptr()), contiguous.nbytes());
  }
  return proto;
}

}  // namespace fulcrum
