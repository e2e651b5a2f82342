// `fulcrum run` as a user runs it: the orchestrator starts every role as a child process on
// loopback, runs a tiny pipeline of every stage kind and leaves a report; an actor killed with
// SIGKILL is restarted and the run completes; a failed stage is resumed with the done stages
// skipped; a running orchestrator tells its status over gRPC; Ctrl-C leaves no process behind; bad
// input ends with one clear line.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "tests/child_process.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using testing::BinaryPath;
using testing::ChildProcess;

// Tiny one-digit addition: every stage takes a second or two.
constexpr char kHead[] = R"(name: tiny
runs_dir: $D/runs
launcher: {threads: 2}
datasets:
  - out: $D/data
    task: {name: addition, min_digits: 1, max_digits: 1}
    train: 2000
    heldout: 40
    sft_sloppy_fraction: 0.5
    preference_sloppy_fraction: 0.5
stages:
  - name: sft
    sft:
      train_path: $D/data/sft_train.jsonl
      heldout_prompts_path: $D/data/rl_heldout.jsonl
      task: {name: addition, min_digits: 1, max_digits: 1}
      model: {n_layer: 1, n_head: 2, d_model: 32, max_seq_len: 16, init_seed: 1}
      optimizer: {lr: 0.003, warmup_steps: 5}
      steps: 40
      batch_size: 32
      max_new_tokens: 4
)";

std::string RlStage(int steps, const std::string& reward) {
  return absl::StrCat(R"(  - name: rl
    reward: )", reward, R"(
    rl:
      algorithm: grpo
      policy_init: sft
      prompts_path: $D/data/rl_train.jsonl
      heldout_prompts_path: $D/data/rl_heldout.jsonl
      task: {name: addition, min_digits: 1, max_digits: 1}
      optimizer: {lr: 0.0001}
      steps: )", steps, R"(
      prompts_per_step: 8
      group_size: 4
      prompts_per_unit: 4
      sampling: {max_new_tokens: 4}
      max_staleness: 1
      lease_timeout_s: 2
      eval_examples: 40
)");
}

constexpr char kRmDpoEval[] = R"(  - name: rm
    rm:
      init_from: sft
      train_path: $D/data/preference_train.jsonl
      heldout_path: $D/data/preference_heldout.jsonl
      optimizer: {lr: 0.001}
      steps: 20
      batch_size: 16
  - name: dpo
    dpo:
      policy_init: sft
      train_path: $D/data/preference_train.jsonl
      heldout_path: $D/data/preference_heldout.jsonl
      heldout_prompts_path: $D/data/rl_heldout.jsonl
      task: {name: addition, min_digits: 1, max_digits: 1}
      optimizer: {lr: 0.0005}
      steps: 10
      batch_size: 16
      max_new_tokens: 4
)";

constexpr char kEval[] = R"(  - name: eval
    eval:
      checkpoint: rl
      prompts_path: $D/data/rl_heldout.jsonl
      task: {name: addition, min_digits: 1, max_digits: 1}
      examples: 20
      samples: 4
      sampling: {max_new_tokens: 4}
    selectors:
      - {name: verifier, reward: {scorer: verifier}}
      - {name: rm, reward: {reward_model: rm}}
)";

// A port nothing listens on right now (bound, read, released).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

class PipelineProcessTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& yaml) {
    const std::string path = dir_.path() + "/pipeline.yaml";
    std::ofstream(path) << absl::StrReplaceAll(yaml, {{"$D", dir_.path()}});
    return path;
  }
  std::unique_ptr<ChildProcess> Fulcrum(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinaryPath("fulcrum")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = ChildProcess::Start(argv);
    EXPECT_TRUE(child.ok()) << child.status();
    return std::move(*child);
  }
  std::string run_dir() const { return dir_.path() + "/runs/tiny"; }
  nlohmann::json Json(const std::string& name) const {
    return nlohmann::json::parse(ReadFile(run_dir() + "/" + name).value_or("{}"), nullptr, false);
  }
  // The pid of `name` once state.json lists it.
  int WaitForProcess(const std::string& name) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      const nlohmann::json state = Json("state.json");
      if (state.is_object()) {
        for (const nlohmann::json& process : state.value("processes", nlohmann::json::array())) {
          if (process.value("name", "") == name) return process.value("pid", 0);
        }
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return 0;
  }

  testing::ScopedTempDir dir_{"pipeline_process"};
};

TEST_F(PipelineProcessTest, RunsEveryStageKindAndReports) {
  const std::string path = Write(absl::StrCat(kHead, kRmDpoEval, RlStage(4, "{scorer: verifier}"), kEval));
  auto run = Fulcrum({"run", path});
  const std::string output = run->ReadAll();
  ASSERT_EQ(run->Wait(), 0) << output;
  EXPECT_THAT(output, HasSubstr("[rl] 4/4"));

  const nlohmann::json summary = Json("summary.json");
  ASSERT_EQ(summary["stages"].size(), 5u) << summary.dump(2);
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"sft", {"heldout_accuracy"}},
      {"rm", {"heldout_pairwise_accuracy"}},
      {"dpo", {"heldout_accuracy_before", "heldout_accuracy_after"}},
      {"rl", {"heldout_accuracy_before", "heldout_accuracy_after"}},
      {"eval", {"accuracy", "pass_at_k", "best_of_n"}}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const nlohmann::json& stage = summary["stages"][i];
    EXPECT_EQ(stage["name"], expected[i].first);
    EXPECT_EQ(stage["kind"], expected[i].first);
    EXPECT_GT(stage["wall_s"].get<double>(), 0);
    for (const std::string& key : expected[i].second) EXPECT_TRUE(stage.contains(key)) << stage.dump(2) << key;
  }
  const nlohmann::json& eval = summary["stages"][4];
  EXPECT_TRUE(eval["best_of_n"].contains("verifier"));
  EXPECT_TRUE(eval["best_of_n"].contains("rm"));
  for (const std::string file : {"pipeline.yaml", "pipeline.json", "metrics.jsonl", "curves.svg", "rl/logs/learner.log",
                                 "rl/logs/actor-1.log", "rl/logs/reward.log", "eval/logs/reward-model.log"}) {
    EXPECT_TRUE(std::filesystem::exists(run_dir() + "/" + file)) << file;
  }

  auto status = Fulcrum({"status", run_dir()});
  const std::string shown = status->ReadAll();
  EXPECT_EQ(status->Wait(), 0);
  EXPECT_THAT(shown, HasSubstr("run tiny: done"));
  EXPECT_THAT(shown, HasSubstr("heldout_pairwise_accuracy"));
}

TEST_F(PipelineProcessTest, SurvivesAKilledActor) {
  const std::string path = Write(absl::StrCat(kHead, RlStage(30, "{scorer: verifier}")));
  auto run = Fulcrum({"run", path});
  const int actor = WaitForProcess("actor-1");
  ASSERT_GT(actor, 0);
  ASSERT_EQ(kill(actor, SIGKILL), 0);
  const std::string output = run->ReadAll();
  ASSERT_EQ(run->Wait(), 0) << output;
  EXPECT_THAT(output, HasSubstr("actor-1 ended with killed by SIGKILL; restarting"));
  const nlohmann::json summary = Json("summary.json");
  EXPECT_EQ(summary["stages"][1]["steps"], 30);
  EXPECT_EQ(summary["stages"][1]["status"], "done");
}

TEST_F(PipelineProcessTest, ResumeSkipsDoneStagesAfterAFailure) {
  const std::string path = Write(absl::StrCat(kHead, RlStage(3, "{address: '127.0.0.1:1'}")));
  auto run = Fulcrum({"run", path});
  const std::string output = run->ReadAll();
  EXPECT_EQ(run->Wait(), 1) << output;
  EXPECT_THAT(output, HasSubstr("reward server at 127.0.0.1:1 is not reachable"));
  EXPECT_THAT(output, HasSubstr("fulcrum run --resume " + run_dir()));
  EXPECT_TRUE(std::filesystem::exists(run_dir() + "/sft/checkpoints/LATEST"));
  EXPECT_EQ(Json("state.json")["stages"][1]["status"], "failed");

  // Fix the pipeline in the run folder and continue.
  const std::string copy = run_dir() + "/pipeline.yaml";
  std::string text = ReadFile(copy).value();
  text = absl::StrReplaceAll(text, {{"{address: '127.0.0.1:1'}", "{scorer: verifier}"}});
  ASSERT_TRUE(WriteFileAtomic(copy, text).ok());
  auto resumed = Fulcrum({"run", "--resume", run_dir()});
  const std::string again = resumed->ReadAll();
  ASSERT_EQ(resumed->Wait(), 0) << again;
  EXPECT_THAT(again, HasSubstr("[sft] done in an earlier attempt; skipped"));
  EXPECT_EQ(Json("summary.json")["stages"][1]["status"], "done");

  auto twice = Fulcrum({"run", path});
  EXPECT_THAT(twice->ReadAll(), HasSubstr("already holds a run"));
  EXPECT_EQ(twice->Wait(), 1);
}

// --resume with the pipeline file, as compose and Kubernetes run it: a new run the first time, the
// same run (nothing retrained) after that.
TEST_F(PipelineProcessTest, ResumeWithThePipelineFileStartsOrContinues) {
  const std::string path = Write(kHead);
  auto first = Fulcrum({"run", path, "--resume"});
  const std::string output = first->ReadAll();
  ASSERT_EQ(first->Wait(), 0) << output;
  EXPECT_EQ(Json("summary.json")["stages"][0]["status"], "done");
  auto again = Fulcrum({"run", path, "--resume"});
  const std::string second = again->ReadAll();
  EXPECT_EQ(again->Wait(), 0) << second;
  EXPECT_THAT(second, HasSubstr("[sft] done in an earlier attempt; skipped"));
}

TEST_F(PipelineProcessTest, CtrlCStopsEveryProcess) {
  const std::string path = Write(absl::StrCat(kHead, RlStage(500, "{scorer: verifier}")));
  auto run = Fulcrum({"run", path});
  ASSERT_GT(WaitForProcess("actor-1"), 0);
  std::vector<int> pids;
  const nlohmann::json state = Json("state.json");
  for (const nlohmann::json& process : state.value("processes", nlohmann::json::array())) pids.push_back(process["pid"]);
  ASSERT_GE(pids.size(), 3u) << state.dump(2);  // learner, actor, reward server

  // The running orchestrator answers `fulcrum status host:port` as the folder would.
  auto status = Fulcrum({"status", state.value("status_address", "")});
  const std::string shown = status->ReadAll();
  EXPECT_EQ(status->Wait(), 0) << shown;
  EXPECT_THAT(shown, HasSubstr("run tiny: running"));
  EXPECT_THAT(shown, HasSubstr("process actor-1"));
  run->Signal(SIGINT);
  const std::string output = run->ReadAll();
  EXPECT_EQ(run->Wait(), 1) << output;
  EXPECT_THAT(output, HasSubstr("fulcrum run --resume"));
  for (int pid : pids) EXPECT_NE(kill(pid, 0), 0) << "process " << pid << " outlived the orchestrator";
  EXPECT_EQ(Json("state.json")["stages"][1]["status"], "stopped");
}

TEST_F(PipelineProcessTest, BadInputEndsWithOneClearLine) {
  std::string yaml = absl::StrCat(kHead, RlStage(3, "{scorer: verifier}"));
  yaml = absl::StrReplaceAll(yaml, {{"group_size: 4", "group_sise: 4"}});
  auto run = Fulcrum({"run", Write(yaml)});
  const std::string output = run->ReadAll();
  EXPECT_EQ(run->Wait(), 1);
  EXPECT_THAT(output, HasSubstr(dir_.path() + "/pipeline.yaml:"));
  EXPECT_THAT(output, HasSubstr("group_sise"));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("terminate")));
  EXPECT_FALSE(std::filesystem::exists(run_dir()));
}

}  // namespace
}  // namespace fulcrum

namespace fulcrum {
namespace {

// The external launcher: the reward server and the actor run already (as compose or Kubernetes would
// start them); fulcrum only runs the stages' learners, on the port the actor was told.
TEST_F(PipelineProcessTest, ExternalLauncherUsesServicesItDidNotStart) {
  auto reward = ChildProcess::Start({BinaryPath("fulcrum-reward"), "--scorer=verifier", "--task=addition",
                                     "--min_digits=1", "--max_digits=1"});
  ASSERT_TRUE(reward.ok());
  absl::StatusOr<std::string> reward_address = (*reward)->WaitForLine("fulcrum-reward listening on ");
  ASSERT_TRUE(reward_address.ok()) << reward_address.status();
  const int port = FreePort();
  auto actor = ChildProcess::Start({BinaryPath("fulcrum-actor"), absl::StrCat("--learner=127.0.0.1:", port),
                                    "--reward=" + *reward_address, "--actor_id=external-1", "--threads=1",
                                    "--exit_when_finished"});
  ASSERT_TRUE(actor.ok());

  std::string yaml = absl::StrCat(kHead, RlStage(3, "{scorer: verifier}"));
  yaml = absl::StrReplaceAll(yaml, {{"launcher: {threads: 2}",
                                     absl::StrCat("launcher: {kind: external, reward_address: '", *reward_address,
                                                  "', learner_port: ", port, "}")}});
  auto run = Fulcrum({"run", Write(yaml)});
  const std::string output = run->ReadAll();
  ASSERT_EQ(run->Wait(), 0) << output;
  EXPECT_THAT(output, HasSubstr("external launcher"));
  EXPECT_EQ(Json("summary.json")["stages"][1]["status"], "done");
  EXPECT_FALSE(std::filesystem::exists(run_dir() + "/rl/logs/actor-1.log"));  // it started no actor
  EXPECT_EQ((*actor)->Wait(), 0);
  (*reward)->Signal(SIGTERM);
  (*reward)->Wait();
}

// As compose and Kubernetes run it: a long-lived learner (--serve) runs every stage the
// orchestrator hands it, the actor and the reward server run on their own, and the launcher's
// addresses come from the command line.
TEST_F(PipelineProcessTest, ExternalLauncherRunsStagesOnAServingLearner) {
  const int stage_port = FreePort();
  auto learner = ChildProcess::Start({BinaryPath("fulcrum-learner"), "--serve", "--port=0",
                                      absl::StrCat("--stage_port=", stage_port)});
  ASSERT_TRUE(learner.ok());
  absl::StatusOr<std::string> learner_address = (*learner)->WaitForLine("fulcrum-learner listening on ");
  ASSERT_TRUE(learner_address.ok()) << learner_address.status();
  auto reward = ChildProcess::Start({BinaryPath("fulcrum-reward"), "--scorer=verifier", "--task=addition",
                                     "--min_digits=1", "--max_digits=1"});
  ASSERT_TRUE(reward.ok());
  absl::StatusOr<std::string> reward_address = (*reward)->WaitForLine("fulcrum-reward listening on ");
  ASSERT_TRUE(reward_address.ok()) << reward_address.status();
  auto actor = ChildProcess::Start({BinaryPath("fulcrum-actor"), absl::StrCat("--learner=127.0.0.1:", stage_port),
                                    "--reward=" + *reward_address, "--actor_id=external-1", "--threads=1",
                                    "--exit_when_finished"});
  ASSERT_TRUE(actor.ok());

  auto health = Fulcrum({"health", *learner_address});
  EXPECT_EQ(health->Wait(), 0);
  auto run = Fulcrum({"run", Write(absl::StrCat(kHead, RlStage(3, "{scorer: verifier}"))), "--launcher=external",
                      "--learner_agent=" + *learner_address, "--reward_address=" + *reward_address});
  const std::string output = run->ReadAll();
  ASSERT_EQ(run->Wait(), 0) << output;
  EXPECT_THAT(output, HasSubstr("external launcher"));
  EXPECT_EQ(Json("summary.json")["stages"][0]["status"], "done");
  EXPECT_EQ(Json("summary.json")["stages"][1]["status"], "done");
  // The serving learner wrote each stage's log where the orchestrator asked.
  EXPECT_THAT(ReadFile(run_dir() + "/rl/logs/learner.log").value_or(""),
              HasSubstr(absl::StrCat("listening on 127.0.0.1:", stage_port)));
  EXPECT_EQ((*actor)->Wait(), 0);
  EXPECT_EQ(Fulcrum({"health", *learner_address})->Wait(), 0);  // still serving, for the next run
  (*learner)->Signal(SIGTERM);
  EXPECT_EQ((*learner)->Wait(), 0);
  (*reward)->Signal(SIGTERM);
  (*reward)->Wait();
}

// The orchestrator of a deployment dies (kill -9) while a serving learner runs its stage; the one
// that replaces it (`fulcrum run --resume <pipeline.yaml>`, as compose and the k8s Job restart it)
// has the learner stop the orphaned stage and runs the pipeline to the end.
TEST_F(PipelineProcessTest, AReplacedOrchestratorTakesOverTheServingLearner) {
  auto learner = ChildProcess::Start({BinaryPath("fulcrum-learner"), "--serve", "--port=0",
                                      absl::StrCat("--stage_port=", FreePort())});
  ASSERT_TRUE(learner.ok());
  absl::StatusOr<std::string> learner_address = (*learner)->WaitForLine("fulcrum-learner listening on ");
  ASSERT_TRUE(learner_address.ok()) << learner_address.status();
  const std::string path = Write(absl::StrReplaceAll(kHead, {{"steps: 40", "steps: 2000"}}));
  const std::vector<std::string> run = {"run", path, "--resume", "--launcher=external",
                                        "--learner_agent=" + *learner_address};
  auto first = Fulcrum(run);
  ASSERT_TRUE(first->WaitForText("/2000 |").ok());
  first->Signal(SIGKILL);
  first->Wait();

  auto second = Fulcrum(run);
  const std::string output = second->ReadAll();
  ASSERT_EQ(second->Wait(), 0) << output;
  EXPECT_TRUE((*learner)->WaitForText("still runs one; stopping it").ok());
  EXPECT_EQ(Json("summary.json")["stages"][0]["status"], "done");
  (*learner)->Signal(SIGTERM);
  EXPECT_EQ((*learner)->Wait(), 0);
}

TEST_F(PipelineProcessTest, AMalformedLineFailsTheStageWithFileAndLine) {
  std::string yaml = absl::StrCat(kHead, RlStage(3, "{scorer: verifier}"));
  auto run = Fulcrum({"run", Write(yaml)});
  ASSERT_EQ(run->Wait(), 0);  // writes the data; now break a line of it
  const std::string train = dir_.path() + "/data/rl_train.jsonl";
  std::string text = ReadFile(train).value();
  text.insert(text.find('\n') + 1, "{\"prompt\": \"1+2=\"}\n");
  ASSERT_TRUE(WriteFileAtomic(train, text).ok());
  std::filesystem::remove_all(run_dir());
  auto again = Fulcrum({"run", Write(yaml)});
  const std::string output = again->ReadAll();
  EXPECT_EQ(again->Wait(), 1);
  EXPECT_THAT(output, HasSubstr(train + ":2: missing key 'ground_truth'"));
  EXPECT_THAT(output, HasSubstr("rl/logs/learner.log"));
  EXPECT_EQ(Json("state.json")["stages"][0]["status"], "done");  // the SFT stage's checkpoint is kept

  // The same data folder asked for with other settings is refused, not taken for the old data.
  std::filesystem::remove_all(run_dir());
  auto changed = Fulcrum({"run", Write(absl::StrReplaceAll(yaml, {{"train: 2000", "train: 3000"}}))});
  EXPECT_THAT(changed->ReadAll(), HasSubstr("was written with other settings"));
  EXPECT_EQ(changed->Wait(), 1);
}

}  // namespace
}  // namespace fulcrum
