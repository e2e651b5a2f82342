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
  absl::Status reported;  // The failure to report when giving up.
  while (true) {
    const absl::Duration remaining = std::max(give_up_at - absl::Now(), absl::ZeroDuration());
    const bool shortened = remaining < options.rpc_timeout;
    absl::Status status = attempt(std::min(options.rpc_timeout, remaining));
    if (status.ok()) {
      outage.Succeeded();
      return status;
    }
    if (cancellation.cancelled()) return absl::CancelledError("shutting down");
    if (!IsTransient(status)) return status;
    outage.Failed(status);
    // A last attempt cut short by the give-up time says less than the failure before it.
    if (reported.ok() || !(shortened && absl::IsDeadlineExceeded(status))) reported = status;
    const absl::Duration left = give_up_at - absl::Now();
    if (left <= absl::ZeroDuration()) {
      const absl::Duration tried = absl::Trunc(absl::Now() - start, absl::Milliseconds(1));
      return absl::Status(reported.code(), absl::StrCat("gave up after ", absl::FormatDuration(tried), ": ",
                                                        reported.message()));
    }
    if (!cancellation.SleepFor(std::min(backoff.Next(), left))) return absl::CancelledError("shutting down");
  }
}

}  // namespace fulcrum
