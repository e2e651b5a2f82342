#include "reference_server/batch_policy.h"

#include <vector>

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

TEST(BatchPolicyTest, NothingQueuedMeansNoBatch) { EXPECT_EQ(RequestsInNextBatch({}, 8), 0u); }

TEST(BatchPolicyTest, TakesTheLongestPrefixThatFits) {
  const std::vector<int> sizes = {3, 4, 1, 2};
  EXPECT_EQ(RequestsInNextBatch(sizes, 8), 3u);   // 3 + 4 + 1 = 8; + 2 would be 10.
  EXPECT_EQ(RequestsInNextBatch(sizes, 7), 2u);   // 3 + 4.
  EXPECT_EQ(RequestsInNextBatch(sizes, 100), 4u);
}

TEST(BatchPolicyTest, NeverSkipsAheadOfARequestThatDoesNotFit) {
  const std::vector<int> sizes = {2, 9, 1};
  EXPECT_EQ(RequestsInNextBatch(sizes, 4), 1u);  // The 1 behind the 9 waits its turn.
}

TEST(BatchPolicyTest, AnOversizedRequestRunsAlone) {
  const std::vector<int> sizes = {10, 1};
  EXPECT_EQ(RequestsInNextBatch(sizes, 4), 1u);
}

TEST(BatchPolicyTest, EmptyRequestsRideAlong) {
  const std::vector<int> sizes = {4, 0, 0, 1};
  EXPECT_EQ(RequestsInNextBatch(sizes, 4), 3u);
}

}  // namespace
}  // namespace fulcrum
