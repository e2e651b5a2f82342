#include "core/metrics.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <utility>

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace fulcrum {

const std::shared_ptr<prometheus::Registry>& MetricsRegistry() {
  static const auto* registry = new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *registry;
}

prometheus::Counter& CounterMetric(const std::string& name, const std::string& help,
                                   const prometheus::Labels& labels) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*MetricsRegistry()).Add(labels);
}

prometheus::Gauge& GaugeMetric(const std::string& name, const std::string& help, const prometheus::Labels& labels) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*MetricsRegistry()).Add(labels);
}

prometheus::Histogram& HistogramMetric(const std::string& name, const std::string& help,
                                       const prometheus::Histogram::BucketBoundaries& buckets,
                                       const prometheus::Labels& labels) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(*MetricsRegistry()).Add(labels, buckets);
}

const prometheus::Histogram::BucketBoundaries& SecondsBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& CountBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{0, 1, 2, 4, 8, 16, 32, 64};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& RewardBuckets() {
  static const auto* buckets = [] {
    auto* bounds = new prometheus::Histogram::BucketBoundaries;
    for (int i = -12; i <= 12; ++i) bounds->push_back(i / 4.0);
    return bounds;
  }();
  return *buckets;
}

MetricsServer::MetricsServer(std::unique_ptr<httplib::Server> server, int port)
    : server_(std::move(server)), port_(port), thread_([this] {
        // SIGINT / SIGTERM are for the binary's own waiter, whenever this server was started.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        server_->listen_after_bind();  // Its worker threads inherit the mask.
      }) {}

MetricsServer::~MetricsServer() {
  server_->stop();
  thread_.join();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& host, int port) {
  auto server = std::make_unique<httplib::Server>();
  // Two workers, one request per connection: a scraper that keeps its connection open holds no
  // worker between scrapes, so a second scraper is never kept waiting.
  server->new_task_queue = [] { return new httplib::ThreadPool(/*n=*/2); };
  server->set_keep_alive_max_count(1);
  // SO_REUSEADDR only: cpp-httplib's default SO_REUSEPORT would let a second server share a port in use.
  server->set_socket_options([](int fd) {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  });
  server->Get("/metrics", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(prometheus::TextSerializer().Serialize(MetricsRegistry()->Collect()),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  const int bound = port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", host, ":", port,
                                               ": address in use or not valid"));
  }
  std::unique_ptr<MetricsServer> metrics(new MetricsServer(std::move(server), bound));
  // stop() does nothing until the listening loop runs, so a server destroyed right away (a binary
  // failing just after starting it) would never stop: return only once the loop runs.
  while (!metrics->server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  return metrics;
}

}  // namespace fulcrum
