#include "reference_server/logprob_batcher.h"

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/scoring.h"
#include "reference_server/batch_policy.h"

namespace fulcrum {

absl::Status LogProbBatcher::Options::Validate() const {
  if (max_batch_sequences < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_batch_sequences must be >= 1, got ", max_batch_sequences));
  }
  if (max_queued_sequences < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_queued_sequences must be >= 1, got ", max_queued_sequences));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogProbBatcher>> LogProbBatcher::Create(const Options& options, Gpt model) {
  model->eval();
  return Create(options, [model](const std::vector<std::vector<int>>& sequences,
                                 const std::vector<int>& prompt_lens) mutable {
    return ScoreCompletions(model, sequences, prompt_lens);
  });
}

absl::StatusOr<std::unique_ptr<LogProbBatcher>> LogProbBatcher::Create(const Options& options, ScoreFn score) {
  if (absl::Status status = options.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("log-prob batcher: ", status.message()));
  }
  return std::unique_ptr<LogProbBatcher>(new LogProbBatcher(options, std::move(score)));
}

LogProbBatcher::LogProbBatcher(const Options& options, ScoreFn score)
    : options_(options), score_(std::move(score)), worker_([this] { Run(); }) {}

LogProbBatcher::~LogProbBatcher() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  worker_.join();
}

absl::Status LogProbBatcher::Submit(std::vector<std::vector<int>> sequences, std::vector<int> prompt_lens,
                                    Done done) {
  if (sequences.size() != prompt_lens.size()) {
    return absl::InvalidArgumentError(absl::StrCat("got ", sequences.size(), " sequences but ", prompt_lens.size(),
                                                   " prompt lengths"));
  }
  const int n = static_cast<int>(sequences.size());
  if (n > options_.max_queued_sequences) {
    return absl::InvalidArgumentError(absl::StrCat("a request of ", n, " sequences exceeds the queue of ",
                                                   options_.max_queued_sequences, "; split it"));
  }
  absl::MutexLock lock(&mutex_);
  if (queued_sequences_ + n > options_.max_queued_sequences) {
    return absl::ResourceExhaustedError(absl::StrCat("reference server busy: ", queued_sequences_, " of ",
                                                     options_.max_queued_sequences,
                                                     " queued sequences in use; retry later"));
  }
  queued_sequences_ += n;
  metrics_.queue_depth.Set(queued_sequences_);
  queue_.push_back(Request{std::move(sequences), std::move(prompt_lens), std::move(done)});
  return absl::OkStatus();
}

void LogProbBatcher::AwaitQueuedSequences(int n) const {
  absl::MutexLock lock(&mutex_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return queued_sequences_ >= n; };
  mutex_.Await(absl::Condition(&enough));
}

int LogProbBatcher::queued_sequences() const {
  absl::MutexLock lock(&mutex_);
  return queued_sequences_;
}

int64_t LogProbBatcher::batches_scored() const {
  absl::MutexLock lock(&mutex_);
  return batches_scored_;
}

int64_t LogProbBatcher::merged_batches() const {
  absl::MutexLock lock(&mutex_);
  return merged_batches_;
}

void LogProbBatcher::Run() {
  for (std::vector<Request> batch = NextBatch(); !batch.empty(); batch = NextBatch()) Score(batch);
}

std::vector<LogProbBatcher::Request> LogProbBatcher::NextBatch() {
  absl::MutexLock lock(&mutex_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_ || !queue_.empty(); };
  mutex_.Await(absl::Condition(&ready));
  std::vector<int> sizes;
  sizes.reserve(queue_.size());
  for (const Request& request : queue_) sizes.push_back(static_cast<int>(request.sequences.size()));
  const size_t count = RequestsInNextBatch(sizes, options_.max_batch_sequences);
  std::vector<Request> batch;
  batch.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    queued_sequences_ -= sizes[i];
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  metrics_.queue_depth.Set(queued_sequences_);
  if (count > 0) ++batches_scored_;
  if (count > 1) ++merged_batches_;
  return batch;
}

void LogProbBatcher::Score(std::vector<Request>& batch) {
  std::vector<std::vector<int>> sequences;
  std::vector<int> prompt_lens;
  for (Request& request : batch) {
    for (size_t i = 0; i < request.sequences.size(); ++i) {
      sequences.push_back(std::move(request.sequences[i]));
      prompt_lens.push_back(request.prompt_lens[i]);
    }
  }
  metrics_.batch_sequences.Observe(static_cast<double>(sequences.size()));
  absl::StatusOr<LogProbs> scored = score_(sequences, prompt_lens);
  if (scored.ok() && scored->size() != sequences.size()) {
    scored = absl::InternalError(absl::StrCat("scoring returned ", scored->size(), " answers for ",
                                              sequences.size(), " sequences"));
  }
  if (scored.ok()) {
    metrics_.sequences_scored.Increment(static_cast<double>(scored->size()));
    size_t tokens = 0;
    for (const std::vector<float>& logprobs : *scored) tokens += logprobs.size();
    metrics_.tokens_scored.Increment(static_cast<double>(tokens));
  }
  size_t next = 0;
  for (Request& request : batch) {
    if (!scored.ok()) {
      request.done(scored.status());
      continue;
    }
    const size_t n = request.prompt_lens.size();
    LogProbs mine(std::make_move_iterator(scored->begin() + next), std::make_move_iterator(scored->begin() + next + n));
    next += n;
    request.done(std::move(mine));
  }
}

}  // namespace fulcrum
