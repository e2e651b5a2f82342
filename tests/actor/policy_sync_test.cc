#include "actor/policy_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "actor/cancellation.h"
#include "actor/learner_client.h"
#include "core/char_tokenizer.h"
#include "tests/actor/fake_learner.h"
#include "tests/core/test_models.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using testing::FakeLearner;

RetryOptions FastRetry() {
  RetryOptions retry;
  retry.rpc_timeout = absl::Seconds(10);
  retry.initial_backoff = absl::Milliseconds(1);
  retry.max_backoff = absl::Milliseconds(10);
  return retry;
}

// True when `policy` holds exactly the weights of `model`.
bool SameWeights(const Policy& policy, const Gpt& model) {
  const auto got = policy.model->NamedWeights();
  const auto want = model->NamedWeights();
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].first != want[i].first || !torch::equal(got[i].second, want[i].second)) return false;
  }
  return true;
}

class PolicySyncTest : public ::testing::Test {
 protected:
  void Publish(int64_t version, const Gpt& model) {
    learner_.service.Publish(testing::PolicyWeights(version, model, tokenizer_));
  }

  CharTokenizer tokenizer_;
  Gpt v1_ = testing::TinyGpt(tokenizer_.vocab_size(), /*seed=*/1);
  Gpt v2_ = testing::TinyGpt(tokenizer_.vocab_size(), /*seed=*/2);
  testing::InProcessLearner learner_;
  Cancellation cancellation_;
  LearnerClient client_{learner_.NewStub(), "in-process", FastRetry(), &cancellation_};
  PolicySync sync_{&client_};
};

TEST_F(PolicySyncTest, NothingPublishedIsNotFound) {
  EXPECT_EQ(sync_.Refresh().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sync_.version(), -1);
  EXPECT_EQ(sync_.policy(), nullptr);
}

TEST_F(PolicySyncTest, AppliesACompleteVersionWithItsTokenizer) {
  Publish(1, v1_);
  absl::StatusOr<PolicySync::Update> update = sync_.Refresh();
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_TRUE(update->updated);
  EXPECT_GT(update->bytes, static_cast<int64_t>(FakeLearner::kChunkBytes));  // Several chunks.
  EXPECT_EQ(sync_.version(), 1);
  ASSERT_NE(sync_.policy(), nullptr);
  EXPECT_TRUE(SameWeights(*sync_.policy(), v1_));
  EXPECT_EQ(sync_.policy()->tokenizer->vocab_size(), tokenizer_.vocab_size());
  EXPECT_EQ(learner_.service.protocol_version(), 1u);

  // Current: the learner answers ALREADY_EXISTS and nothing changes.
  update = sync_.Refresh();
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_FALSE(update->updated);
  EXPECT_EQ(sync_.version(), 1);
}

TEST_F(PolicySyncTest, AStreamCutInTheMiddleKeepsTheOldVersion) {
  Publish(1, v1_);
  ASSERT_TRUE(sync_.Refresh().ok());
  Publish(2, v2_);

  learner_.service.FaultNextStream({.chunks = 3});  // Then ends OK, without the last chunk.
  absl::StatusOr<PolicySync::Update> update = sync_.Refresh();
  EXPECT_EQ(update.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(update.status().message(), HasSubstr("keeping the current weights"));
  EXPECT_EQ(sync_.version(), 1);
  EXPECT_TRUE(SameWeights(*sync_.policy(), v1_));

  learner_.service.FaultNextStream({.chunks = 2, .end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "learner died")});
  update = sync_.Refresh();
  EXPECT_EQ(update.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(update.status().message(), HasSubstr("learner died"));
  EXPECT_EQ(sync_.version(), 1);
  EXPECT_TRUE(SameWeights(*sync_.policy(), v1_));

  // The next whole stream applies.
  update = sync_.Refresh();
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(sync_.version(), 2);
  EXPECT_TRUE(SameWeights(*sync_.policy(), v2_));
}

TEST_F(PolicySyncTest, ACorruptStreamKeepsTheOldVersion) {
  Publish(1, v1_);
  ASSERT_TRUE(sync_.Refresh().ok());
  Publish(2, v2_);
  learner_.service.FaultNextStream({.corrupt = true});
  absl::StatusOr<PolicySync::Update> update = sync_.Refresh();
  EXPECT_EQ(update.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(update.status().message(), HasSubstr("CRC-32"));
  EXPECT_EQ(sync_.version(), 1);
  EXPECT_TRUE(SameWeights(*sync_.policy(), v1_));
}

TEST_F(PolicySyncTest, CancelledFetchFailsWithoutReachingTheLearner) {
  Publish(1, v1_);
  cancellation_.Cancel();
  EXPECT_EQ(sync_.Refresh().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sync_.version(), -1);
  EXPECT_EQ(learner_.service.fetch_calls(), 0);
}

}  // namespace
}  // namespace fulcrum
