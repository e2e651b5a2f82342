#include "actor/cancellation.h"

#include <algorithm>

namespace fulcrum {

void Cancellation::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  for (grpc::ClientContext* context : calls_) context->TryCancel();
}

bool Cancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool Cancellation::SleepFor(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&cancelled_), duration);
  return !cancelled_;
}

Cancellation::Call::Call(Cancellation* cancellation, absl::Duration timeout) : cancellation_(cancellation) {
  context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  absl::MutexLock lock(&cancellation_->mu_);
  if (cancellation_->cancelled_) {
    context_.TryCancel();
  } else {
    cancellation_->calls_.push_back(&context_);
  }
}

Cancellation::Call::~Call() {
  absl::MutexLock lock(&cancellation_->mu_);
  auto& calls = cancellation_->calls_;
  calls.erase(std::remove(calls.begin(), calls.end(), &context_), calls.end());
}

}  // namespace fulcrum
