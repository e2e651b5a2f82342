// Merges concurrent log-prob requests into batched forward passes. ReferenceService submits each
// RPC's sequences; one worker thread, owned and joined by the batcher, takes the oldest waiting
// requests (RequestsInNextBatch), scores them with one call and hands each request its own slice
// of the answer. The queue is bounded: a request that does not fit is refused at once with
// RESOURCE_EXHAUSTED, so overload reaches clients as backpressure rather than as latency. The queue
// depth, batch sizes and what was scored go to the fulcrum_reference_* metrics.
#ifndef FULCRUM_REFERENCE_SERVER_LOGPROB_BATCHER_H_
#define FULCRUM_REFERENCE_SERVER_LOGPROB_BATCHER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/gpt.h"
#include "reference_server/reference_metrics.h"

namespace fulcrum {

// Per-sequence log-probs of the completion tokens, one vector per sequence.
using LogProbs = std::vector<std::vector<float>>;

class LogProbBatcher {
 public:
  struct Options {
    int max_batch_sequences = 64;     // Sequences per forward pass (one oversized request runs alone).
    int max_queued_sequences = 1024;  // Sequences waiting, not counting the batch being scored.
    absl::Status Validate() const;
  };

  // Scores a batch; the contract of ScoreCompletions.
  using ScoreFn = std::function<absl::StatusOr<LogProbs>(const std::vector<std::vector<int>>& sequences,
                                                         const std::vector<int>& prompt_lens)>;
  // Receives a request's answer on the worker thread; must not block for long.
  using Done = absl::AnyInvocable<void(absl::StatusOr<LogProbs>)>;

  // Scores with ScoreCompletions on `model` (put in eval mode; gradients are off while scoring).
  static absl::StatusOr<std::unique_ptr<LogProbBatcher>> Create(const Options& options, Gpt model);
  // Scores with `score`; tests use this to hold the worker at a known point.
  static absl::StatusOr<std::unique_ptr<LogProbBatcher>> Create(const Options& options, ScoreFn score);

  // Scores the requests still queued, then joins the worker.
  ~LogProbBatcher();
  LogProbBatcher(const LogProbBatcher&) = delete;
  LogProbBatcher& operator=(const LogProbBatcher&) = delete;

  // Queues one request, whose sequences the caller has validated. On OK, `done` runs exactly once,
  // later, on the worker thread; if the batch fails every request in it gets the error. Otherwise
  // `done` never runs: RESOURCE_EXHAUSTED when the queue is full, INVALID_ARGUMENT when the
  // request alone exceeds max_queued_sequences or the two vectors differ in length.
  absl::Status Submit(std::vector<std::vector<int>> sequences, std::vector<int> prompt_lens, Done done);

  // Blocks until at least `n` sequences wait in the queue (for tests and drain logic).
  void AwaitQueuedSequences(int n) const;

  int queued_sequences() const;
  int64_t batches_scored() const;
  // Batches that held two requests or more.
  int64_t merged_batches() const;

 private:
  struct Request {
    std::vector<std::vector<int>> sequences;
    std::vector<int> prompt_lens;
    Done done;
  };

  LogProbBatcher(const Options& options, ScoreFn score);
  void Run();
  // Blocks for the next batch; empty once stopping with nothing left.
  std::vector<Request> NextBatch();
  void Score(std::vector<Request>& batch);

  const Options options_;
  const ScoreFn score_;
  ReferenceMetrics metrics_;
  mutable absl::Mutex mutex_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mutex_);
  int queued_sequences_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t batches_scored_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t merged_batches_ ABSL_GUARDED_BY(mutex_) = 0;
  std::thread worker_;  // Started last in the constructor, joined in the destructor.
};

}  // namespace fulcrum

#endif  // FULCRUM_REFERENCE_SERVER_LOGPROB_BATCHER_H_
