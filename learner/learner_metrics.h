// The learner's Prometheus metrics (fulcrum_learner_*; the names are listed in docs/deploy.md).
// Every stage reports through MetricsLog, so the step counter, step time, losses, KL, entropy, clip
// fraction and held-out accuracy come from the records it appends; the RL stage adds what only it
// knows: rewards and staleness of the groups it trains on, the lease counters, queue depths, the
// policy version, each actor's version lag and the weight traffic.
#ifndef FULCRUM_LEARNER_LEARNER_METRICS_H_
#define FULCRUM_LEARNER_LEARNER_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/metrics.h"
#include "learner/rollout_coordinator.h"

namespace fulcrum {

class LearnerMetrics {
 public:
  // The process's instance.
  static LearnerMetrics& Get();

  // A metrics.jsonl record: a training record ("step" without "kind": eval) moves the step counter
  // to its step and observes the mean seconds per step since the previous one; its loss, KL, entropy,
  // clip fraction and held-out accuracy become the gauges' values.
  void Record(const nlohmann::json& record);

  // RL: the groups of one update, trained at `version`.
  void Groups(const std::vector<RolloutGroup>& groups, int64_t version);
  // RL: the coordinator's state after an update.
  void Coordinator(const RolloutCoordinator::Stats& stats, size_t units_outstanding, size_t groups_buffered);
  void PolicyPublished(int64_t version, double seconds);
  void ActorLag(const std::string& actor_id, int64_t versions);
  void WeightBytesSent(int64_t bytes);

 private:
  LearnerMetrics();
  // Adds what `total` grew by since `*seen` to `counter`.
  static void Advance(prometheus::Counter& counter, int64_t total, int64_t* seen);

  prometheus::Counter& steps_;
  prometheus::Histogram& step_seconds_;
  prometheus::Gauge& loss_;
  prometheus::Gauge& policy_loss_;
  prometheus::Gauge& value_loss_;
  prometheus::Gauge& kl_;
  prometheus::Gauge& entropy_;
  prometheus::Gauge& clip_fraction_;
  prometheus::Gauge& heldout_accuracy_;
  prometheus::Histogram& reward_;
  prometheus::Counter& samples_;
  prometheus::Histogram& staleness_;
  prometheus::Gauge& policy_version_;
  prometheus::Histogram& publish_seconds_;
  prometheus::Counter& leases_issued_;
  prometheus::Counter& leases_expired_;
  prometheus::Counter& leases_reissued_;
  prometheus::Counter& duplicates_;
  prometheus::Counter& stale_drops_;
  prometheus::Counter& missing_rewards_;
  prometheus::Gauge& units_outstanding_;
  prometheus::Gauge& groups_buffered_;
  prometheus::Counter& weight_bytes_;

  absl::Mutex mu_;
  int64_t last_step_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Time last_step_time_ ABSL_GUARDED_BY(mu_);
  RolloutCoordinator::Stats seen_ ABSL_GUARDED_BY(mu_);
  int64_t seen_expired_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_LEARNER_METRICS_H_
