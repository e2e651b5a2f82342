// RewardClient and ReferenceClient against a real in-process server, and against an address where
// nothing listens.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "actor/cancellation.h"
#include "actor/reference_client.h"
#include "actor/reward_client.h"
#include "reward_server/reward_server.h"
#include "tests/actor/closed_port.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

RetryOptions FastRetry() {
  RetryOptions retry;
  retry.rpc_timeout = absl::Seconds(10);
  retry.initial_backoff = absl::Milliseconds(5);
  retry.max_backoff = absl::Milliseconds(20);
  return retry;
}

std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

v1::ScoreItem Item(const std::string& completion, const std::string& ground_truth) {
  v1::ScoreItem item;
  item.set_prompt("1+1=");
  item.set_completion(completion);
  item.set_ground_truth(ground_truth);
  return item;
}

TEST(RewardClientTest, ScoresInOrderAcrossSplitBatches) {
  RewardServer::Options server_options;
  server_options.scorer.scorer = "exact_match";
  server_options.max_batch_items = 2;
  auto server = RewardServer::Create(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  Cancellation cancellation;
  RewardClient client(v1::Reward::NewStub((*server)->InProcessChannel()),
                      {.address = "in-process", .retry = FastRetry(), .max_items_per_call = 2}, &cancellation);
  absl::StatusOr<std::vector<v1::ScoreResult>> results =
      client.Score({Item("2", "2"), Item("3", "2"), Item("x", "x"), Item("", "7"), Item(" 5 ", "5")});
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 5u);
  const std::vector<double> expected = {1, 0, 1, 0, 1};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_FALSE((*results)[i].missing()) << i;
    EXPECT_EQ((*results)[i].reward(), expected[i]) << i;
  }
}

TEST(RewardClientTest, AnUnreachableServerGivesMissingRewardsNamingIt) {
  testing::ClosedPort closed;
  ASSERT_GT(closed.port(), 0);
  Cancellation cancellation;
  RewardClient client(v1::Reward::NewStub(ChannelTo(closed.address())),
                      {.address = closed.address(), .retry = FastRetry(), .give_up_after = absl::Milliseconds(200),
                       .max_items_per_call = 1},
                      &cancellation);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<v1::ScoreResult>> results = client.Score({Item("2", "2"), Item("3", "3")});
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  for (const v1::ScoreResult& result : *results) {
    EXPECT_TRUE(result.missing());
    EXPECT_EQ(result.reward(), 0.0);
    EXPECT_THAT(result.reason(), HasSubstr("reward server at " + closed.address()));
  }
}

TEST(RewardClientTest, CancellationIsAnErrorNotMissingRewards) {
  testing::ClosedPort closed;
  Cancellation cancellation;
  cancellation.Cancel();
  RewardClient client(v1::Reward::NewStub(ChannelTo(closed.address())),
                      {.address = closed.address(), .retry = FastRetry()}, &cancellation);
  EXPECT_EQ(client.Score({Item("2", "2")}).status().code(), absl::StatusCode::kCancelled);
}

TEST(ReferenceClientTest, AnUnreachableServerIsAnErrorNamingIt) {
  testing::ClosedPort closed;
  Cancellation cancellation;
  ReferenceClient client(v1::Reference::NewStub(ChannelTo(closed.address())),
                         {.address = closed.address(), .retry = FastRetry(), .give_up_after = absl::Milliseconds(100)},
                         &cancellation);
  v1::Sequence sequence;
  for (int id : {1, 5, 6}) sequence.add_tokens(id);
  sequence.set_prompt_len(2);
  absl::StatusOr<std::vector<torch::Tensor>> logprobs = client.LogProbs({sequence});
  ASSERT_FALSE(logprobs.ok());
  EXPECT_THAT(logprobs.status().message(), HasSubstr("reference server at " + closed.address()));
  EXPECT_THAT(logprobs.status().message(), HasSubstr("gave up after"));
}

}  // namespace
}  // namespace fulcrum
