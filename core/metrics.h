// Prometheus metrics of one process. Every metric lives in the process's registry (prometheus-cpp),
// named fulcrum_<role>_<what>_<unit> (counters end in _total), and `MetricsServer` serves it in the
// text exposition format at /metrics over HTTP (cpp-httplib). prometheus-cpp's own Exposer is not
// used: its CivetWeb threads get a 100 KB stack, less than the static TLS LibTorch and OpenBLAS
// bring, so they cannot start in a Fulcrum process. Components look their metrics up once, when they
// are built, and keep the references: the lookups below return the same metric for the same name
// and labels, so two components of one process share a counter instead of clashing.
#ifndef FULCRUM_CORE_METRICS_H_
#define FULCRUM_CORE_METRICS_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace fulcrum {

// The registry every metric of this process is added to.
const std::shared_ptr<prometheus::Registry>& MetricsRegistry();

prometheus::Counter& CounterMetric(const std::string& name, const std::string& help,
                                   const prometheus::Labels& labels = {});
prometheus::Gauge& GaugeMetric(const std::string& name, const std::string& help,
                               const prometheus::Labels& labels = {});
prometheus::Histogram& HistogramMetric(const std::string& name, const std::string& help,
                                       const prometheus::Histogram::BucketBoundaries& buckets,
                                       const prometheus::Labels& labels = {});

// Bucket bounds: seconds from 1 ms to 60 s; powers of two from 1 to 64 (versions, sizes); and
// steps of 0.25 over [-3, 3] for rewards (a verifier's 0 / 1 and a normalized reward model's
// scores alike), plus the overflow bucket.
const prometheus::Histogram::BucketBoundaries& SecondsBuckets();
const prometheus::Histogram::BucketBoundaries& CountBuckets();
const prometheus::Histogram::BucketBoundaries& RewardBuckets();

// Serves the registry at http://<host>:<port>/metrics until destroyed.
class MetricsServer {
 public:
  // Port 0 picks a free one. An error names the address when it cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& host, int port);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<httplib::Server> server, int port);
  std::unique_ptr<httplib::Server> server_;
  int port_;
  std::thread thread_;  // Runs server_->listen_after_bind().
};

}  // namespace fulcrum

#endif  // FULCRUM_CORE_METRICS_H_
