// The actor's stop switch. Cancel() wakes every wait made through SleepFor and cancels every RPC
// whose ClientContext is a live Cancellation::Call, so shutdown never waits out a backoff or an
// RPC deadline. Every client of the actor and both of its threads share one. Thread-safe.
#ifndef FULCRUM_ACTOR_CANCELLATION_H_
#define FULCRUM_ACTOR_CANCELLATION_H_

#include <vector>

#include <grpcpp/client_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace fulcrum {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Idempotent.
  void Cancel();
  bool cancelled() const;

  // Waits `duration` unless cancelled first. Returns false when cancelled.
  bool SleepFor(absl::Duration duration);

  // The ClientContext of one RPC, with a deadline `timeout` from now, cancelled by Cancel() (at
  // once if Cancel() came first: the call then fails with CANCELLED without reaching the server).
  class Call {
   public:
    Call(Cancellation* cancellation, absl::Duration timeout);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    grpc::ClientContext* context() { return &context_; }

   private:
    Cancellation* const cancellation_;
    grpc::ClientContext context_;
  };

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_CANCELLATION_H_
