#include "core/weight_chunks.h"

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

NamedTensors SomeWeights(int64_t n) {
  torch::manual_seed(3);
  return {{"a", torch::randn({n})}, {"b", torch::arange(10, torch::kInt64)}};
}

TEST(WeightChunksTest, RoundTripsThroughManySmallChunks) {
  auto weights = SerializeWeights(7, SomeWeights(1000)).value();
  const size_t count = ChunkCount(*weights, 100);
  ASSERT_GT(count, 40u);
  WeightAssembler assembler;
  for (size_t i = 0; i < count; ++i) {
    v1::WeightsChunk chunk = ChunkAt(*weights, i, 100);
    EXPECT_LE(chunk.data().size(), 100u);
    EXPECT_EQ(chunk.total_bytes() > 0, i == 0);
    EXPECT_EQ(chunk.last(), i + 1 == count);
    ASSERT_TRUE(assembler.Add(chunk).ok());
  }
  ASSERT_TRUE(assembler.complete());
  auto assembled = assembler.Finish();
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  EXPECT_EQ(assembled->version, 7);
  EXPECT_TRUE(torch::equal(*assembled->weights.Find("a"), SomeWeights(1000)[0].second));
  EXPECT_TRUE(torch::equal(*assembled->weights.Find("b"), SomeWeights(1000)[1].second));
}

TEST(WeightChunksTest, DefaultChunksStayWithinOneMebibyte) {
  auto weights = SerializeWeights(1, SomeWeights(700000)).value();  // ~2.8 MB
  ASSERT_EQ(ChunkCount(*weights), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_LE(ChunkAt(*weights, i).data().size(), kMaxWeightChunkBytes);
}

TEST(WeightChunksTest, AStreamCutInTheMiddleYieldsNothing) {
  auto weights = SerializeWeights(2, SomeWeights(1000)).value();
  WeightAssembler assembler;
  for (size_t i = 0; i < ChunkCount(*weights, 100) / 2; ++i) ASSERT_TRUE(assembler.Add(ChunkAt(*weights, i, 100)).ok());
  EXPECT_FALSE(assembler.complete());
  auto result = assembler.Finish();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WeightChunksTest, ACorruptedByteFailsTheChecksum) {
  auto weights = SerializeWeights(2, SomeWeights(1000)).value();
  WeightAssembler assembler;
  for (size_t i = 0; i < ChunkCount(*weights, 100); ++i) {
    v1::WeightsChunk chunk = ChunkAt(*weights, i, 100);
    if (i == 5) (*chunk.mutable_data())[3] ^= 1;
    ASSERT_TRUE(assembler.Add(chunk).ok());
  }
  auto result = assembler.Finish();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(result.status().message().find("CRC"), std::string::npos);
}

TEST(WeightChunksTest, ProtocolViolationsAreRejected) {
  auto weights = SerializeWeights(2, SomeWeights(1000)).value();
  WeightAssembler headless;
  EXPECT_EQ(headless.Add(ChunkAt(*weights, 1, 100)).code(), absl::StatusCode::kDataLoss);

  WeightAssembler twice;
  ASSERT_TRUE(twice.Add(ChunkAt(*weights, 0, 100)).ok());
  EXPECT_EQ(twice.Add(ChunkAt(*weights, 0, 100)).code(), absl::StatusCode::kDataLoss);

  WeightAssembler overflow;
  v1::WeightsChunk first = ChunkAt(*weights, 0, 100);
  first.set_total_bytes(50);
  EXPECT_EQ(overflow.Add(first).code(), absl::StatusCode::kDataLoss);

  WeightAssembler after_last;
  v1::WeightsChunk whole = ChunkAt(*weights, 0, weights->bytes.size());
  ASSERT_TRUE(whole.last());
  ASSERT_TRUE(after_last.Add(whole).ok());
  v1::WeightsChunk extra;
  extra.set_data("x");
  EXPECT_EQ(after_last.Add(extra).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fulcrum
