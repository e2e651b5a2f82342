// Lets a binary's main thread wait for SIGINT / SIGTERM without a signal handler (so nothing has to
// be async-signal-safe): the constructor blocks both signals — call it before any thread starts, so
// every thread inherits the mask — and Wait() takes the next one synchronously with sigwait.
#ifndef FULCRUM_CORE_SHUTDOWN_SIGNALS_H_
#define FULCRUM_CORE_SHUTDOWN_SIGNALS_H_

#include <signal.h>

#include "absl/time/time.h"

namespace fulcrum {

class ShutdownSignals {
 public:
  ShutdownSignals();
  // Blocks until SIGINT or SIGTERM arrives; returns which.
  int Wait();
  // As Wait, but gives up after `timeout`: 0 then.
  int WaitFor(absl::Duration timeout);
  static const char* Name(int signal_number);
  // Unblocks both in the calling thread: a binary that waits for no signal, with worker threads
  // started while they were blocked, is ended by one as by default, through this thread.
  static void Unblock();

 private:
  sigset_t signals_;
};

}  // namespace fulcrum

#endif  // FULCRUM_CORE_SHUTDOWN_SIGNALS_H_
