// MetricsServer over real HTTP on loopback, and the metric lookups it serves.
#include "core/metrics.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

// The answer to "GET <path>" on 127.0.0.1:<port> as "<status> <content type>\n<body>"; empty when
// nothing answers.
std::string HttpGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  httplib::Result result = client.Get(path.c_str());
  return result ? absl::StrCat(result->status, " ", result->get_header_value("Content-Type"), "\n", result->body) : "";
}

TEST(MetricsTest, LookupsReturnTheSameMetric) {
  prometheus::Counter& first = CounterMetric("fulcrum_test_lookups_total", "Test counter.", {{"kind", "a"}});
  prometheus::Counter& again = CounterMetric("fulcrum_test_lookups_total", "Test counter.", {{"kind", "a"}});
  prometheus::Counter& other = CounterMetric("fulcrum_test_lookups_total", "Test counter.", {{"kind", "b"}});
  EXPECT_EQ(&first, &again);
  EXPECT_NE(&first, &other);
}

TEST(MetricsServerTest, ServesTheRegistryOverHttp) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  prometheus::Counter& counter = CounterMetric("fulcrum_test_served_total", "Test counter.");
  counter.Increment(41 - counter.Value());
  EXPECT_THAT(HttpGet((*server)->port(), "/metrics"), HasSubstr("fulcrum_test_served_total 41"));
  counter.Increment();
  const std::string answer = HttpGet((*server)->port(), "/metrics");
  EXPECT_THAT(answer, HasSubstr("200 text/plain; version=0.0.4"));
  EXPECT_THAT(answer, HasSubstr("# TYPE fulcrum_test_served_total counter"));
  EXPECT_THAT(answer, HasSubstr("fulcrum_test_served_total 42"));
  EXPECT_THAT(HttpGet((*server)->port(), "/"), HasSubstr("404 "));
}

TEST(MetricsServerTest, APortInUseIsAnErrorNamingTheAddress) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> first = MetricsServer::Start("127.0.0.1", 0);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsServer>> second = MetricsServer::Start("127.0.0.1", (*first)->port());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("127.0.0.1:", (*first)->port())));
}

}  // namespace
}  // namespace fulcrum
