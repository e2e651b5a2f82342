#include "actor/outage_log.h"

#include "glog/logging.h"

namespace fulcrum {

void OutageLog::Failed(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (in_outage_) return;
  in_outage_ = true;
  LOG(WARNING) << "waiting for " << service_ << ": " << status.message();
}

void OutageLog::Succeeded() {
  absl::MutexLock lock(&mu_);
  if (!in_outage_) return;
  in_outage_ = false;
  LOG(INFO) << service_ << " answers again";
}

bool OutageLog::in_outage() const {
  absl::MutexLock lock(&mu_);
  return in_outage_;
}

}  // namespace fulcrum
