// LearnerService and LearnerServer against a real RolloutCoordinator and WeightPublisher, called
// with the generated stub over the in-process channel or the bound loopback port.
#include "learner/learner_service.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/char_tokenizer.h"
#include "core/model_config.h"
#include "core/model_io.h"
#include "core/protocol.h"
#include "core/tensor_proto.h"
#include "core/weight_chunks.h"
#include "fulcrum/v1/learner.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "learner/learner_server.h"
#include "learner/rollout_coordinator.h"
#include "learner/weight_publisher.h"
#include "tests/core/test_models.h"
#include "tests/health_check.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

constexpr char kNotServingResponse[] = "\x08\x02";

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
}

// d_model 256, 4 layers: ~3.2M parameters, ~13 MB of F32 weights, so a dozen chunks.
Gpt SeveralChunkGpt(int vocab) {
  v1::ModelConfig config;
  config.set_n_layer(4);
  config.set_n_head(4);
  config.set_d_model(256);
  config.set_max_seq_len(64);
  config.set_init_seed(11);
  Gpt model(ResolveModelConfig(config, vocab).value());
  model->eval();
  return model;
}

std::map<std::string, torch::Tensor> WeightsByName(const Gpt& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, tensor] : model->NamedWeights()) out.emplace(name, tensor);
  return out;
}

struct Fetched {
  grpc::Status status;
  std::vector<v1::WeightsChunk> chunks;
};

Fetched Fetch(v1::Learner::StubInterface& stub, int64_t have_version,
              uint32_t protocol_version = kProtocolVersion) {
  v1::FetchWeightsRequest request;
  request.set_protocol_version(protocol_version);
  request.set_have_version(have_version);
  grpc::ClientContext context;
  SetDeadline(&context);
  Fetched out;
  std::unique_ptr<grpc::ClientReaderInterface<v1::WeightsChunk>> reader = stub.FetchWeights(&context, request);
  v1::WeightsChunk chunk;
  while (reader->Read(&chunk)) out.chunks.push_back(chunk);
  out.status = reader->Finish();
  return out;
}

absl::StatusOr<WeightAssembler::Assembled> Assemble(const std::vector<v1::WeightsChunk>& chunks) {
  WeightAssembler assembler;
  for (const v1::WeightsChunk& chunk : chunks) {
    if (absl::Status status = assembler.Add(chunk); !status.ok()) return status;
  }
  return assembler.Finish();
}

// Two samples per prompt (group_size 2) of three completion tokens each, from `version`.
v1::SubmitRolloutsRequest Submission(const v1::WorkUnit& unit, const std::string& actor_id, int64_t version) {
  v1::SubmitRolloutsRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_work_id(unit.work_id());
  request.set_actor_id(actor_id);
  for (int p = 0; p < unit.prompts_size(); ++p) {
    for (int g = 0; g < unit.group_size(); ++g) {
      v1::Sample* sample = request.add_samples();
      sample->set_prompt_index(p);
      for (int token : {20, 21, 22}) sample->add_prompt_tokens(token);
      for (int token : {30, 31, CharTokenizer::kEosId}) sample->add_completion_tokens(token);
      *sample->mutable_behaviour_logprobs() = TensorToProto(torch::full({3}, -0.5f));
      sample->mutable_reward()->set_value(g);
      sample->set_policy_version(version);
      sample->set_finished(true);
    }
  }
  return request;
}

class LearnerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RolloutCoordinator::Options options;
    options.group_size = 2;
    options.prompts_per_unit = 1;
    options.prompts_per_step = 2;
    options.sampling.set_temperature(1.0f);
    options.sampling.set_max_new_tokens(8);
    absl::StatusOr<std::unique_ptr<RolloutCoordinator>> coordinator = RolloutCoordinator::Create(
        options, {{"1+1=", "2"}, {"2+2=", "4"}, {"3+4=", "7"}}, {{"5+5=", "10"}});
    ASSERT_TRUE(coordinator.ok()) << coordinator.status();
    coordinator_ = *std::move(coordinator);
    absl::StatusOr<std::unique_ptr<LearnerServer>> server =
        LearnerServer::Create(LearnerServer::Options(), coordinator_.get(), &publisher_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Learner::NewStub(server_->InProcessChannel());
  }

  v1::LeaseWorkResponse Lease(const std::string& actor_id) {
    v1::LeaseWorkRequest request;
    request.set_protocol_version(kProtocolVersion);
    request.set_actor_id(actor_id);
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::LeaseWorkResponse response;
    const grpc::Status status = stub_->LeaseWork(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Submit(const v1::SubmitRolloutsRequest& request, v1::SubmitRolloutsResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return stub_->SubmitRollouts(&context, request, response);
  }

  CharTokenizer tokenizer_;
  WeightPublisher publisher_;
  std::unique_ptr<RolloutCoordinator> coordinator_;
  std::unique_ptr<LearnerServer> server_;  // Declared last: stops before what it serves goes away.
  std::unique_ptr<v1::Learner::Stub> stub_;
};

TEST_F(LearnerServiceTest, EveryRpcRejectsAnotherProtocolVersionNamingBoth) {
  auto expect_mismatch = [](const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("protocol_version is 7"));
    EXPECT_THAT(status.error_message(), HasSubstr("speaks protocol_version 1"));
  };
  {
    v1::LeaseWorkRequest request;
    request.set_protocol_version(7);
    request.set_actor_id("a");
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::LeaseWorkResponse response;
    expect_mismatch(stub_->LeaseWork(&context, request, &response));
  }
  {
    v1::SubmitRolloutsRequest request;
    request.set_protocol_version(7);
    request.set_actor_id("a");
    request.set_work_id("w0");
    v1::SubmitRolloutsResponse response;
    expect_mismatch(Submit(request, &response));
  }
  ASSERT_TRUE(publisher_.Publish(0, testing::TinyGpt(tokenizer_.vocab_size()), tokenizer_).ok());
  const Fetched fetched = Fetch(*stub_, -1, /*protocol_version=*/7);
  expect_mismatch(fetched.status);
  EXPECT_TRUE(fetched.chunks.empty());
}

TEST_F(LearnerServiceTest, FetchWeightsBeforeTheFirstVersionIsNotFound) {
  const Fetched fetched = Fetch(*stub_, -1);
  EXPECT_EQ(fetched.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(fetched.chunks.empty());
  EXPECT_EQ(server_->service().stats().weight_streams_started, 0);
}

TEST_F(LearnerServiceTest, StreamsAVersionThatRebuildsTheModel) {
  const Gpt model = testing::TinyGpt(tokenizer_.vocab_size());
  ASSERT_TRUE(publisher_.Publish(0, model, tokenizer_).ok());

  const Fetched fetched = Fetch(*stub_, -1);
  ASSERT_TRUE(fetched.status.ok()) << fetched.status.error_message();
  ASSERT_FALSE(fetched.chunks.empty());
  for (const v1::WeightsChunk& chunk : fetched.chunks) EXPECT_LE(chunk.data().size(), kMaxWeightChunkBytes);
  absl::StatusOr<WeightAssembler::Assembled> assembled = Assemble(fetched.chunks);
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  EXPECT_EQ(assembled->version, 0);

  absl::StatusOr<LoadedModel> loaded = ModelFromSafetensors(assembled->weights, "weights v0");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->tokenizer->vocab_size(), tokenizer_.vocab_size());
  const std::map<std::string, torch::Tensor> want = WeightsByName(model);
  const std::map<std::string, torch::Tensor> got = WeightsByName(loaded->model);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, tensor] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(torch::equal(got.at(name), tensor)) << name;
  }

  const LearnerService::Stats stats = server_->service().stats();
  EXPECT_EQ(stats.fetch_weights_calls, 1);
  EXPECT_EQ(stats.weight_streams_started, 1);
  EXPECT_EQ(stats.weight_streams_completed, 1);
  EXPECT_EQ(stats.weight_streams_cancelled, 0);
  EXPECT_EQ(stats.weight_bytes_sent, static_cast<int64_t>(publisher_.Latest()->bytes.size()));
}

TEST_F(LearnerServiceTest, HavingTheNewestVersionIsAlreadyExistsWithoutChunks) {
  ASSERT_TRUE(publisher_.Publish(0, testing::TinyGpt(tokenizer_.vocab_size()), tokenizer_).ok());
  ASSERT_TRUE(publisher_.Publish(3, testing::TinyGpt(tokenizer_.vocab_size(), 8), tokenizer_).ok());
  const Fetched current = Fetch(*stub_, 3);
  EXPECT_EQ(current.status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(current.status.error_message(), HasSubstr("version 3"));
  EXPECT_TRUE(current.chunks.empty());

  const Fetched older = Fetch(*stub_, 0);
  ASSERT_TRUE(older.status.ok()) << older.status.error_message();
  absl::StatusOr<WeightAssembler::Assembled> assembled = Assemble(older.chunks);
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  EXPECT_EQ(assembled->version, 3);
}

TEST_F(LearnerServiceTest, ALargeModelStreamsInSeveralChunksOfAtMostOneMebibyte) {
  const Gpt model = SeveralChunkGpt(tokenizer_.vocab_size());
  ASSERT_TRUE(publisher_.Publish(0, model, tokenizer_).ok());
  const size_t total = publisher_.Latest()->bytes.size();
  ASSERT_GT(total, 4 * kMaxWeightChunkBytes);

  const Fetched fetched = Fetch(*stub_, -1);
  ASSERT_TRUE(fetched.status.ok()) << fetched.status.error_message();
  EXPECT_EQ(fetched.chunks.size(), (total + kMaxWeightChunkBytes - 1) / kMaxWeightChunkBytes);
  for (size_t i = 0; i < fetched.chunks.size(); ++i) {
    EXPECT_LE(fetched.chunks[i].data().size(), kMaxWeightChunkBytes) << "chunk " << i;
    EXPECT_EQ(fetched.chunks[i].total_bytes() > 0, i == 0) << "chunk " << i;
    EXPECT_EQ(fetched.chunks[i].last(), i + 1 == fetched.chunks.size()) << "chunk " << i;
  }
  absl::StatusOr<WeightAssembler::Assembled> assembled = Assemble(fetched.chunks);
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  absl::StatusOr<LoadedModel> loaded = ModelFromSafetensors(assembled->weights, "weights v0");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::map<std::string, torch::Tensor> got = WeightsByName(loaded->model);
  for (const auto& [name, tensor] : WeightsByName(model)) EXPECT_TRUE(torch::equal(got.at(name), tensor)) << name;
  EXPECT_EQ(server_->service().stats().weight_bytes_sent, static_cast<int64_t>(total));
}

TEST_F(LearnerServiceTest, AStreamKeepsItsVersionWhenANewerOneIsPublished) {
  ASSERT_TRUE(publisher_.Publish(0, SeveralChunkGpt(tokenizer_.vocab_size()), tokenizer_).ok());
  v1::FetchWeightsRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_have_version(-1);
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->FetchWeights(&context, request);
  WeightAssembler assembler;
  v1::WeightsChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  ASSERT_FALSE(chunk.last());
  ASSERT_TRUE(assembler.Add(chunk).ok());
  // The stream has begun with version 0; version 1 must not leak into it.
  ASSERT_TRUE(publisher_.Publish(1, testing::TinyGpt(tokenizer_.vocab_size()), tokenizer_).ok());
  while (reader->Read(&chunk)) ASSERT_TRUE(assembler.Add(chunk).ok());
  const grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::StatusOr<WeightAssembler::Assembled> assembled = assembler.Finish();
  ASSERT_TRUE(assembled.ok()) << assembled.status();
  EXPECT_EQ(assembled->version, 0);
}

TEST_F(LearnerServiceTest, ACancelledStreamEndsAndIsCounted) {
  ASSERT_TRUE(publisher_.Publish(0, SeveralChunkGpt(tokenizer_.vocab_size()), tokenizer_).ok());
  v1::FetchWeightsRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_have_version(-1);
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->FetchWeights(&context, request);
  v1::WeightsChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  context.TryCancel();
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // Shutdown returns once every call has ended, so the counters are final.
  server_->Shutdown();
  const LearnerService::Stats stats = server_->service().stats();
  EXPECT_EQ(stats.weight_streams_started, 1);
  // The server may have written every chunk into the transport before the cancel reached it.
  EXPECT_EQ(stats.weight_streams_completed + stats.weight_streams_cancelled, 1);
}

TEST_F(LearnerServiceTest, LeasesAndSubmissionsGoThroughTheCoordinator) {
  const v1::LeaseWorkResponse before = Lease("actor-1");
  EXPECT_FALSE(before.has_unit());
  EXPECT_GT(before.retry_after_ms(), 0);

  coordinator_->SetPolicyVersion(0);
  const v1::LeaseWorkResponse leased = Lease("actor-1");
  ASSERT_TRUE(leased.has_unit());
  const v1::WorkUnit& unit = leased.unit();
  EXPECT_EQ(unit.kind(), v1::WorkUnit::TRAIN);
  EXPECT_EQ(unit.prompts_size(), 1);
  EXPECT_EQ(unit.group_size(), 2);
  EXPECT_GT(unit.lease_deadline_unix_ms(), absl::ToUnixMillis(absl::Now()));

  v1::SubmitRolloutsRequest bad = Submission(unit, "actor-1", 0);
  bad.mutable_samples()->RemoveLast();
  v1::SubmitRolloutsResponse response;
  const grpc::Status refused = Submit(bad, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr(unit.work_id()));

  const v1::SubmitRolloutsRequest good = Submission(unit, "actor-1", 0);
  grpc::Status status = Submit(good, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 2);
  EXPECT_FALSE(response.duplicate());
  EXPECT_EQ(response.stale_dropped(), 0);

  v1::SubmitRolloutsResponse again;
  status = Submit(good, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.accepted(), 0);

  EXPECT_EQ(coordinator_->stats().samples_accepted, 2);
  EXPECT_EQ(coordinator_->stats().leases.duplicates, 1);
  const LearnerService::Stats stats = server_->service().stats();
  EXPECT_EQ(stats.lease_work_calls, 2);
  EXPECT_EQ(stats.submit_rollouts_calls, 3);
  EXPECT_EQ(stats.fetch_weights_calls, 0);
}

TEST_F(LearnerServiceTest, RequestsWithoutAnActorIdAreInvalid) {
  coordinator_->SetPolicyVersion(0);
  v1::LeaseWorkRequest request;
  request.set_protocol_version(kProtocolVersion);
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::LeaseWorkResponse response;
  const grpc::Status status = stub_->LeaseWork(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("actor_id"));
}

// Far above gRPC's 4 MiB default: a unit of long completions still gets through, over TCP.
TEST_F(LearnerServiceTest, AcceptsSubmissionsLargerThanTheDefaultMessageLimit) {
  coordinator_->SetPolicyVersion(0);
  const v1::LeaseWorkResponse leased = Lease("actor-1");
  ASSERT_TRUE(leased.has_unit());
  v1::SubmitRolloutsRequest request = Submission(leased.unit(), "actor-1", 0);
  constexpr int kTokens = 600'000;
  for (v1::Sample& sample : *request.mutable_samples()) {
    sample.clear_completion_tokens();
    for (int i = 0; i < kTokens; ++i) sample.add_completion_tokens(3 + i % 90);
    *sample.mutable_behaviour_logprobs() = TensorToProto(torch::full({kTokens}, -1.0f));
  }
  ASSERT_GT(request.ByteSizeLong(), size_t{4} << 20);

  auto stub = v1::Learner::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                       grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::SubmitRolloutsResponse response;
  const grpc::Status status = stub->SubmitRollouts(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 2);
}

TEST_F(LearnerServiceTest, HealthIsServingUntilShutdown) {
  const std::shared_ptr<grpc::Channel> tcp =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
  EXPECT_EQ(testing::HealthCheck(tcp), testing::kServingResponse);
  EXPECT_EQ(testing::HealthCheck(server_->InProcessChannel()), testing::kServingResponse);

  // Concurrent and repeated Shutdown calls are fine; each returns once the server has stopped.
  std::thread other([&] { server_->Shutdown(absl::Seconds(1)); });
  server_->Shutdown(absl::Seconds(1));
  other.join();
  server_->Shutdown();
  server_->Wait();
  const std::string after = testing::HealthCheck(tcp);
  EXPECT_TRUE(after == kNotServingResponse || after.rfind("error: ", 0) == 0) << after;
}

TEST(LearnerServerTest, PortInUseNamesTheAddress) {
  RolloutCoordinator::Options options;
  options.sampling.set_max_new_tokens(4);
  auto coordinator = RolloutCoordinator::Create(options, {{"1+1=", "2"}}, {});
  ASSERT_TRUE(coordinator.ok()) << coordinator.status();
  WeightPublisher publisher;
  auto first = LearnerServer::Create(LearnerServer::Options(), coordinator->get(), &publisher);
  ASSERT_TRUE(first.ok()) << first.status();

  LearnerServer::Options taken;
  taken.listen_address = absl::StrCat("127.0.0.1:", (*first)->port());
  const absl::Status status = LearnerServer::Create(taken, coordinator->get(), &publisher).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr(taken.listen_address));

  LearnerServer::Options empty;
  empty.listen_address = "";
  EXPECT_THAT(LearnerServer::Create(empty, coordinator->get(), &publisher).status().message(),
              HasSubstr("listen_address"));
  EXPECT_EQ(LearnerServer::Create(LearnerServer::Options(), nullptr, &publisher).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fulcrum
