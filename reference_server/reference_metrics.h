// The reference server's own Prometheus metrics (fulcrum_reference_*), looked up once when a
// LogProbBatcher is built; its worker and submitters update them. Call latency per method and
// code, fulcrum_reference_rpc_seconds, comes from the interceptors ReferenceServer installs.
#ifndef FULCRUM_REFERENCE_SERVER_REFERENCE_METRICS_H_
#define FULCRUM_REFERENCE_SERVER_REFERENCE_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace fulcrum {

struct ReferenceMetrics {
  ReferenceMetrics();

  prometheus::Counter& sequences_scored;
  prometheus::Counter& tokens_scored;
  prometheus::Gauge& queue_depth;
  prometheus::Histogram& batch_sequences;
};

}  // namespace fulcrum

#endif  // FULCRUM_REFERENCE_SERVER_REFERENCE_METRICS_H_
