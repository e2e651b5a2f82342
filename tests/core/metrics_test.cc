// MetricsServer over real HTTP on loopback, and the metric lookups it serves.
#include "core/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

// The whole HTTP/1.0 answer to "GET <path>" on 127.0.0.1:<port>; empty when nothing answers.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
    if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) answer.append(buffer, n);
    }
  }
  close(fd);
  return answer;
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
  EXPECT_THAT(answer, HasSubstr("200 OK"));
  EXPECT_THAT(answer, HasSubstr("# TYPE fulcrum_test_served_total counter"));
  EXPECT_THAT(answer, HasSubstr("fulcrum_test_served_total 42"));
  EXPECT_THAT(HttpGet((*server)->port(), "/"), HasSubstr("404 Not Found"));
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
