#include "actor/actor_metrics.h"

#include "core/metrics.h"

namespace fulcrum {

ActorMetrics::ActorMetrics()
    : tokens_generated(CounterMetric("fulcrum_actor_tokens_generated_total", "Completion tokens generated.")),
      samples_generated(CounterMetric("fulcrum_actor_samples_generated_total", "Completions generated.")),
      generation_seconds(HistogramMetric("fulcrum_actor_generation_seconds",
                                         "Seconds to generate the completions of one work unit.", SecondsBuckets())),
      policy_version(GaugeMetric("fulcrum_actor_policy_version", "Policy version the actor generates with.")),
      weight_sync_bytes(CounterMetric("fulcrum_actor_weight_sync_bytes_total",
                                      "Bytes of policy weights fetched from the learner.")),
      weight_sync_seconds(HistogramMetric("fulcrum_actor_weight_sync_seconds",
                                          "Seconds to fetch and load one new policy version.", SecondsBuckets())),
      missing_rewards(CounterMetric("fulcrum_actor_missing_rewards_total",
                                    "Samples submitted with a missing reward (or reference log-probs).")),
      handoff_queue_depth(GaugeMetric("fulcrum_actor_queue_depth",
                                      "Items waiting in the actor's bounded queues.", {{"queue", "handoff"}})) {
  policy_version.Set(-1);
}

}  // namespace fulcrum
