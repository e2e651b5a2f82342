#include "core/data_cursor.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<size_t> Take(DataCursor& cursor, size_t count) {
  std::vector<size_t> indices;
  for (size_t i = 0; i < count; ++i) indices.push_back(cursor.Next());
  return indices;
}

TEST(DataCursorTest, EveryEpochVisitsEachIndexOnceInANewOrder) {
  constexpr size_t kSize = 50;
  DataCursor cursor(kSize, /*seed=*/7);
  std::vector<size_t> all(kSize);
  std::iota(all.begin(), all.end(), size_t{0});
  std::vector<std::vector<size_t>> epochs;
  for (int epoch = 0; epoch < 3; ++epoch) {
    epochs.push_back(Take(cursor, kSize));
    std::vector<size_t> sorted = epochs.back();
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, all) << "epoch " << epoch;
    EXPECT_NE(epochs.back(), all) << "epoch " << epoch << " is not shuffled";
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  EXPECT_EQ(cursor.state().epoch, 2);
}

TEST(DataCursorTest, OrderDependsOnlyOnSeed) {
  DataCursor a(20, 1), b(20, 1), c(20, 2);
  const std::vector<size_t> from_a = Take(a, 60);
  EXPECT_EQ(from_a, Take(b, 60));
  EXPECT_NE(from_a, Take(c, 60));
}

// Pins the shuffle itself: checkpoints store only (seed, epoch, position), so a change here would
// make resumed runs see different data than they would have.
TEST(DataCursorTest, OrderIsPinned) {
  DataCursor cursor(8, /*seed=*/42);
  EXPECT_THAT(Take(cursor, 8), ElementsAre(1, 0, 3, 4, 2, 7, 6, 5));
  EXPECT_THAT(Take(cursor, 8), ElementsAre(0, 4, 7, 5, 6, 2, 3, 1));
}

TEST(DataCursorTest, RestoredCursorContinuesIdentically) {
  DataCursor original(13, /*seed=*/99);
  Take(original, 20);  // Mid-way through the second epoch.
  const DataCursor::State saved = original.state();
  EXPECT_EQ(saved.epoch, 1);
  EXPECT_EQ(saved.position, 7);

  absl::StatusOr<DataCursor::State> through_json =
      DataCursor::StateFromJson(nlohmann::json::parse(DataCursor::StateToJson(saved).dump()));
  ASSERT_TRUE(through_json.ok()) << through_json.status();
  DataCursor resumed(13, /*seed=*/0);
  ASSERT_TRUE(resumed.Restore(*through_json).ok());
  EXPECT_EQ(Take(resumed, 40), Take(original, 40));
}

TEST(DataCursorTest, RestoreAtEpochEndStartsTheNextEpoch) {
  DataCursor original(5, /*seed=*/3);
  Take(original, 5);
  DataCursor resumed(5, /*seed=*/3);
  ASSERT_TRUE(resumed.Restore(original.state()).ok());
  EXPECT_EQ(Take(resumed, 7), Take(original, 7));
  EXPECT_EQ(resumed.state().epoch, 2);
}

TEST(DataCursorTest, RestoreRejectsStatesThatDoNotFitAndKeepsGoing) {
  DataCursor cursor(10, /*seed=*/5);
  DataCursor twin(10, /*seed=*/5);
  Take(cursor, 3);
  Take(twin, 3);

  absl::Status resized = cursor.Restore({.seed = 5, .size = 11, .epoch = 0, .position = 0});
  EXPECT_EQ(resized.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(resized.message(), HasSubstr("dataset of 11 examples, but this dataset has 10"));
  EXPECT_EQ(cursor.Restore({.seed = 5, .size = 10, .epoch = 0, .position = 11}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cursor.Restore({.seed = 5, .size = 10, .epoch = -1, .position = 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Take(cursor, 10), Take(twin, 10));
}

TEST(DataCursorTest, StateFromJsonNamesBadKeys) {
  const nlohmann::json good = {{"seed", 1}, {"size", 4}, {"epoch", 0}, {"position", 2}};
  ASSERT_TRUE(DataCursor::StateFromJson(good).ok());

  nlohmann::json missing = good;
  missing.erase("position");
  EXPECT_THAT(DataCursor::StateFromJson(missing).status().message(),
              HasSubstr("missing key 'position'"));
  nlohmann::json negative_seed = good;
  negative_seed["seed"] = -1;
  EXPECT_THAT(DataCursor::StateFromJson(negative_seed).status().message(),
              HasSubstr("key 'seed' must be a non-negative integer, got -1"));
  nlohmann::json fractional = good;
  fractional["epoch"] = 1.5;
  EXPECT_THAT(DataCursor::StateFromJson(fractional).status().message(),
              HasSubstr("key 'epoch' must be an integer, got 1.5"));
}

}  // namespace
}  // namespace fulcrum
