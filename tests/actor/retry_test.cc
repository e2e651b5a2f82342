#include "actor/retry.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "actor/cancellation.h"
#include "actor/outage_log.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

RetryOptions Fast() {
  RetryOptions options;
  options.rpc_timeout = absl::Seconds(1);
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(2);
  return options;
}

TEST(RetryTest, RetriesTransientErrorsUntilSuccess) {
  Cancellation cancellation;
  OutageLog outage("the test server");
  int attempts = 0;
  absl::Status status = CallWithRetry(Fast(), absl::InfiniteFuture(), cancellation, outage, [&](absl::Duration) {
    ++attempts;
    if (attempts == 1) return absl::UnavailableError("down");
    if (attempts == 2) return absl::ResourceExhaustedError("busy");
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(attempts, 3);
  EXPECT_FALSE(outage.in_outage());
}

TEST(RetryTest, ReturnsAPermanentErrorAtOnce) {
  Cancellation cancellation;
  OutageLog outage("the test server");
  int attempts = 0;
  absl::Status status = CallWithRetry(Fast(), absl::InfiniteFuture(), cancellation, outage, [&](absl::Duration) {
    ++attempts;
    return absl::FailedPreconditionError("protocol_version 2 but this server speaks 1");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(attempts, 1);
}

TEST(RetryTest, GivesUpAtTheGiveUpTimeWithTheLastError) {
  Cancellation cancellation;
  OutageLog outage("the test server");
  absl::Status status = CallWithRetry(Fast(), absl::Now() + absl::Milliseconds(20), cancellation, outage,
                                      [&](absl::Duration timeout) {
                                        EXPECT_LE(timeout, absl::Milliseconds(20));
                                        return absl::UnavailableError("connection refused");
                                      });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("gave up after"));
  EXPECT_THAT(status.message(), HasSubstr("connection refused"));
  EXPECT_TRUE(outage.in_outage());
}

TEST(RetryTest, AnAttemptCutShortByTheGiveUpTimeDoesNotHideTheRealFailure) {
  Cancellation cancellation;
  OutageLog outage("the test server");
  int attempts = 0;
  absl::Status status = CallWithRetry(Fast(), absl::Now() + absl::Milliseconds(20), cancellation, outage,
                                      [&](absl::Duration timeout) {
                                        if (++attempts == 1) return absl::UnavailableError("connection refused");
                                        return absl::DeadlineExceededError("deadline exceeded");
                                      });
  EXPECT_GE(attempts, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("connection refused"));
}

TEST(RetryTest, CancellationEndsTheRetries) {
  Cancellation cancellation;
  OutageLog outage("the test server");
  int attempts = 0;
  RetryOptions slow = Fast();
  slow.initial_backoff = slow.max_backoff = absl::Hours(1);
  // After the first failure the loop would wait an hour; Cancel() from another thread ends it.
  std::thread canceller([&] { cancellation.Cancel(); });
  absl::Status status = CallWithRetry(slow, absl::InfiniteFuture(), cancellation, outage, [&](absl::Duration) {
    ++attempts;
    return absl::UnavailableError("down");
  });
  canceller.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(attempts, 1);
}

}  // namespace
}  // namespace fulcrum
