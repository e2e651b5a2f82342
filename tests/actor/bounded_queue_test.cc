#include "actor/bounded_queue.h"

#include <thread>

#include <gtest/gtest.h>

namespace fulcrum {
namespace {

TEST(BoundedQueueTest, FirstInFirstOut) {
  BoundedQueue<int> queue(2);
  ASSERT_TRUE(queue.Push(1));
  ASSERT_TRUE(queue.Push(2));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
}

TEST(BoundedQueueTest, CloseDrainsThenEnds) {
  BoundedQueue<int> queue(1);
  ASSERT_TRUE(queue.Push(7));
  queue.Close();
  EXPECT_FALSE(queue.Push(8));
  EXPECT_EQ(queue.Pop(), 7);
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, CloseReleasesAPushBlockedOnAFullQueue) {
  BoundedQueue<int> queue(1);
  ASSERT_TRUE(queue.Push(1));
  bool pushed = true;
  std::thread producer([&] { pushed = queue.Push(2); });  // Full: waits until Close.
  queue.Close();
  producer.join();
  EXPECT_FALSE(pushed);
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, PopWaitsForAPush) {
  BoundedQueue<int> queue(1);
  std::optional<int> popped;
  std::thread consumer([&] { popped = queue.Pop(); });
  ASSERT_TRUE(queue.Push(5));
  consumer.join();
  EXPECT_EQ(popped, 5);
}

}  // namespace
}  // namespace fulcrum
