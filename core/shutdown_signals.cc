#include "core/shutdown_signals.h"

#include <pthread.h>

namespace fulcrum {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

int ShutdownSignals::Wait() {
  int received = 0;
  sigwait(&signals_, &received);
  return received;
}

int ShutdownSignals::WaitFor(absl::Duration timeout) {
  const timespec wait = absl::ToTimespec(timeout);
  const int received = sigtimedwait(&signals_, nullptr, &wait);
  return received > 0 ? received : 0;
}

void ShutdownSignals::Unblock() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
}

const char* ShutdownSignals::Name(int signal_number) { return signal_number == SIGTERM ? "SIGTERM" : "SIGINT"; }

}  // namespace fulcrum
