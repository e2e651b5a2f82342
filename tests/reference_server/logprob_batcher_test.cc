#include "reference_server/logprob_batcher.h"

#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "tests/metric_values.h"

namespace fulcrum {
namespace {

// Answers each sequence with {first token, prompt_len}, so a test can see which answer went where.
// The first batch signals `entered` and waits for `release`, holding the worker at a known point.
class GatedScorer {
 public:
  LogProbBatcher::ScoreFn Fn() {
    return [this](const std::vector<std::vector<int>>& sequences,
                  const std::vector<int>& prompt_lens) -> absl::StatusOr<LogProbs> {
      batch_sizes_.push_back(static_cast<int>(sequences.size()));
      if (calls_++ == 0) {
        entered_.Notify();
        release_.WaitForNotification();
      }
      if (!fail_with_.ok()) return fail_with_;
      LogProbs out;
      for (size_t i = 0; i < sequences.size(); ++i) {
        out.push_back({static_cast<float>(sequences[i][0]), static_cast<float>(prompt_lens[i])});
      }
      return out;
    };
  }

  absl::Notification entered_, release_;
  absl::Status fail_with_;
  std::vector<int> batch_sizes_;  // Written by the worker only; read after it is done.

 private:
  std::atomic<int> calls_{0};
};

// Collects one request's answer.
struct Answer {
  LogProbBatcher::Done Callback() {
    return [this](absl::StatusOr<LogProbs> got) {
      result = std::move(got);
      done.Notify();
    };
  }
  absl::StatusOr<LogProbs> result = absl::UnknownError("not answered");
  absl::Notification done;
};

TEST(LogProbBatcherTest, FullQueueIsRefusedAtOnce) {
  GatedScorer scorer;
  auto batcher = LogProbBatcher::Create({.max_batch_sequences = 8, .max_queued_sequences = 1}, scorer.Fn());
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  Answer a, b, c;
  ASSERT_TRUE((*batcher)->Submit({{5, 6}}, {1}, a.Callback()).ok());
  scorer.entered_.WaitForNotification();  // `a` is being scored, the queue is empty again.
  ASSERT_TRUE((*batcher)->Submit({{7, 8}}, {2}, b.Callback()).ok());

  absl::Status refused = (*batcher)->Submit({{9}}, {1}, c.Callback());
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_EQ((*batcher)->Submit({{1}, {2}}, {1, 1}, c.Callback()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*batcher)->queued_sequences(), 1);

  scorer.release_.Notify();
  a.done.WaitForNotification();
  b.done.WaitForNotification();
  ASSERT_TRUE(a.result.ok()) << a.result.status();
  ASSERT_TRUE(b.result.ok()) << b.result.status();
  EXPECT_EQ(*a.result, (LogProbs{{5, 1}}));
  EXPECT_EQ(*b.result, (LogProbs{{7, 2}}));
  EXPECT_FALSE(c.done.HasBeenNotified());
}

TEST(LogProbBatcherTest, CountsQueueBatchesAndWhatItScoredInMetrics) {
  using testing::MetricValue;
  GatedScorer scorer;  // Answers two log-probs per sequence.
  auto batcher = LogProbBatcher::Create({.max_batch_sequences = 8, .max_queued_sequences = 10}, scorer.Fn());
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  const double sequences = MetricValue("fulcrum_reference_sequences_scored_total");
  const double tokens = MetricValue("fulcrum_reference_tokens_scored_total");
  const double batches = MetricValue("fulcrum_reference_batch_sequences");
  const double batched = testing::HistogramSum("fulcrum_reference_batch_sequences");
  Answer a, b, c;
  ASSERT_TRUE((*batcher)->Submit({{5, 6}}, {1}, a.Callback()).ok());
  scorer.entered_.WaitForNotification();
  ASSERT_TRUE((*batcher)->Submit({{7, 8, 9}}, {1}, b.Callback()).ok());
  ASSERT_TRUE((*batcher)->Submit({{1, 2}, {3, 4}}, {1, 1}, c.Callback()).ok());
  EXPECT_EQ(MetricValue("fulcrum_reference_queue_depth"), 3);
  scorer.release_.Notify();
  for (Answer* answer : {&a, &b, &c}) answer->done.WaitForNotification();

  EXPECT_EQ(MetricValue("fulcrum_reference_queue_depth"), 0);
  EXPECT_EQ(MetricValue("fulcrum_reference_sequences_scored_total") - sequences, 4);
  EXPECT_EQ(MetricValue("fulcrum_reference_tokens_scored_total") - tokens, 8);
  EXPECT_EQ(MetricValue("fulcrum_reference_batch_sequences") - batches, 2);  // a, then b + c.
  EXPECT_EQ(testing::HistogramSum("fulcrum_reference_batch_sequences") - batched, 4);
}

TEST(LogProbBatcherTest, MergesWaitingRequestsAndSplitsTheAnswers) {
  GatedScorer scorer;
  auto batcher = LogProbBatcher::Create({.max_batch_sequences = 3, .max_queued_sequences = 10}, scorer.Fn());
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  Answer a, b, c, d;
  ASSERT_TRUE((*batcher)->Submit({{1}}, {1}, a.Callback()).ok());
  scorer.entered_.WaitForNotification();
  ASSERT_TRUE((*batcher)->Submit({{20, 0}, {21, 0}}, {1, 2}, b.Callback()).ok());
  ASSERT_TRUE((*batcher)->Submit({{30}}, {1}, c.Callback()).ok());
  ASSERT_TRUE((*batcher)->Submit({{40}, {41}}, {1, 1}, d.Callback()).ok());
  (*batcher)->AwaitQueuedSequences(5);
  scorer.release_.Notify();
  for (Answer* answer : {&a, &b, &c, &d}) answer->done.WaitForNotification();

  EXPECT_EQ(*b.result, (LogProbs{{20, 1}, {21, 2}}));
  EXPECT_EQ(*c.result, (LogProbs{{30, 1}}));
  EXPECT_EQ(*d.result, (LogProbs{{40, 1}, {41, 1}}));
  EXPECT_EQ(scorer.batch_sizes_, (std::vector<int>{1, 3, 2}));  // b + c fill a batch of 3; d waits.
  EXPECT_EQ((*batcher)->batches_scored(), 3);
  EXPECT_EQ((*batcher)->merged_batches(), 1);
}

TEST(LogProbBatcherTest, AFailedBatchFailsEveryRequestInIt) {
  GatedScorer scorer;
  scorer.fail_with_ = absl::InternalError("forward pass failed");
  auto batcher = LogProbBatcher::Create({.max_batch_sequences = 8, .max_queued_sequences = 8}, scorer.Fn());
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  Answer a, b, c;
  ASSERT_TRUE((*batcher)->Submit({{1}}, {1}, a.Callback()).ok());
  scorer.entered_.WaitForNotification();
  ASSERT_TRUE((*batcher)->Submit({{2}}, {1}, b.Callback()).ok());
  ASSERT_TRUE((*batcher)->Submit({{3}}, {1}, c.Callback()).ok());
  (*batcher)->AwaitQueuedSequences(2);
  scorer.release_.Notify();
  for (Answer* answer : {&a, &b, &c}) {
    answer->done.WaitForNotification();
    EXPECT_EQ(answer->result.status().code(), absl::StatusCode::kInternal);
  }
  EXPECT_EQ((*batcher)->merged_batches(), 1);
}

TEST(LogProbBatcherTest, DestructorScoresWhatIsStillQueued) {
  GatedScorer scorer;
  auto batcher = LogProbBatcher::Create({.max_batch_sequences = 1, .max_queued_sequences = 8}, scorer.Fn());
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  Answer a, b;
  ASSERT_TRUE((*batcher)->Submit({{1}}, {1}, a.Callback()).ok());
  scorer.entered_.WaitForNotification();
  ASSERT_TRUE((*batcher)->Submit({{2}}, {1}, b.Callback()).ok());
  scorer.release_.Notify();
  batcher->reset();
  EXPECT_TRUE(a.done.HasBeenNotified());
  ASSERT_TRUE(b.done.HasBeenNotified());
  EXPECT_EQ(*b.result, (LogProbs{{2, 1}}));
}

TEST(LogProbBatcherTest, RejectsBadOptions) {
  GatedScorer scorer;
  EXPECT_EQ(LogProbBatcher::Create({.max_batch_sequences = 0}, scorer.Fn()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LogProbBatcher::Create({.max_queued_sequences = 0}, scorer.Fn()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fulcrum
