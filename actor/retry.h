// The retry loop every client of the actor runs its RPCs in: per-attempt deadlines, exponential
// backoff between attempts, outage logging, an overall give-up time, and prompt exit on
// cancellation.
#ifndef FULCRUM_ACTOR_RETRY_H_
#define FULCRUM_ACTOR_RETRY_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actor/cancellation.h"
#include "actor/outage_log.h"

namespace fulcrum {

struct RetryOptions {
  absl::Duration rpc_timeout = absl::Seconds(30);  // Deadline of one attempt.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

// Whether a failed call may succeed if tried again: transport failures, deadlines, overload and
// server-side faults. A malformed request, a protocol mismatch or an answer like NOT_FOUND is not.
bool IsTransient(const absl::Status& status);

// Calls `attempt(timeout)` until it returns OK or a non-transient error, which is returned as is.
// Transient errors are reported to `outage` and retried after a backoff until `give_up_at`
// (absl::InfiniteFuture() never gives up); then the last error is returned, code kept, message
// prefixed with "gave up after <time>: ". Once `cancellation` fires, returns CANCELLED.
absl::Status CallWithRetry(const RetryOptions& options, absl::Time give_up_at, Cancellation& cancellation,
                           OutageLog& outage, absl::FunctionRef<absl::Status(absl::Duration)> attempt);

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_RETRY_H_
