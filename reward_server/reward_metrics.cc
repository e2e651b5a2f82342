#include "reward_server/reward_metrics.h"

#include "core/metrics.h"

namespace fulcrum {

RewardMetrics::RewardMetrics()
    : samples_scored(CounterMetric("fulcrum_reward_samples_scored_total", "Items scored by Score calls.")),
      reward(HistogramMetric("fulcrum_reward_reward", "Rewards of the items that were not missing.",
                             RewardBuckets())),
      missing(CounterMetric("fulcrum_reward_missing_total",
                            "Items answered missing (timed out, failed or not finite).")),
      requests_in_flight(GaugeMetric("fulcrum_reward_requests_in_flight", "Score calls being scored now.")) {}

void RewardMetrics::RecordResults(const fulcrum::v1::ScoreResponse& response) {
  samples_scored.Increment(response.results_size());
  for (const fulcrum::v1::ScoreResult& result : response.results()) {
    if (result.missing()) {
      missing.Increment();
    } else {
      reward.Observe(result.reward());
    }
  }
}

}  // namespace fulcrum
