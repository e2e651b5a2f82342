// The actor's health-only gRPC server, over loopback TCP.
#include "actor/health_server.h"

#include <memory>
#include <string>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/health_check.h"
#include "tests/metric_values.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

TEST(HealthServerTest, AnswersServingAndTimesTheCall) {
  absl::StatusOr<std::unique_ptr<HealthServer>> server = HealthServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  const prometheus::Labels check = {{"method", "grpc.health.v1.Health/Check"}, {"code", "0"}};
  const double before = testing::MetricValue("fulcrum_actor_rpc_seconds", check);

  const absl::Status serving = CheckServing(absl::StrCat("127.0.0.1:", (*server)->port()), absl::Seconds(5));
  EXPECT_TRUE(serving.ok()) << serving;
  EXPECT_EQ(testing::MetricValue("fulcrum_actor_rpc_seconds", check) - before, 1);
}

TEST(HealthServerTest, ServesNothingButHealth) {
  absl::StatusOr<std::unique_ptr<HealthServer>> server = HealthServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  const absl::StatusOr<std::string> answer = CallWithEmptyRequest(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials()),
      "/fulcrum.v1.Reward/Score", absl::Seconds(5));
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnimplemented) << answer.status();
}

TEST(HealthServerTest, APortInUseIsAnErrorNamingTheAddress) {
  absl::StatusOr<std::unique_ptr<HealthServer>> first = HealthServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*first)->port());
  absl::StatusOr<std::unique_ptr<HealthServer>> second = HealthServer::Start(address);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(address));
}

}  // namespace
}  // namespace fulcrum
