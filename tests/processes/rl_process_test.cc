// The RL loop as it runs for real: fulcrum-reward, fulcrum-reference, fulcrum-learner and two
// fulcrum-actor processes on loopback with ephemeral ports, a tiny model, a few updates; resume; the
// Python reward server in fulcrum-reward's place. Then the faults: an actor killed with SIGKILL
// mid-run, and a reward server nobody can reach.
#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/health_check.h"
#include "core/model_io.h"
#include "fulcrum/v1/reward.grpc.pb.h"
#include "tests/child_process.h"
#include "tests/core/test_models.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using testing::BinaryPath;
using testing::ChildProcess;

// A random tiny policy checkpoint, addition prompts and an RL config in a temporary directory.
class RlFixture {
 public:
  explicit RlFixture(const std::string& algorithm) : dir_("rl_process") {
    CharTokenizer tokenizer;
    Gpt model = testing::TinyGpt(tokenizer.vocab_size());
    EXPECT_TRUE(WriteCheckpoint(path("sft"), 1, ModelFiles(model, tokenizer).value()).ok());
    std::string prompts, heldout;
    for (int i = 0; i < 64; ++i) {
      const int a = 100 + (i * 37) % 900, b = 100 + (i * 53) % 900;
      const std::string line = "{\"prompt\": \"" + std::to_string(a) + "+" + std::to_string(b) +
                               "=\", \"ground_truth\": \"" + std::to_string(a + b) + "\"}\n";
      (i < 56 ? prompts : heldout) += line;
    }
    EXPECT_TRUE(WriteFileAtomic(path("prompts.jsonl"), prompts).ok());
    EXPECT_TRUE(WriteFileAtomic(path("heldout.jsonl"), heldout).ok());
    keys_ = {{"algorithm", algorithm},
             {"policy_init", path("sft")},
             {"prompts_path", path("prompts.jsonl")},
             {"heldout_prompts_path", path("heldout.jsonl")},
             {"out_dir", path("rl")},
             {"task", "{name: addition}"},
             {"optimizer", "{lr: 0.001}"},
             {"steps", "4"},
             {"prompts_per_step", "4"},
             {"group_size", "4"},
             {"prompts_per_unit", "2"},
             {"sampling", "{max_new_tokens: 4}"},
             {"max_staleness", "1"},
             {"kl_coef", "0.01"},
             {"eval_every", "2"},
             {"wait_timeout_s", "60"}};
  }

  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

  // Writes the config with `changes` to its top-level keys (an empty value drops the key) and
  // returns its path.
  std::string Config(const std::map<std::string, std::string>& changes) const {
    std::map<std::string, std::string> keys = keys_;
    for (const auto& [key, value] : changes) keys[key] = value;
    std::string yaml;
    for (const auto& [key, value] : keys) {
      if (!value.empty()) yaml += key + ": " + value + "\n";
    }
    EXPECT_TRUE(WriteFileAtomic(path("rl.yaml"), yaml).ok());
    return path("rl.yaml");
  }

  nlohmann::json Summary() const {
    auto text = ReadFile(path("rl/summary.json"));
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
  }

 private:
  testing::ScopedTempDir dir_;
  std::map<std::string, std::string> keys_;
};

std::unique_ptr<ChildProcess> StartService(const std::vector<std::string>& argv, const std::string& ready,
                                           std::string* address) {
  auto child = ChildProcess::Start(argv);
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return nullptr;
  auto said = (*child)->WaitForLine(ready);
  EXPECT_TRUE(said.ok()) << said.status();
  *address = said.ok() ? *said : "";
  return *std::move(child);
}

std::unique_ptr<ChildProcess> StartActor(const std::string& learner, const std::string& reward,
                                         const std::string& reference, int index,
                                         const std::string& reward_timeout = "30") {
  auto child = ChildProcess::Start({BinaryPath("fulcrum-actor"), "--learner=" + learner, "--reward=" + reward,
                                    "--reference=" + reference, "--actor_id=actor-" + std::to_string(index),
                                    "--seed=" + std::to_string(index), "--threads=1", "--exit_when_finished",
                                    "--reward_timeout_s=" + reward_timeout, "--rpc_timeout_s=10"});
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

// The four roles; the learner is started last and runs `config`.
struct Cluster {
  std::unique_ptr<ChildProcess> reward, reference, learner;
  std::string reward_address, reference_address, learner_address;

  Cluster(const RlFixture& fixture, const std::string& config) {
    reward = StartService({BinaryPath("fulcrum-reward"), "--scorer=verifier", "--task=addition"},
                          "fulcrum-reward listening on ", &reward_address);
    reference = StartService({BinaryPath("fulcrum-reference"), "--checkpoint=" + fixture.path("sft"), "--threads=1"},
                             "fulcrum-reference listening on ", &reference_address);
    learner = StartService({BinaryPath("fulcrum-learner"), "--rl_config=" + config, "--threads=1"},
                           "fulcrum-learner listening on ", &learner_address);
  }
  ~Cluster() {
    for (auto* service : {&reward, &reference}) {
      if (*service) (*service)->Signal(SIGTERM);
    }
  }
};

void ExpectHealthyRun(const nlohmann::json& summary, int steps) {
  ASSERT_TRUE(summary.is_object());
  EXPECT_EQ(summary["steps"], steps);
  EXPECT_EQ(summary["samples_trained"], steps * 4 * 4);  // every update took exactly 4 groups of 4
  for (const char* key : {"reward_mean_first", "reward_mean_last", "heldout_accuracy_before", "heldout_accuracy_after"}) {
    ASSERT_TRUE(summary[key].is_number()) << key << ": " << summary.dump();
    EXPECT_GE(summary[key].get<double>(), 0.0) << key;
    EXPECT_LE(summary[key].get<double>(), 1.0) << key;
  }
  EXPECT_TRUE(summary["kl_last"].is_number());
  EXPECT_EQ(summary["missing_rewards"], 0);
}

void RunAlgorithm(const std::string& algorithm, const std::map<std::string, std::string>& changes) {
  RlFixture fixture(algorithm);
  Cluster cluster(fixture, fixture.Config(changes));
  ASSERT_TRUE(cluster.learner);
  auto a1 = StartActor(cluster.learner_address, cluster.reward_address, cluster.reference_address, 1);
  auto a2 = StartActor(cluster.learner_address, cluster.reward_address, cluster.reference_address, 2);
  const std::string said = cluster.learner->ReadAll();
  ASSERT_EQ(cluster.learner->Wait(), 0) << said;
  EXPECT_EQ(a1->Wait(), 0);
  EXPECT_EQ(a2->Wait(), 0);
  ExpectHealthyRun(fixture.Summary(), 4);
  EXPECT_FALSE(ListCheckpoints(fixture.path("rl/checkpoints")).empty());
}

TEST(RlProcessTest, GrpoAcrossFourRoles) { RunAlgorithm("grpo", {}); }

TEST(RlProcessTest, PpoAcrossFourRoles) { RunAlgorithm("ppo", {{"epochs", "2"}, {"minibatches", "2"}}); }

TEST(RlProcessTest, LearnerRunAgainResumesFromItsLastCheckpoint) {
  RlFixture fixture("grpo");
  Cluster first(fixture, fixture.Config({{"steps", "3"}, {"kl_coef", "0"}}));
  ASSERT_TRUE(first.learner);
  auto actor = StartActor(first.learner_address, first.reward_address, "", 1);
  ASSERT_EQ(first.learner->Wait(), 0);
  EXPECT_EQ(actor->Wait(), 0);
  EXPECT_EQ(fixture.Summary()["steps"], 3);

  // The same out_dir with more steps: the learner continues at step 3, not from the start.
  std::string learner_address;
  auto learner = StartService({BinaryPath("fulcrum-learner"),
                               "--rl_config=" + fixture.Config({{"steps", "5"}, {"kl_coef", "0"}}), "--threads=1"},
                              "fulcrum-learner listening on ", &learner_address);
  ASSERT_TRUE(learner);
  auto again = StartActor(learner_address, first.reward_address, "", 2);
  const std::string said = learner->ReadAll();
  ASSERT_EQ(learner->Wait(), 0) << said;
  EXPECT_EQ(again->Wait(), 0);
  EXPECT_NE(said.find("rl/grpo 4/5"), std::string::npos) << said;  // its first update is the 4th
  const nlohmann::json summary = fixture.Summary();
  EXPECT_EQ(summary["steps"], 5);
  EXPECT_EQ(summary["samples_trained"], 2 * 4 * 4);  // only the two new updates in this run
}

// examples/python_reward_server: a Reward server in another language takes fulcrum-reward's place.
TEST(RlProcessTest, GrpoAgainstThePythonRewardServer) {
  std::string reward_address;
  auto reward = StartService({"/usr/bin/python3", "examples/python_reward_server/reward_server.py", "--port=0"},
                             "python reward server listening on ", &reward_address);
  ASSERT_TRUE(reward);
  // It answers the health check fulcrum and Kubernetes ask before relying on a server.
  EXPECT_TRUE(CheckServing(reward_address, absl::Seconds(10)).ok());
  auto stub = v1::Reward::NewStub(grpc::CreateChannel(reward_address, grpc::InsecureChannelCredentials()));
  v1::ScoreRequest request;
  request.set_protocol_version(1);
  for (const char* completion : {"579", "578"}) {
    v1::ScoreItem* item = request.add_items();
    item->set_completion(completion);
    item->set_ground_truth("579");
  }
  v1::ScoreResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ASSERT_TRUE(stub->Score(&context, request, &response).ok());
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).reward(), 1.0);
  EXPECT_EQ(response.results(1).reward(), 0.0);

  RlFixture fixture("grpo");
  std::string learner_address;
  auto learner = StartService({BinaryPath("fulcrum-learner"),
                               "--rl_config=" + fixture.Config({{"steps", "3"}, {"kl_coef", "0"}}), "--threads=1"},
                              "fulcrum-learner listening on ", &learner_address);
  ASSERT_TRUE(learner);
  auto actor = StartActor(learner_address, reward_address, "", 1);
  const std::string said = learner->ReadAll();
  ASSERT_EQ(learner->Wait(), 0) << said;
  EXPECT_EQ(actor->Wait(), 0);
  const nlohmann::json summary = fixture.Summary();
  EXPECT_EQ(summary["steps"], 3);
  EXPECT_EQ(summary["missing_rewards"], 0);
  EXPECT_EQ(summary["samples_trained"], 3 * 4 * 4);
  reward->Signal(SIGTERM);
  EXPECT_EQ(reward->Wait(), 0);
}

TEST(RlProcessTest, ActorKilledMidRunIsSurvivedAndNoSampleCountsTwice) {
  RlFixture fixture("grpo");
  Cluster cluster(fixture, fixture.Config({{"steps", "30"}, {"lease_timeout_s", "1"}}));
  ASSERT_TRUE(cluster.learner);
  auto doomed = StartActor(cluster.learner_address, cluster.reward_address, cluster.reference_address, 1);
  // The actor fetches version 2 because the unit it just leased asks for it: kill it right then,
  // holding that lease, and let a second actor finish the run.
  ASSERT_TRUE(doomed->WaitForText("policy version 2:").ok());
  doomed->Signal(SIGKILL);
  EXPECT_EQ(doomed->Wait(), 128 + SIGKILL);
  auto survivor = StartActor(cluster.learner_address, cluster.reward_address, cluster.reference_address, 2);
  const std::string said = cluster.learner->ReadAll();
  ASSERT_EQ(cluster.learner->Wait(), 0) << said;
  EXPECT_EQ(survivor->Wait(), 0);
  const nlohmann::json summary = fixture.Summary();
  ExpectHealthyRun(summary, 30);
  EXPECT_GE(summary["leases"]["reissued"].get<int>(), 1) << summary.dump();
}

TEST(RlProcessTest, UnreachableRewardServerMasksSamplesAndStopsTheLearnerClearly) {
  RlFixture fixture("grpo");
  std::string learner_address;
  auto learner = StartService({BinaryPath("fulcrum-learner"),
                               "--rl_config=" + fixture.Config({{"max_missing_steps", "2"}, {"heldout_prompts_path", ""}, {"task", ""}, {"kl_coef", ""}}),
                               "--threads=1"},
                              "fulcrum-learner listening on ", &learner_address);
  ASSERT_TRUE(learner);
  // Port 1 on loopback refuses connections: the reward server is "down".
  auto actor = StartActor(learner_address, "127.0.0.1:1", "", 1, /*reward_timeout=*/"0.5");
  const std::string said = learner->ReadAll();
  EXPECT_EQ(learner->Wait(), 1) << said;
  EXPECT_NE(said.find("had a reward"), std::string::npos) << said;
  EXPECT_NE(said.find("127.0.0.1:1"), std::string::npos) << said;
  EXPECT_EQ(said.find("Check failure"), std::string::npos) << said;
  EXPECT_EQ(actor->Wait(), 0);
  // Nothing was trained: no update was logged and no checkpoint written.
  auto metrics = ReadFile(fixture.path("rl/metrics.jsonl"));
  EXPECT_EQ(metrics.value_or("").find("reward_mean"), std::string::npos);
  EXPECT_TRUE(ListCheckpoints(fixture.path("rl/checkpoints")).empty());
}

}  // namespace
}  // namespace fulcrum
