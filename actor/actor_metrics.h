// The actor's own Prometheus metrics (fulcrum_actor_*), looked up once when a RolloutActor is
// built. The latency of its outgoing calls, fulcrum_actor_rpc_seconds{method, code}, comes from the
// interceptors on its channels (InstrumentedChannel in core/rpc_metrics.h).
#ifndef FULCRUM_ACTOR_ACTOR_METRICS_H_
#define FULCRUM_ACTOR_ACTOR_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace fulcrum {

struct ActorMetrics {
  ActorMetrics();

  prometheus::Counter& tokens_generated;
  prometheus::Counter& samples_generated;
  prometheus::Histogram& generation_seconds;  // One observation per generated work unit.
  prometheus::Gauge& policy_version;          // The version generated with; -1 before the first.
  prometheus::Counter& weight_sync_bytes;
  prometheus::Histogram& weight_sync_seconds;  // One observation per new version fetched.
  prometheus::Counter& missing_rewards;        // Samples submitted with a missing reward.
  prometheus::Gauge& handoff_queue_depth;      // Generated units waiting to be scored and submitted.
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_ACTOR_METRICS_H_
