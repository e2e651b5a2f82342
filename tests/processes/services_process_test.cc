// The service binaries as real processes over loopback: started on ephemeral ports, used once they
// say they serve, and stopped with SIGTERM.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/model_io.h"
#include "core/scoring.h"
#include "core/tensor_proto.h"
#include "fulcrum/v1/reference.grpc.pb.h"
#include "fulcrum/v1/reward.grpc.pb.h"
#include "tests/child_process.h"
#include "tests/core/test_models.h"
#include "tests/health_check.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using testing::BinaryPath;
using testing::ChildProcess;

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

TEST(ServicesProcessTest, RewardServerScoresOverLoopbackAndStopsOnSigterm) {
  auto child = ChildProcess::Start(
      {BinaryPath("fulcrum-reward"), "--scorer=verifier", "--task=addition", "--port=0"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto address = (*child)->WaitForLine("fulcrum-reward listening on ");
  ASSERT_TRUE(address.ok()) << address.status();

  auto channel = Connect(*address);
  EXPECT_EQ(testing::HealthCheck(channel), testing::kServingResponse);
  auto stub = v1::Reward::NewStub(channel);
  v1::ScoreRequest request;
  request.set_protocol_version(1);
  for (const char* completion : {"579", "578", "0579"}) {
    v1::ScoreItem* item = request.add_items();
    item->set_prompt("123+456=");
    item->set_completion(completion);
    item->set_ground_truth("579");
  }
  v1::ScoreResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(stub->Score(&context, request, &response).ok());
  ASSERT_EQ(response.results_size(), 3);
  EXPECT_EQ(response.results(0).reward(), 1.0);
  EXPECT_EQ(response.results(1).reward(), 0.0);
  EXPECT_EQ(response.results(2).reward(), 0.0);
  for (const auto& result : response.results()) EXPECT_FALSE(result.missing());

  (*child)->Signal(SIGTERM);
  EXPECT_EQ((*child)->Wait(), 0);
}

TEST(ServicesProcessTest, ReferenceServerAnswersWithTheCheckpointsLogProbs) {
  testing::ScopedTempDir dir("reference_process");
  CharTokenizer tokenizer;
  Gpt model = testing::TinyGpt(tokenizer.vocab_size());
  auto files = ModelFiles(model, tokenizer);
  ASSERT_TRUE(files.ok());
  ASSERT_TRUE(WriteCheckpoint(dir.path(), 1, *files).ok());

  auto child = ChildProcess::Start(
      {BinaryPath("fulcrum-reference"), "--checkpoint=" + dir.path(), "--port=0", "--threads=1"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto address = (*child)->WaitForLine("fulcrum-reference listening on ");
  ASSERT_TRUE(address.ok()) << address.status();

  const std::vector<int> tokens = {1, 20, 21, 14, 22, 23, 2};
  v1::LogProbsRequest request;
  request.set_protocol_version(1);
  v1::Sequence* sequence = request.add_sequences();
  for (int t : tokens) sequence->add_tokens(t);
  sequence->set_prompt_len(4);
  v1::LogProbsResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  auto status = v1::Reference::NewStub(Connect(*address))->LogProbs(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.logprobs_size(), 1);
  auto served = TensorFromProto(response.logprobs(0));
  ASSERT_TRUE(served.ok());
  auto expected = ScoreCompletions(model, {tokens}, {4});
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(served->numel(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(served->data_ptr<float>()[i], (*expected)[0][i], 1e-5);

  (*child)->Signal(SIGTERM);
  EXPECT_EQ((*child)->Wait(), 0);
}

TEST(ServicesProcessTest, BadFlagsEndWithOneClearLineAndExitCodeOne) {
  auto reward = ChildProcess::Start({BinaryPath("fulcrum-reward"), "--scorer=judge"});
  ASSERT_TRUE(reward.ok());
  const std::string said = (*reward)->ReadAll();
  EXPECT_EQ((*reward)->Wait(), 1);
  // One line, the reason, and nothing else: no abort message, no backtrace.
  EXPECT_EQ(said.rfind("fulcrum-reward: scorer must be one of", 0), 0u) << said;
  EXPECT_EQ(std::count(said.begin(), said.end(), '\n'), 1) << said;

  auto reference = ChildProcess::Start({BinaryPath("fulcrum-reference"), "--checkpoint=/nonexistent/ckpt"});
  ASSERT_TRUE(reference.ok());
  const std::string told = (*reference)->ReadAll();
  EXPECT_EQ((*reference)->Wait(), 1);
  EXPECT_NE(told.find("/nonexistent/ckpt"), std::string::npos) << told;
  EXPECT_EQ(told.find("Check failure"), std::string::npos) << told;
  EXPECT_EQ(told.find("terminate called"), std::string::npos) << told;

  // --check: the binary's own flags, then the shared ones.
  for (const char* binary : {"fulcrum-reward", "fulcrum-learner"}) {
    std::vector<std::string> argv = {BinaryPath(binary), "--check", "--metrics_port=70000"};
    argv.push_back(std::string(binary) == "fulcrum-reward" ? "--task=addition" : "--serve");
    auto checked = ChildProcess::Start(argv);
    ASSERT_TRUE(checked.ok());
    const std::string answer = (*checked)->ReadAll();
    EXPECT_EQ((*checked)->Wait(), 1) << answer;
    EXPECT_EQ(answer, absl::StrCat(binary, ": --metrics_port must be in [0, 65535], got 70000\n"));
  }
  auto fine = ChildProcess::Start({BinaryPath("fulcrum-reward"), "--check", "--task=addition", "--metrics_port=9400"});
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ((*fine)->ReadAll(), "fulcrum-reward: flags ok\n");
  EXPECT_EQ((*fine)->Wait(), 0);
}

}  // namespace
}  // namespace fulcrum
