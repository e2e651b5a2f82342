#include "reference_server/reference_metrics.h"

#include "core/metrics.h"

namespace fulcrum {

ReferenceMetrics::ReferenceMetrics()
    : sequences_scored(CounterMetric("fulcrum_reference_sequences_scored_total",
                                     "Sequences whose log-probs were answered.")),
      tokens_scored(CounterMetric("fulcrum_reference_tokens_scored_total",
                                  "Completion tokens whose log-probs were answered.")),
      queue_depth(GaugeMetric("fulcrum_reference_queue_depth", "Sequences waiting for a forward pass.")),
      batch_sequences(HistogramMetric("fulcrum_reference_batch_sequences", "Sequences per forward pass.",
                                      CountBuckets())) {}

}  // namespace fulcrum
