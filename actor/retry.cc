#include "actor/retry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "actor/backoff.h"

namespace fulcrum {

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:  // By the server or a proxy; our own cancellation is checked first.
      return true;
    default:
      return false;
  }
}

absl::Status CallWithRetry(const RetryOptions& options, absl::Time give_up_at, Cancellation& cancellation,
                           OutageLog& outage, absl::FunctionRef<absl::Status(absl::Duration)> attempt) {
  const absl::Time start = absl::Now();
  Backoff backoff(options.initial_backoff, options.max_backoff);
  while (true) {
    const absl::Duration remaining = give_up_at - absl::Now();
    absl::Status status = attempt(std::min(options.rpc_timeout, std::max(remaining, absl::ZeroDuration())));
    if (status.ok()) {
      outage.Succeeded();
      return status;
    }
    if (cancellation.cancelled()) return absl::CancelledError("shutting down");
    if (!IsTransient(status)) return status;
    outage.Failed(status);
    const absl::Duration left = give_up_at - absl::Now();
    if (left <= absl::ZeroDuration()) {
      const absl::Duration tried = absl::Trunc(absl::Now() - start, absl::Milliseconds(1));
      return absl::Status(status.code(), absl::StrCat("gave up after ", absl::FormatDuration(tried), ": ",
                                                      status.message()));
    }
    if (!cancellation.SleepFor(std::min(backoff.Next(), left))) return absl::CancelledError("shutting down");
  }
}

}  // namespace fulcrum
