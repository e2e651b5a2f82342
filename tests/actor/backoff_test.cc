#include "actor/backoff.h"

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

TEST(BackoffTest, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  Backoff backoff(absl::Milliseconds(100), absl::Milliseconds(1000), /*seed=*/42);
  for (int ceiling_ms : {100, 200, 400, 800, 1000, 1000}) {
    const absl::Duration delay = backoff.Next();
    EXPECT_GE(delay, absl::Milliseconds(ceiling_ms) / 2) << ceiling_ms;
    EXPECT_LE(delay, absl::Milliseconds(ceiling_ms)) << ceiling_ms;
  }
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff(absl::Milliseconds(10), absl::Seconds(5), /*seed=*/1);
  for (int i = 0; i < 8; ++i) backoff.Next();
  backoff.Reset();
  EXPECT_LE(backoff.Next(), absl::Milliseconds(10));
}

TEST(BackoffTest, SameSeedSameDelays) {
  Backoff a(absl::Milliseconds(10), absl::Seconds(1), 7), b(absl::Milliseconds(10), absl::Seconds(1), 7);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.Next(), b.Next());
}

}  // namespace
}  // namespace fulcrum
