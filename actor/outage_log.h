// Logs a service outage once when it starts ("waiting for the learner at host:port: <error>") and
// once when it ends, however many calls fail in between, so a long outage does not flood the log.
// Shared by the calls of one client, from any thread.
#ifndef FULCRUM_ACTOR_OUTAGE_LOG_H_
#define FULCRUM_ACTOR_OUTAGE_LOG_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace fulcrum {

class OutageLog {
 public:
  // `service` names the peer, e.g. "the learner at 10.0.0.7:5050".
  explicit OutageLog(std::string service) : service_(std::move(service)) {}

  // A call failed in a way worth retrying; logs when this starts an outage.
  void Failed(const absl::Status& status);
  // A call succeeded; logs when this ends an outage.
  void Succeeded();

  bool in_outage() const;

 private:
  const std::string service_;
  mutable absl::Mutex mu_;
  bool in_outage_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_OUTAGE_LOG_H_
