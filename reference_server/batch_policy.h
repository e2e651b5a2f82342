// Which queued log-prob requests the reference server scores together next. Pure policy, no
// threads: LogProbBatcher calls it with the sizes of the requests waiting, oldest first.
#ifndef FULCRUM_REFERENCE_SERVER_BATCH_POLICY_H_
#define FULCRUM_REFERENCE_SERVER_BATCH_POLICY_H_

#include <cstddef>

#include "absl/types/span.h"

namespace fulcrum {

// How many of the oldest requests form the next batch: the longest prefix of `queued_sizes`
// (sequences per request) whose total is at most `max_batch_sequences`, but always at least one
// request when any wait, so a request larger than a batch still runs (alone). Requests are never
// split or reordered, which keeps answers in arrival order. 0 when nothing waits.
size_t RequestsInNextBatch(absl::Span<const int> queued_sizes, int max_batch_sequences);

}  // namespace fulcrum

#endif  // FULCRUM_REFERENCE_SERVER_BATCH_POLICY_H_
