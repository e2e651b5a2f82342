#include "learner/pass_at_k.h"

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

double Value(int n, int c, int k) {
  absl::StatusOr<double> value = PassAtK(n, c, k);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : -1;
}

TEST(PassAtKTest, MatchesHandComputedBinomials) {
  // 1 - C(n-c, k) / C(n, k).
  EXPECT_NEAR(Value(8, 3, 1), 3.0 / 8, 1e-12);             // pass@1 is c / n
  EXPECT_NEAR(Value(8, 3, 2), 1 - 10.0 / 28, 1e-12);       // C(5,2)=10, C(8,2)=28
  EXPECT_NEAR(Value(8, 3, 4), 1 - 5.0 / 70, 1e-12);        // C(5,4)=5, C(8,4)=70
  EXPECT_NEAR(Value(10, 2, 3), 1 - 56.0 / 120, 1e-12);     // C(8,3)=56, C(10,3)=120
  EXPECT_NEAR(Value(200, 1, 100), 0.5, 1e-12);             // one correct in 200, half drawn
  EXPECT_NEAR(Value(4, 1, 4), 1.0, 1e-12);
}

TEST(PassAtKTest, NoneCorrectIsZeroAllCorrectIsOne) {
  for (int k : {1, 3, 8}) {
    EXPECT_EQ(Value(8, 0, k), 0.0) << k;
    EXPECT_EQ(Value(8, 8, k), 1.0) << k;
  }
  // Fewer wrong samples than k: every draw of k holds a correct one.
  EXPECT_EQ(Value(8, 6, 3), 1.0);
}

TEST(PassAtKTest, RejectsKBeyondSamplesAndImpossibleCounts) {
  EXPECT_EQ(PassAtK(8, 2, 9).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(8, 2, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(8, 9, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(8, -1, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(0, 0, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PassAtKTest, MeanAveragesOverProblems) {
  absl::StatusOr<double> mean = MeanPassAtK({0, 3, 8}, 8, 2);
  ASSERT_TRUE(mean.ok()) << mean.status();
  EXPECT_NEAR(*mean, (0 + (1 - 10.0 / 28) + 1) / 3, 1e-12);
  EXPECT_FALSE(MeanPassAtK({}, 8, 1).ok());
  EXPECT_FALSE(MeanPassAtK({1, 2}, 2, 3).ok());
}

}  // namespace
}  // namespace fulcrum
