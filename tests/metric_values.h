// Reads metrics back from this process's registry (core/metrics.h), so tests can assert that an
// action moved a counter, set a gauge or observed into a histogram. The registry is shared by every
// test of a binary: compare against the value read before the action.
#ifndef FULCRUM_TESTS_METRIC_VALUES_H_
#define FULCRUM_TESTS_METRIC_VALUES_H_

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>

#include "core/metrics.h"

namespace fulcrum::testing {

// The metric `name` whose labels are exactly `labels`; nullopt when there is none yet.
inline std::optional<prometheus::ClientMetric> FindMetric(const std::string& name,
                                                          const prometheus::Labels& labels = {}) {
  for (const prometheus::MetricFamily& family : MetricsRegistry()->Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::vector<prometheus::ClientMetric::Label> wanted;
      for (const auto& [key, value] : labels) wanted.push_back({key, value});
      std::vector<prometheus::ClientMetric::Label> have = metric.label;
      std::sort(have.begin(), have.end());
      if (have == wanted) return metric;
    }
  }
  return std::nullopt;
}

// A counter's or gauge's value, or a histogram's number of observations; 0 for a missing metric.
inline double MetricValue(const std::string& name, const prometheus::Labels& labels = {}) {
  const std::optional<prometheus::ClientMetric> metric = FindMetric(name, labels);
  if (!metric) return 0;
  return metric->counter.value + metric->gauge.value + static_cast<double>(metric->histogram.sample_count);
}

// A histogram's sum of observations; 0 for a missing metric.
inline double HistogramSum(const std::string& name, const prometheus::Labels& labels = {}) {
  const std::optional<prometheus::ClientMetric> metric = FindMetric(name, labels);
  return metric ? metric->histogram.sample_sum : 0;
}

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_METRIC_VALUES_H_
