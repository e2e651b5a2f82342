// The reward server's own Prometheus metrics (fulcrum_reward_*), looked up once when RewardService
// is built. Call latency per method and code, fulcrum_reward_rpc_seconds, comes from the
// interceptors RewardServer installs (core/rpc_metrics.h).
#ifndef FULCRUM_REWARD_SERVER_REWARD_METRICS_H_
#define FULCRUM_REWARD_SERVER_REWARD_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "fulcrum/v1/reward.pb.h"

namespace fulcrum {

struct RewardMetrics {
  RewardMetrics();

  // Counts the results of one answered Score call: every item, the missing ones, and the reward
  // of each present one.
  void RecordResults(const fulcrum::v1::ScoreResponse& response);

  prometheus::Counter& samples_scored;
  prometheus::Histogram& reward;
  prometheus::Counter& missing;
  prometheus::Gauge& requests_in_flight;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_REWARD_METRICS_H_
