#include "core/tensor_proto.h"

#include <cstring>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace fulcrum {
namespace {

TEST(TensorProtoTest, F32RoundTripKeepsShapeAndValues) {
  torch::Tensor original = torch::tensor({1.5f, -2.0f, 3.25f, 0.0f, 1e-7f, -1e9f}).reshape({2, 3});
  v1::Tensor proto = TensorToProto(original);
  EXPECT_EQ(proto.dtype(), v1::Tensor::F32);
  ASSERT_EQ(proto.shape_size(), 2);
  EXPECT_EQ(proto.shape(0), 2);
  EXPECT_EQ(proto.shape(1), 3);
  ASSERT_EQ(proto.data().size(), 24u);
  float first;
  std::memcpy(&first, proto.data().data(), sizeof(first));
  EXPECT_EQ(first, 1.5f);  // Raw little-endian floats, row-major.

  absl::StatusOr<torch::Tensor> decoded = TensorFromProto(proto);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(*decoded, original));
}

TEST(TensorProtoTest, EveryWireDtypeRoundTrips) {
  const std::vector<torch::Tensor> tensors = {
      torch::arange(6, torch::kInt64).reshape({3, 2}), torch::arange(4, torch::kInt32),
      torch::arange(5, torch::kUInt8),                  torch::tensor({true, false, true}),
      torch::ones({2, 2}, torch::kFloat16) * 0.5,       torch::ones({3}, torch::kBFloat16) * 2,
  };
  for (const torch::Tensor& tensor : tensors) {
    absl::StatusOr<torch::Tensor> decoded = TensorFromProto(TensorToProto(tensor));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->scalar_type(), tensor.scalar_type());
    EXPECT_TRUE(torch::equal(*decoded, tensor)) << tensor;
  }
}

TEST(TensorProtoTest, NonContiguousAndEmptyTensorsEncode) {
  torch::Tensor transposed = torch::arange(6, torch::kFloat32).reshape({2, 3}).t();
  absl::StatusOr<torch::Tensor> decoded = TensorFromProto(TensorToProto(transposed));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(torch::equal(*decoded, transposed));

  v1::Tensor empty = TensorToProto(torch::zeros({0}, torch::kFloat32));
  EXPECT_TRUE(empty.data().empty());
  absl::StatusOr<torch::Tensor> decoded_empty = TensorFromProto(empty);
  ASSERT_TRUE(decoded_empty.ok()) << decoded_empty.status();
  EXPECT_EQ(decoded_empty->numel(), 0);
  EXPECT_EQ(decoded_empty->dim(), 1);
}

TEST(TensorProtoTest, RejectsWrongByteSize) {
  v1::Tensor proto = TensorToProto(torch::zeros({2, 3}));
  proto.mutable_data()->pop_back();
  absl::StatusOr<torch::Tensor> decoded = TensorFromProto(proto);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("needs 24 bytes, got 23"), std::string::npos) << decoded.status();

  proto.mutable_data()->append("xy");
  EXPECT_EQ(TensorFromProto(proto).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorProtoTest, RejectsUnknownDtypeBadShapeAndBadBools) {
  v1::Tensor unspecified;
  unspecified.add_shape(1);
  unspecified.set_data(std::string(4, '\0'));
  EXPECT_EQ(TensorFromProto(unspecified).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Tensor unknown = unspecified;
  unknown.set_dtype(static_cast<v1::Tensor::DType>(42));
  EXPECT_EQ(TensorFromProto(unknown).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Tensor negative;
  negative.set_dtype(v1::Tensor::F32);
  negative.add_shape(-1);
  EXPECT_EQ(TensorFromProto(negative).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Tensor huge;
  huge.set_dtype(v1::Tensor::F32);
  huge.add_shape(int64_t{1} << 40);
  huge.add_shape(int64_t{1} << 40);
  EXPECT_EQ(TensorFromProto(huge).status().code(), absl::StatusCode::kInvalidArgument);

  v1::Tensor bools;
  bools.set_dtype(v1::Tensor::BOOL);
  bools.add_shape(2);
  bools.set_data(std::string("\x01\x02", 2));
  EXPECT_EQ(TensorFromProto(bools).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fulcrum
