// The actor end to end: a scripted learner (FakeLearner), the real reward and reference servers,
// all in-process.
#include "actor/rollout_actor.h"

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/generation.h"
#include "core/model_io.h"
#include "core/tensor_proto.h"
#include "reference_server/reference_server.h"
#include "reward_server/reward_server.h"
#include "tests/actor/closed_port.h"
#include "tests/actor/fake_learner.h"
#include "tests/core/test_models.h"
#include "tests/metric_values.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int64_t kVersion = 4;
constexpr int kGroupSize = 3;
constexpr int kMaxNewTokens = 12;
constexpr uint64_t kSeed = 5;
const std::vector<std::pair<std::string, std::string>> kTrainPrompts = {{"12+34=", "46"}, {"5+6=", "11"}};
const std::vector<std::pair<std::string, std::string>> kEvalPrompts = {{"7+8=", "15"}, {"100+1=", "101"}};

v1::WorkUnit Unit(const std::string& work_id, v1::WorkUnit::Kind kind,
                  const std::vector<std::pair<std::string, std::string>>& prompts, bool need_reference) {
  v1::WorkUnit unit;
  unit.set_work_id(work_id);
  unit.set_kind(kind);
  unit.set_group_size(kind == v1::WorkUnit::TRAIN ? kGroupSize : 1);
  for (const auto& [prompt, ground_truth] : prompts) {
    v1::PromptItem* item = unit.add_prompts();
    item->set_prompt(prompt);
    item->set_ground_truth(ground_truth);
  }
  unit.mutable_sampling()->set_temperature(1.0f);
  unit.mutable_sampling()->set_max_new_tokens(kMaxNewTokens);
  unit.mutable_sampling()->set_greedy(kind == v1::WorkUnit::EVAL);
  unit.set_min_policy_version(kVersion);
  unit.set_need_reference_logprobs(need_reference);
  return unit;
}

std::vector<float> Floats(const v1::Tensor& proto) {
  absl::StatusOr<torch::Tensor> tensor = TensorFromProto(proto);
  if (!tensor.ok() || tensor->scalar_type() != torch::kFloat32 || tensor->dim() != 1) return {};
  return std::vector<float>(tensor->data_ptr<float>(), tensor->data_ptr<float>() + tensor->numel());
}

std::vector<int> Ints(const google::protobuf::RepeatedField<int32_t>& ids) { return {ids.begin(), ids.end()}; }

class RolloutActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    learner_.service.Publish(testing::PolicyWeights(kVersion, model_, tokenizer_));
    RewardServer::Options reward;
    reward.scorer.scorer = "exact_match";
    auto server = RewardServer::Create(reward);
    ASSERT_TRUE(server.ok()) << server.status();
    reward_server_ = *std::move(server);
  }

  void StartReferenceServer() {
    absl::StatusOr<std::map<std::string, std::string>> files = ModelFiles(model_, tokenizer_);
    ASSERT_TRUE(files.ok()) << files.status();
    ASSERT_TRUE(WriteCheckpoint(checkpoints_.path(), 1, *files).ok());
    auto server = ReferenceServer::Create({.checkpoint_dir = checkpoints_.path()});
    ASSERT_TRUE(server.ok()) << server.status();
    reference_server_ = *std::move(server);
  }

  RolloutActor::Options Options() const {
    RolloutActor::Options options;
    options.learner_address = "learner.test:1";  // Names only: the stubs are in-process.
    options.reward_address = "reward.test:1";
    options.actor_id = "test-actor";
    options.seed = kSeed;
    options.max_batch_sequences = 4;  // 6 train sequences: two Generate calls.
    options.rpc_timeout = absl::Seconds(30);
    options.reward_timeout = absl::Seconds(30);
    options.exit_when_finished = true;
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(20);
    return options;
  }

  RolloutActor::Stubs Stubs() {
    RolloutActor::Stubs stubs;
    stubs.learner = learner_.NewStub();
    stubs.reward = v1::Reward::NewStub(reward_server_->InProcessChannel());
    if (reference_server_ != nullptr) stubs.reference = v1::Reference::NewStub(reference_server_->InProcessChannel());
    return stubs;
  }

  std::unique_ptr<RolloutActor> MakeActor(const RolloutActor::Options& options) {
    absl::StatusOr<std::unique_ptr<RolloutActor>> actor = RolloutActor::Create(options, Stubs());
    EXPECT_TRUE(actor.ok()) << actor.status();
    return actor.ok() ? *std::move(actor) : nullptr;
  }

  // What Generate gives for `prompts` (texts) with `params` on the test model.
  std::vector<Completion> Expected(const std::vector<std::string>& prompts, SamplingParams params) {
    std::vector<std::vector<int>> encoded;
    for (const std::string& prompt : prompts) encoded.push_back(EncodePrompt(tokenizer_, prompt).value());
    params.max_new_tokens = kMaxNewTokens;
    params.stop_tokens = {tokenizer_.eos_id()};
    return Generate(model_, encoded, params).value();
  }

  // Checks what every sample must satisfy.
  void ExpectWellFormed(const v1::Sample& sample, const std::vector<std::pair<std::string, std::string>>& prompts) {
    ASSERT_GE(sample.prompt_index(), 0);
    ASSERT_LT(sample.prompt_index(), static_cast<int>(prompts.size()));
    EXPECT_EQ(Ints(sample.prompt_tokens()), EncodePrompt(tokenizer_, prompts[sample.prompt_index()].first).value());
    const int n = sample.completion_tokens_size();
    ASSERT_GE(n, 1);
    ASSERT_LE(n, kMaxNewTokens);
    EXPECT_EQ(Floats(sample.behaviour_logprobs()).size(), static_cast<size_t>(n));
    const bool ended_on_eos = sample.completion_tokens(n - 1) == tokenizer_.eos_id();
    EXPECT_EQ(sample.finished(), ended_on_eos);
    if (!ended_on_eos) {
      EXPECT_EQ(n, kMaxNewTokens);
    }
    EXPECT_EQ(sample.completion_text(), tokenizer_.Decode(Ints(sample.completion_tokens())));
    EXPECT_EQ(sample.policy_version(), kVersion);
    EXPECT_FALSE(sample.reward().missing());
    const bool correct = absl::StripAsciiWhitespace(sample.completion_text()) == prompts[sample.prompt_index()].second;
    EXPECT_EQ(sample.reward().value(), correct ? 1.0 : 0.0);
  }

  CharTokenizer tokenizer_;
  Gpt model_ = testing::TinyGpt(tokenizer_.vocab_size(), /*seed=*/3);
  testing::InProcessLearner learner_;
  std::unique_ptr<RewardServer> reward_server_;
  testing::ScopedTempDir checkpoints_{"actor_reference"};
  std::unique_ptr<ReferenceServer> reference_server_;
};

TEST_F(RolloutActorTest, GeneratesScoresAndSubmitsTrainAndEvalUnits) {
  StartReferenceServer();
  learner_.service.AddUnit(Unit("train-0", v1::WorkUnit::TRAIN, kTrainPrompts, /*need_reference=*/true));
  learner_.service.AddUnit(Unit("eval-0", v1::WorkUnit::EVAL, kEvalPrompts, /*need_reference=*/false));
  std::unique_ptr<RolloutActor> actor = MakeActor(Options());
  ASSERT_NE(actor, nullptr);
  ASSERT_TRUE(actor->Run().ok());  // Returns once the learner says the stage is finished.

  const std::vector<v1::SubmitRolloutsRequest> submissions = learner_.service.submissions();
  ASSERT_EQ(submissions.size(), 2u);
  EXPECT_EQ(learner_.service.protocol_version(), 1u);

  // Train: prompt-major, G per prompt, sampled exactly as Generate samples with the derived seeds.
  const v1::SubmitRolloutsRequest& train = submissions[0];
  EXPECT_EQ(train.work_id(), "train-0");
  EXPECT_EQ(train.actor_id(), "test-actor");
  ASSERT_EQ(train.samples_size(), 2 * kGroupSize);
  SamplingParams sampling;
  sampling.seed = GenerationSeed(kSeed, "train-0", 0);
  std::vector<Completion> expected = Expected({"12+34=", "12+34=", "12+34=", "5+6="}, sampling);
  sampling.seed = GenerationSeed(kSeed, "train-0", 1);
  for (Completion& c : Expected({"5+6=", "5+6="}, sampling)) expected.push_back(std::move(c));
  int64_t tokens = 0;
  for (int i = 0; i < train.samples_size(); ++i) {
    SCOPED_TRACE(i);
    const v1::Sample& sample = train.samples(i);
    EXPECT_EQ(sample.prompt_index(), i / kGroupSize);
    ExpectWellFormed(sample, kTrainPrompts);
    EXPECT_EQ(Ints(sample.completion_tokens()), expected[i].tokens);
    // The reference model is the policy itself: its log-probs are the behaviour log-probs (T = 1).
    const std::vector<float> behaviour = Floats(sample.behaviour_logprobs());
    const std::vector<float> reference = Floats(sample.reference_logprobs());
    ASSERT_EQ(reference.size(), behaviour.size());
    for (size_t t = 0; t < behaviour.size(); ++t) EXPECT_NEAR(reference[t], behaviour[t], 1e-4) << t;
    tokens += sample.completion_tokens_size();
  }

  // Eval: one greedy completion per prompt, no reference log-probs.
  const v1::SubmitRolloutsRequest& eval = submissions[1];
  EXPECT_EQ(eval.work_id(), "eval-0");
  ASSERT_EQ(eval.samples_size(), 2);
  SamplingParams greedy;
  greedy.greedy = true;
  const std::vector<Completion> expected_eval = Expected({"7+8=", "100+1="}, greedy);
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(eval.samples(i).prompt_index(), i);
    ExpectWellFormed(eval.samples(i), kEvalPrompts);
    EXPECT_EQ(Ints(eval.samples(i).completion_tokens()), expected_eval[i].tokens);
    EXPECT_FALSE(eval.samples(i).has_reference_logprobs());
    tokens += eval.samples(i).completion_tokens_size();
  }

  const RolloutActor::Stats stats = actor->stats();
  EXPECT_EQ(stats.units_done, 2);
  EXPECT_EQ(stats.units_abandoned, 0);
  EXPECT_EQ(stats.samples, 8);
  EXPECT_EQ(stats.tokens_generated, tokens);
  EXPECT_EQ(stats.rewards_missing, 0);
  EXPECT_EQ(stats.weight_fetches, 1);
  EXPECT_GT(stats.bytes_fetched, 0);
  EXPECT_EQ(stats.policy_version, kVersion);
  EXPECT_GT(stats.generate_s, 0);
  EXPECT_THAT(stats.ToString(), HasSubstr("units 2 (abandoned 0), samples 8"));
}

TEST_F(RolloutActorTest, AnUnreachableRewardServerMeansMissingRewardsNotZeros) {
  testing::ClosedPort closed;
  ASSERT_GT(closed.port(), 0);
  learner_.service.AddUnit(Unit("train-0", v1::WorkUnit::TRAIN, kTrainPrompts, false));
  RolloutActor::Options options = Options();
  options.reward_address = closed.address();
  options.reward_timeout = absl::Milliseconds(100);
  RolloutActor::Stubs stubs = Stubs();
  stubs.reward = v1::Reward::NewStub(grpc::CreateChannel(closed.address(), grpc::InsecureChannelCredentials()));
  auto actor = RolloutActor::Create(options, std::move(stubs));
  ASSERT_TRUE(actor.ok()) << actor.status();
  const double missing = testing::MetricValue("fulcrum_actor_missing_rewards_total");
  ASSERT_TRUE((*actor)->Run().ok());

  const auto submissions = learner_.service.submissions();
  ASSERT_EQ(submissions.size(), 1u);
  ASSERT_EQ(submissions[0].samples_size(), 2 * kGroupSize);
  for (const v1::Sample& sample : submissions[0].samples()) {
    EXPECT_TRUE(sample.reward().missing());
    EXPECT_EQ(sample.reward().value(), 0.0);
    EXPECT_THAT(sample.reward().reason(), HasSubstr("reward server at " + closed.address()));
    EXPECT_GT(sample.completion_tokens_size(), 0);
  }
  EXPECT_EQ((*actor)->stats().rewards_missing, 2 * kGroupSize);
  EXPECT_EQ(testing::MetricValue("fulcrum_actor_missing_rewards_total") - missing, 2 * kGroupSize);
}

// Create with addresses: the learner and reward servers over loopback TCP, so the actor's own
// channels (and their call timing) are used.
TEST_F(RolloutActorTest, CountsWhatItDoesInMetricsAndTimesItsCalls) {
  testing::FakeLearner learner;
  learner.Publish(testing::PolicyWeights(kVersion, model_, tokenizer_));
  learner.AddUnit(Unit("train-0", v1::WorkUnit::TRAIN, kTrainPrompts, /*need_reference=*/false));
  int learner_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &learner_port);
  builder.RegisterService(&learner);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_GT(learner_port, 0);
  RolloutActor::Options options = Options();
  options.learner_address = absl::StrCat("127.0.0.1:", learner_port);
  options.reward_address = absl::StrCat("127.0.0.1:", reward_server_->port());

  auto call = [](const std::string& method) {
    return testing::MetricValue("fulcrum_actor_rpc_seconds", {{"method", method}, {"code", "0"}});
  };
  const std::vector<std::string> names = {
      "fulcrum_actor_tokens_generated_total", "fulcrum_actor_samples_generated_total",
      "fulcrum_actor_generation_seconds",     "fulcrum_actor_weight_sync_bytes_total",
      "fulcrum_actor_weight_sync_seconds",    "fulcrum_actor_missing_rewards_total"};
  std::map<std::string, double> before;
  for (const std::string& name : names) before[name] = testing::MetricValue(name);
  const double leases = call("fulcrum.v1.Learner/LeaseWork");
  const double fetches = call("fulcrum.v1.Learner/FetchWeights");
  const double scores = call("fulcrum.v1.Reward/Score");
  const double submits = call("fulcrum.v1.Learner/SubmitRollouts");

  auto actor = RolloutActor::Create(options);
  ASSERT_TRUE(actor.ok()) << actor.status();
  ASSERT_TRUE((*actor)->Run().ok());
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));

  const std::vector<v1::SubmitRolloutsRequest> submissions = learner.submissions();
  ASSERT_EQ(submissions.size(), 1u);
  int64_t tokens = 0;
  for (const v1::Sample& sample : submissions[0].samples()) tokens += sample.completion_tokens_size();
  const RolloutActor::Stats stats = (*actor)->stats();
  auto moved = [&](const std::string& name) { return testing::MetricValue(name) - before[name]; };
  EXPECT_EQ(moved("fulcrum_actor_tokens_generated_total"), tokens);
  EXPECT_GT(tokens, 0);
  EXPECT_EQ(moved("fulcrum_actor_samples_generated_total"), 2 * kGroupSize);
  EXPECT_EQ(moved("fulcrum_actor_generation_seconds"), 1);
  EXPECT_EQ(moved("fulcrum_actor_weight_sync_bytes_total"), stats.bytes_fetched);
  EXPECT_GT(stats.bytes_fetched, 0);
  EXPECT_EQ(moved("fulcrum_actor_weight_sync_seconds"), 1);
  EXPECT_EQ(moved("fulcrum_actor_missing_rewards_total"), 0);
  EXPECT_EQ(testing::MetricValue("fulcrum_actor_policy_version"), kVersion);
  EXPECT_EQ(testing::MetricValue("fulcrum_actor_queue_depth", {{"queue", "handoff"}}), 0);

  EXPECT_EQ(call("fulcrum.v1.Learner/LeaseWork") - leases, 2);  // The unit, then stage_finished.
  EXPECT_EQ(call("fulcrum.v1.Learner/FetchWeights") - fetches, 1);
  EXPECT_EQ(call("fulcrum.v1.Reward/Score") - scores, 1);
  EXPECT_EQ(call("fulcrum.v1.Learner/SubmitRollouts") - submits, 1);
}

TEST_F(RolloutActorTest, ReferenceLogProbsWithoutAReferenceServerMeanMissingRewards) {
  learner_.service.AddUnit(Unit("train-0", v1::WorkUnit::TRAIN, kTrainPrompts, /*need_reference=*/true));
  std::unique_ptr<RolloutActor> actor = MakeActor(Options());  // No reference server.
  ASSERT_NE(actor, nullptr);
  ASSERT_TRUE(actor->Run().ok());
  const auto submissions = learner_.service.submissions();
  ASSERT_EQ(submissions.size(), 1u);
  for (const v1::Sample& sample : submissions[0].samples()) {
    EXPECT_TRUE(sample.reward().missing());
    EXPECT_THAT(sample.reward().reason(), HasSubstr("no --reference address"));
    EXPECT_FALSE(sample.has_reference_logprobs());
  }
}

TEST_F(RolloutActorTest, WaitsOutALearnerOutage) {
  learner_.service.FailLeases(3, grpc::Status(grpc::StatusCode::UNAVAILABLE, "learner restarting"));
  learner_.service.AddUnit(Unit("train-0", v1::WorkUnit::TRAIN, kTrainPrompts, false));
  std::unique_ptr<RolloutActor> actor = MakeActor(Options());
  ASSERT_NE(actor, nullptr);
  ASSERT_TRUE(actor->Run().ok());
  EXPECT_EQ(learner_.service.submissions().size(), 1u);
  EXPECT_EQ(learner_.service.lease_calls(), 5);  // 3 failures, the unit, stage_finished.
}

TEST_F(RolloutActorTest, WaitsForTheFirstPublishedVersion) {
  testing::InProcessLearner empty;  // Nothing published yet.
  empty.service.AddUnit(Unit("train-0", v1::WorkUnit::TRAIN, kTrainPrompts, false));
  RolloutActor::Stubs stubs = Stubs();
  stubs.learner = empty.NewStub();
  auto actor = RolloutActor::Create(Options(), std::move(stubs));
  ASSERT_TRUE(actor.ok()) << actor.status();
  absl::Status status;
  std::thread run([&] { status = (*actor)->Run(); });
  empty.service.AwaitFetchCalls(1);  // Answered NOT_FOUND.
  empty.service.Publish(testing::PolicyWeights(kVersion, model_, tokenizer_));
  run.join();
  EXPECT_TRUE(status.ok()) << status;
  ASSERT_EQ(empty.service.submissions().size(), 1u);
  EXPECT_EQ(empty.service.submissions()[0].samples(0).policy_version(), kVersion);
}

TEST_F(RolloutActorTest, StopEndsRunWhileWaitingForWork) {
  learner_.service.set_finish_when_drained(false, /*retry_after_ms=*/600000);
  RolloutActor::Options options = Options();
  options.exit_when_finished = false;
  std::unique_ptr<RolloutActor> actor = MakeActor(options);
  ASSERT_NE(actor, nullptr);
  absl::Status status = absl::UnknownError("not run");
  std::thread run([&] { status = actor->Run(); });
  learner_.service.AwaitLeaseCalls(1);  // Now waiting 10 minutes for work, unless stopped.
  actor->Stop();
  run.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(actor->stats().units_done, 0);
}

TEST_F(RolloutActorTest, StageFinishedEndsRunWithExitWhenFinished) {
  std::unique_ptr<RolloutActor> actor = MakeActor(Options());
  ASSERT_NE(actor, nullptr);
  EXPECT_TRUE(actor->Run().ok());
  EXPECT_EQ(learner_.service.lease_calls(), 1);
  EXPECT_EQ(actor->stats().weight_fetches, 0);
  EXPECT_EQ(actor->Run().code(), absl::StatusCode::kFailedPrecondition);  // Once only.
}

TEST(RolloutActorOptionsTest, ValidateNamesTheBadOption) {
  RolloutActor::Options options;
  options.learner_address = "localhost:5050";
  options.reward_address = "localhost:5051";
  options.actor_id = "a";
  EXPECT_TRUE(options.Validate().ok());

  RolloutActor::Options bad = options;
  bad.learner_address.clear();
  EXPECT_THAT(bad.Validate().message(), HasSubstr("learner is required"));
  bad = options;
  bad.reference_address = "no-port";
  EXPECT_THAT(bad.Validate().message(), HasSubstr("reference must be host:port"));
  bad = options;
  bad.max_batch_sequences = 0;
  EXPECT_THAT(bad.Validate().message(), HasSubstr("max_batch_sequences"));
  bad = options;
  bad.reward_timeout = absl::ZeroDuration();
  EXPECT_THAT(bad.Validate().message(), HasSubstr("reward_timeout"));
}

}  // namespace
}  // namespace fulcrum
