#include "reference_server/reference_server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "absl/synchronization/notification.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/model_io.h"
#include "core/protocol.h"
#include "core/scoring.h"
#include "core/tensor_proto.h"
#include "fulcrum/v1/reference.grpc.pb.h"
#include "reference_server/reference_service.h"
#include "tests/core/test_models.h"
#include "tests/temp_dir.h"
#include "tests/health_check.h"

namespace fulcrum {
namespace {

constexpr float kTolerance = 1e-5f;

v1::LogProbsRequest MakeRequest(const std::vector<std::vector<int>>& sequences, const std::vector<int>& prompt_lens) {
  v1::LogProbsRequest request;
  request.set_protocol_version(kProtocolVersion);
  for (size_t i = 0; i < sequences.size(); ++i) {
    v1::Sequence* sequence = request.add_sequences();
    sequence->mutable_tokens()->Add(sequences[i].begin(), sequences[i].end());
    sequence->set_prompt_len(prompt_lens[i]);
  }
  return request;
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
}

// Checks that `response` holds exactly `expected`, one F32 tensor per sequence.
void ExpectLogProbs(const v1::LogProbsResponse& response, const LogProbs& expected) {
  ASSERT_EQ(response.logprobs_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    absl::StatusOr<torch::Tensor> got = TensorFromProto(response.logprobs(i));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->scalar_type(), torch::kFloat32);
    ASSERT_EQ(got->dim(), 1);
    ASSERT_EQ(got->size(0), static_cast<int64_t>(expected[i].size())) << "sequence " << i;
    for (size_t j = 0; j < expected[i].size(); ++j) {
      EXPECT_NEAR(got->data_ptr<float>()[j], expected[i][j], kTolerance) << "sequence " << i << " token " << j;
    }
  }
}

class ReferenceServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CharTokenizer tokenizer;
    model_ = testing::TinyGpt(tokenizer.vocab_size());
    absl::StatusOr<std::map<std::string, std::string>> files = ModelFiles(model_, tokenizer);
    ASSERT_TRUE(files.ok()) << files.status();
    absl::StatusOr<std::string> dir = WriteCheckpoint(root_.path(), 3, *files);
    ASSERT_TRUE(dir.ok()) << dir.status();
    checkpoint_ = *dir;
  }

  absl::StatusOr<LogProbs> Direct(const std::vector<std::vector<int>>& sequences, const std::vector<int>& prompt_lens) {
    return ScoreCompletions(model_, sequences, prompt_lens);
  }

  testing::ScopedTempDir root_{"reference_server"};
  Gpt model_{nullptr};
  std::string checkpoint_;
};

// A ReferenceService over `batcher`, served in-process, with a stub to call it.
struct InProcessReference {
  explicit InProcessReference(LogProbBatcher* batcher)
      : service(batcher, {CharTokenizer().vocab_size(), 64, "in-memory"}) {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    if (server != nullptr) stub = v1::Reference::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }
  ReferenceService service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::Reference::Stub> stub;
};

TEST_F(ReferenceServerTest, LogProbsMatchScoreCompletionsForMixedLengths) {
  auto server = ReferenceServer::Create({.checkpoint_dir = root_.path()});  // A root: LATEST is followed.
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->checkpoint(), checkpoint_);
  EXPECT_GT((*server)->port(), 0);

  const std::vector<std::vector<int>> sequences = {
      {1, 40, 41, 42, 43, 44, 45, 2}, {1, 50, 51}, {1, 60, 61, 62, 63}, {1, 70}};
  const std::vector<int> prompt_lens = {3, 1, 5, 2};  // The last two have no completion tokens.
  absl::StatusOr<LogProbs> expected = Direct(sequences, prompt_lens);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ((*expected)[0].size(), 5u);

  auto stub = v1::Reference::NewStub((*server)->InProcessChannel());
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::LogProbsResponse response;
  grpc::Status status = stub->LogProbs(&context, MakeRequest(sequences, prompt_lens), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectLogProbs(response, *expected);
  EXPECT_EQ(response.checkpoint(), checkpoint_);
}

// The standard grpc.health.v1 service answers SERVING (field 1 = 1) for the whole server ("").
TEST_F(ReferenceServerTest, HealthServiceReportsServing) {
  auto server = ReferenceServer::Create({.checkpoint_dir = checkpoint_});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(testing::HealthCheck((*server)->InProcessChannel()), testing::kServingResponse);
}

TEST_F(ReferenceServerTest, ProtocolMismatchAndBadSequencesGetTheDocumentedCodes) {
  auto server = ReferenceServer::Create({.checkpoint_dir = checkpoint_});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::Reference::NewStub((*server)->InProcessChannel());
  auto call = [&](const v1::LogProbsRequest& request) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::LogProbsResponse response;
    return stub->LogProbs(&context, request, &response);
  };

  v1::LogProbsRequest wrong_version = MakeRequest({{1, 5}}, {1});
  wrong_version.set_protocol_version(2);
  grpc::Status status = call(wrong_version);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("protocol_version is 2"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("speaks protocol_version 1"), std::string::npos) << status.error_message();

  const int vocab = CharTokenizer().vocab_size();
  const struct {
    std::vector<int> bad_tokens;
    int bad_prompt_len;
  } cases[] = {
      {{}, 1},                               // empty
      {{1, 5, 6}, 0},                        // prompt_len below 1
      {{1, 5, 6}, 4},                        // prompt_len past the end
      {{1, vocab}, 1},                       // id outside the vocabulary
      {{1, -1}, 1},                          // negative id
      {std::vector<int>(65, 5), 1},          // longer than max_seq_len 64
  };
  for (const auto& c : cases) {
    status = call(MakeRequest({{1, 5, 6}, c.bad_tokens}, {1, c.bad_prompt_len}));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find("sequence 1"), std::string::npos) << status.error_message();
  }
}

TEST_F(ReferenceServerTest, CreateNamesAMissingCheckpoint) {
  const std::string missing = root_.path() + "/nope";
  auto server = ReferenceServer::Create({.checkpoint_dir = missing});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find(missing), std::string::npos) << server.status();
  EXPECT_EQ(ReferenceServer::Create({.checkpoint_dir = checkpoint_, .max_batch_sequences = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Eight concurrent calls against a service whose first batch is held until the other seven are
// queued, so the batcher must merge them; every caller still gets its own exact answer.
TEST_F(ReferenceServerTest, ConcurrentCallsAreMergedAndAnsweredCorrectly) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  Gpt model = model_;
  auto batcher = LogProbBatcher::Create(
      {.max_batch_sequences = 64, .max_queued_sequences = 64},
      [&, model](const std::vector<std::vector<int>>& sequences, const std::vector<int>& prompt_lens) mutable {
        if (calls++ == 0) {
          entered.Notify();
          release.WaitForNotification();
        }
        return ScoreCompletions(model, sequences, prompt_lens);
      });
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  InProcessReference served(batcher->get());
  ASSERT_NE(served.server, nullptr);
  auto& stub = served.stub;

  constexpr int kCalls = 8;
  struct Call {
    std::vector<std::vector<int>> sequences;
    std::vector<int> prompt_lens;
    grpc::ClientContext context;
    v1::LogProbsRequest request;
    v1::LogProbsResponse response;
    grpc::Status status;
    absl::Notification done;
  };
  std::vector<std::unique_ptr<Call>> pending;
  int queued_after_first = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    for (int s = 0; s <= i % 3; ++s) {
      std::vector<int> tokens = {1};
      for (int t = 0; t < 2 + i + 3 * s; ++t) tokens.push_back(3 + (7 * i + 5 * s + t) % 90);
      call->sequences.push_back(tokens);
      call->prompt_lens.push_back(1 + (i + s) % 3);
    }
    if (i > 0) queued_after_first += static_cast<int>(call->sequences.size());
    call->request = MakeRequest(call->sequences, call->prompt_lens);
    SetDeadline(&call->context);
    Call* raw = call.get();
    stub->async()->LogProbs(&raw->context, &raw->request, &raw->response, [raw](grpc::Status status) {
      raw->status = std::move(status);
      raw->done.Notify();
    });
    pending.push_back(std::move(call));
    if (i == 0) entered.WaitForNotification();
  }
  (*batcher)->AwaitQueuedSequences(queued_after_first);
  release.Notify();

  for (const auto& call : pending) {
    call->done.WaitForNotification();
    ASSERT_TRUE(call->status.ok()) << call->status.error_message();
    absl::StatusOr<LogProbs> expected = Direct(call->sequences, call->prompt_lens);
    ASSERT_TRUE(expected.ok()) << expected.status();
    ExpectLogProbs(call->response, *expected);
    EXPECT_EQ(call->response.checkpoint(), "in-memory");
  }
  EXPECT_GE((*batcher)->merged_batches(), 1);
  EXPECT_EQ((*batcher)->batches_scored(), 2);
  served.server->Shutdown();
}

// With room for one waiting sequence and the worker held, a second waiting call is refused.
TEST_F(ReferenceServerTest, FullQueueGivesResourceExhausted) {
  absl::Notification entered, release;
  std::atomic<int> calls{0};
  auto batcher = LogProbBatcher::Create(
      {.max_batch_sequences = 8, .max_queued_sequences = 1},
      [&](const std::vector<std::vector<int>>& sequences, const std::vector<int>&) -> absl::StatusOr<LogProbs> {
        if (calls++ == 0) {
          entered.Notify();
          release.WaitForNotification();
        }
        return LogProbs(sequences.size());
      });
  ASSERT_TRUE(batcher.ok()) << batcher.status();
  InProcessReference served(batcher->get());
  ASSERT_NE(served.server, nullptr);
  auto& stub = served.stub;

  const v1::LogProbsRequest request = MakeRequest({{1, 5}}, {1});
  grpc::ClientContext first_context, second_context;
  SetDeadline(&first_context);
  SetDeadline(&second_context);
  v1::LogProbsResponse first_response, second_response;
  absl::Notification first_done, second_done;
  grpc::Status first_status, second_status;
  stub->async()->LogProbs(&first_context, &request, &first_response, [&](grpc::Status s) {
    first_status = s;
    first_done.Notify();
  });
  entered.WaitForNotification();
  stub->async()->LogProbs(&second_context, &request, &second_response, [&](grpc::Status s) {
    second_status = s;
    second_done.Notify();
  });
  (*batcher)->AwaitQueuedSequences(1);

  grpc::ClientContext third_context;
  SetDeadline(&third_context);
  v1::LogProbsResponse third_response;
  grpc::Status third = stub->LogProbs(&third_context, request, &third_response);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();

  release.Notify();
  first_done.WaitForNotification();
  second_done.WaitForNotification();
  EXPECT_TRUE(first_status.ok()) << first_status.error_message();
  EXPECT_TRUE(second_status.ok()) << second_status.error_message();
  EXPECT_EQ(second_response.logprobs_size(), 1);
  served.server->Shutdown();
}

}  // namespace
}  // namespace fulcrum
