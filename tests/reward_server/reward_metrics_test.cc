// The fulcrum_reward_* metrics, read back from the process registry around Score calls made over
// loopback TCP to a real RewardServer.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/protocol.h"
#include "fulcrum/v1/reward.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reward_server/reward_server.h"
#include "tests/metric_values.h"

namespace fulcrum {
namespace {

using ::fulcrum::testing::HistogramSum;
using ::fulcrum::testing::MetricValue;

constexpr char kScored[] = "fulcrum_reward_samples_scored_total";
constexpr char kMissing[] = "fulcrum_reward_missing_total";
constexpr char kReward[] = "fulcrum_reward_reward";
constexpr char kInFlight[] = "fulcrum_reward_requests_in_flight";
constexpr char kRpcSeconds[] = "fulcrum_reward_rpc_seconds";

// Answers the i-th item with rewards[i % size]; NaN becomes missing in the service. With `hold`,
// every call waits for it, so a test can look at a call in flight.
class FixedScorer final : public Scorer {
 public:
  explicit FixedScorer(std::vector<double> rewards, absl::Notification* hold = nullptr,
                       absl::Notification* entered = nullptr)
      : rewards_(std::move(rewards)), hold_(hold), entered_(entered) {}

  std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items, absl::Time) const override {
    if (entered_ != nullptr) entered_->Notify();
    if (hold_ != nullptr) hold_->WaitForNotification();
    std::vector<fulcrum::v1::ScoreResult> results(items.size());
    for (int i = 0; i < items.size(); ++i) results[i].set_reward(rewards_[i % rewards_.size()]);
    return results;
  }

 private:
  const std::vector<double> rewards_;
  absl::Notification* const hold_;
  absl::Notification* const entered_;
};

std::unique_ptr<RewardServer> StartServer(std::unique_ptr<Scorer> scorer) {
  absl::StatusOr<std::unique_ptr<RewardServer>> server = RewardServer::Create({}, std::move(scorer));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Score over TCP, as a remote actor calls it.
grpc::Status Score(const RewardServer& server, int items, uint32_t protocol_version = kProtocolVersion) {
  auto stub = fulcrum::v1::Reward::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()), grpc::InsecureChannelCredentials()));
  fulcrum::v1::ScoreRequest request;
  request.set_protocol_version(protocol_version);
  for (int i = 0; i < items; ++i) request.add_items()->set_completion(absl::StrCat(i));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  fulcrum::v1::ScoreResponse response;
  return stub->Score(&context, request, &response);
}

TEST(RewardMetricsTest, ScoreCountsItemsRewardsAndMissingAndIsTimed) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::unique_ptr<RewardServer> server = StartServer(std::make_unique<FixedScorer>(std::vector<double>{0.5, 1.0, nan}));
  ASSERT_NE(server, nullptr);
  const prometheus::Labels ok_call = {{"method", "fulcrum.v1.Reward/Score"}, {"code", "0"}};
  const double scored = MetricValue(kScored);
  const double missing = MetricValue(kMissing);
  const double rewards = MetricValue(kReward);
  const double reward_sum = HistogramSum(kReward);
  const double calls = MetricValue(kRpcSeconds, ok_call);

  const grpc::Status status = Score(*server, 6);  // 0.5, 1, NaN, 0.5, 1, NaN
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(MetricValue(kScored) - scored, 6);
  EXPECT_EQ(MetricValue(kMissing) - missing, 2);
  EXPECT_EQ(MetricValue(kReward) - rewards, 4);
  EXPECT_DOUBLE_EQ(HistogramSum(kReward) - reward_sum, 3.0);
  EXPECT_EQ(MetricValue(kRpcSeconds, ok_call) - calls, 1);
}

TEST(RewardMetricsTest, ARefusedCallIsTimedUnderItsCodeAndScoresNothing) {
  std::unique_ptr<RewardServer> server = StartServer(std::make_unique<FixedScorer>(std::vector<double>{1.0}));
  ASSERT_NE(server, nullptr);
  const prometheus::Labels refused = {{"method", "fulcrum.v1.Reward/Score"},
                                      {"code", absl::StrCat(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION))}};
  const double scored = MetricValue(kScored);
  const double calls = MetricValue(kRpcSeconds, refused);

  EXPECT_EQ(Score(*server, 3, /*protocol_version=*/7).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  EXPECT_EQ(MetricValue(kScored), scored);
  EXPECT_EQ(MetricValue(kRpcSeconds, refused) - calls, 1);
}

TEST(RewardMetricsTest, RequestsInFlightCountsTheCallBeingScored) {
  absl::Notification hold;
  absl::Notification entered;
  std::unique_ptr<RewardServer> server =
      StartServer(std::make_unique<FixedScorer>(std::vector<double>{1.0}, &hold, &entered));
  ASSERT_NE(server, nullptr);
  const double before = MetricValue(kInFlight);
  grpc::Status status;
  std::thread call([&] { status = Score(*server, 1); });
  entered.WaitForNotification();
  EXPECT_EQ(MetricValue(kInFlight) - before, 1);
  hold.Notify();
  call.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(MetricValue(kInFlight), before);
}

}  // namespace
}  // namespace fulcrum
