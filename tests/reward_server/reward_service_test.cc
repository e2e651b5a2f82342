#include "reward_server/reward_service.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/protocol.h"
#include "fulcrum/v1/reward.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reward_server/reward_server.h"
#include "reward_server/scorer.h"
#include "tests/health_check.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
}

RewardServer::Options AdditionVerifier() {
  RewardServer::Options options;
  options.scorer.scorer = "verifier";
  options.scorer.task.set_name("addition");
  options.max_batch_items = 4;
  return options;
}

std::unique_ptr<RewardServer> StartServer(const RewardServer::Options& options) {
  absl::StatusOr<std::unique_ptr<RewardServer>> server = RewardServer::Create(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

fulcrum::v1::ScoreRequest Request(const std::vector<std::string>& completions) {
  fulcrum::v1::ScoreRequest request;
  request.set_protocol_version(kProtocolVersion);
  for (const std::string& completion : completions) {
    fulcrum::v1::ScoreItem* item = request.add_items();
    item->set_prompt("100+68=");
    item->set_completion(completion);
    item->set_ground_truth("168");
  }
  return request;
}

TEST(RewardServiceTest, ScoresABatchInOrder) {
  std::unique_ptr<RewardServer> server = StartServer(AdditionVerifier());
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  auto stub = fulcrum::v1::Reward::NewStub(server->InProcessChannel());
  grpc::ClientContext context;
  SetDeadline(&context);
  fulcrum::v1::ScoreResponse response;
  const grpc::Status status = stub->Score(&context, Request({"168", "169", "x", "168"}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_EQ(response.results(0).reward(), 1.0);
  EXPECT_EQ(response.results(1).reward(), 0.0);
  EXPECT_THAT(response.results(1).reason(), HasSubstr("169 is not 168"));
  EXPECT_EQ(response.results(2).reward(), 0.0);
  EXPECT_EQ(response.results(3).reward(), 1.0);
  for (const fulcrum::v1::ScoreResult& result : response.results()) EXPECT_FALSE(result.missing());
}

TEST(RewardServiceTest, RejectsAnotherProtocolVersionNamingBoth) {
  std::unique_ptr<RewardServer> server = StartServer(AdditionVerifier());
  ASSERT_NE(server, nullptr);
  auto stub = fulcrum::v1::Reward::NewStub(server->InProcessChannel());
  fulcrum::v1::ScoreRequest request = Request({"168"});
  request.set_protocol_version(7);
  grpc::ClientContext context;
  SetDeadline(&context);
  fulcrum::v1::ScoreResponse response;
  const grpc::Status status = stub->Score(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("protocol_version is 7"));
  EXPECT_THAT(status.error_message(), HasSubstr("speaks protocol_version 1"));
}

TEST(RewardServiceTest, RejectsOversizeBatch) {
  std::unique_ptr<RewardServer> server = StartServer(AdditionVerifier());
  ASSERT_NE(server, nullptr);
  auto stub = fulcrum::v1::Reward::NewStub(server->InProcessChannel());
  grpc::ClientContext context;
  SetDeadline(&context);
  fulcrum::v1::ScoreResponse response;
  const grpc::Status status =
      stub->Score(&context, Request({"1", "2", "3", "4", "5"}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("max_batch_items 4"));
}

TEST(RewardServiceTest, HealthServiceAnswersServing) {
  std::unique_ptr<RewardServer> server = StartServer(AdditionVerifier());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(testing::HealthCheck(server->InProcessChannel()), testing::kServingResponse);
}

// Holds every call until released, so a test can keep one call in flight without sleeping.
class BlockingScorer final : public Scorer {
 public:
  std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items,
                                                   absl::Time deadline) const override {
    if (!entered_.HasBeenNotified()) entered_.Notify();
    release_.WaitForNotification();
    fulcrum::v1::ScoreResult result;
    result.set_reward(1.0);
    return std::vector<fulcrum::v1::ScoreResult>(items.size(), result);
  }
  absl::Notification& entered() const { return entered_; }
  absl::Notification& release() const { return release_; }

 private:
  mutable absl::Notification entered_;
  mutable absl::Notification release_;
};

TEST(RewardServiceTest, RefusesCallsBeyondTheConcurrencyBound) {
  RewardServer::Options options = AdditionVerifier();
  options.max_concurrent_requests = 1;
  auto scorer = std::make_unique<BlockingScorer>();
  const BlockingScorer* blocking = scorer.get();
  absl::StatusOr<std::unique_ptr<RewardServer>> server =
      RewardServer::Create(options, std::move(scorer));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = fulcrum::v1::Reward::NewStub((*server)->InProcessChannel());

  grpc::ClientContext first_context;
  SetDeadline(&first_context);
  const fulcrum::v1::ScoreRequest request = Request({"168"});
  fulcrum::v1::ScoreResponse first_response;
  grpc::Status first_status;
  absl::Notification first_done;
  stub->async()->Score(&first_context, &request, &first_response, [&](grpc::Status s) {
    first_status = std::move(s);
    first_done.Notify();
  });
  blocking->entered().WaitForNotification();

  grpc::ClientContext second_context;
  SetDeadline(&second_context);
  fulcrum::v1::ScoreResponse second_response;
  const grpc::Status second = stub->Score(&second_context, request, &second_response);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.error_message(), HasSubstr("max_concurrent_requests 1"));

  blocking->release().Notify();
  first_done.WaitForNotification();
  ASSERT_TRUE(first_status.ok()) << first_status.error_message();
  ASSERT_EQ(first_response.results_size(), 1);

  // The slot is free again once the first call has finished.
  grpc::ClientContext third_context;
  SetDeadline(&third_context);
  fulcrum::v1::ScoreResponse third_response;
  EXPECT_TRUE(stub->Score(&third_context, request, &third_response).ok());
}

// Returns a NaN for every item, as a broken reward model might.
class NanBatchScorer final : public Scorer {
 public:
  std::vector<fulcrum::v1::ScoreResult> ScoreBatch(const ScoreItems& items,
                                                   absl::Time deadline) const override {
    fulcrum::v1::ScoreResult result;
    result.set_reward(std::nan(""));
    return std::vector<fulcrum::v1::ScoreResult>(items.size(), result);
  }
};

TEST(RewardServiceTest, NanFromABatchScorerIsMissing) {
  absl::StatusOr<std::unique_ptr<RewardServer>> server =
      RewardServer::Create(AdditionVerifier(), std::make_unique<NanBatchScorer>());
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = fulcrum::v1::Reward::NewStub((*server)->InProcessChannel());
  grpc::ClientContext context;
  SetDeadline(&context);
  fulcrum::v1::ScoreResponse response;
  ASSERT_TRUE(stub->Score(&context, Request({"1", "2"}), &response).ok());
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_TRUE(response.results(0).missing());
  EXPECT_TRUE(response.results(1).missing());
  EXPECT_THAT(response.results(1).reason(), HasSubstr("non-finite"));
}

TEST(RewardServerTest, PortInUseNamesTheAddress) {
  std::unique_ptr<RewardServer> first = StartServer(AdditionVerifier());
  ASSERT_NE(first, nullptr);
  RewardServer::Options options = AdditionVerifier();
  options.listen_address = "127.0.0.1:" + std::to_string(first->port());
  const absl::Status status = RewardServer::Create(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr(options.listen_address));
}

TEST(RewardServerTest, OptionErrorsNameTheOption) {
  RewardServer::Options options = AdditionVerifier();
  options.max_concurrent_requests = 0;
  EXPECT_THAT(RewardServer::Create(options).status().message(),
              HasSubstr("max_concurrent_requests"));
  options = AdditionVerifier();
  options.max_batch_items = -1;
  EXPECT_THAT(RewardServer::Create(options).status().message(), HasSubstr("max_batch_items"));
}

}  // namespace
}  // namespace fulcrum
