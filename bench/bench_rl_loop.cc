// Throughput of the RL loop across real processes on loopback: fulcrum-reward (verifier),
// fulcrum-reference (PPO's KL), fulcrum-learner and N fulcrum-actor processes, for GRPO and PPO,
// strictly on-policy (max_staleness 0) and pipelined (1). The policy is the demo's L4 d128 size with
// random weights on random three-digit additions: throughput does not depend on what it knows.
// Rows: {algorithm, max_staleness, actors, samples_per_s, learner_steps_per_s, time_split} where
// time_split gives the shares of actor generate / score / reference / submit and learner learn / wait.
#include <signal.h>

#include <iostream>
#include <map>
#include <random>
#include <regex>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/report.h"
#include "core/char_tokenizer.h"
#include "core/checkpoint.h"
#include "core/file_util.h"
#include "core/model_config.h"
#include "core/model_io.h"
#include "tests/child_process.h"
#include "tests/temp_dir.h"

ABSL_FLAG(std::string, out_dir, "build/bench", "Where rl_loop.json goes.");
ABSL_FLAG(int, steps, 40, "Policy updates per run.");
ABSL_FLAG(int, learner_threads, 1, "LibTorch threads of the learner.");
ABSL_FLAG(int, actor_threads, 1, "LibTorch threads of each actor.");

namespace fulcrum {
namespace {

using testing::BinaryPath;
using testing::ChildProcess;

struct Spec {
  std::string algorithm;
  int max_staleness;
  int actors;
};

std::string MakeFixture(const std::string& dir) {
  v1::ModelConfig config;
  config.set_n_layer(4);
  config.set_n_head(4);
  config.set_d_model(128);
  config.set_max_seq_len(32);
  CharTokenizer tokenizer;
  Gpt model(ResolveModelConfig(config, tokenizer.vocab_size()).value());
  WriteCheckpoint(dir + "/init", 0, ModelFiles(model, tokenizer).value()).value();
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int> operand(100, 999);
  std::string prompts;
  for (int i = 0; i < 4000; ++i) {
    const int a = operand(rng), b = operand(rng);
    prompts += "{\"prompt\": \"" + std::to_string(a) + "+" + std::to_string(b) + "=\", \"ground_truth\": \"" +
               std::to_string(a + b) + "\"}\n";
  }
  WriteFileAtomic(dir + "/prompts.jsonl", prompts).IgnoreError();
  return dir + "/init";
}

std::string WriteConfig(const std::string& dir, const Spec& spec, int steps) {
  const bool ppo = spec.algorithm == "ppo";
  std::string yaml = "algorithm: " + spec.algorithm + "\npolicy_init: " + dir + "/init\nprompts_path: " + dir +
                     "/prompts.jsonl\nout_dir: " + dir + "/run\noptimizer: {lr: 0.0002}\nsteps: " +
                     std::to_string(steps) + "\nprompts_per_step: 32\ngroup_size: 8\nprompts_per_unit: 8\n" +
                     "sampling: {max_new_tokens: 6}\nmax_staleness: " + std::to_string(spec.max_staleness) + "\n" +
                     (ppo ? "kl_coef: 0.02\nepochs: 2\nminibatches: 2\n" : "");
  std::filesystem::remove_all(dir + "/run");
  WriteFileAtomic(dir + "/rl.yaml", yaml).IgnoreError();
  return dir + "/rl.yaml";
}

std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv, const std::string& ready,
                                    std::string* address) {
  auto child = ChildProcess::Start(argv);
  if (!child.ok()) {
    std::cerr << child.status() << "\n";
    std::exit(1);
  }
  if (!ready.empty()) {
    auto said = (*child)->WaitForLine(ready);
    if (!said.ok()) {
      std::cerr << argv[0] << ": " << said.status() << "\n";
      std::exit(1);
    }
    *address = *said;
  }
  return *std::move(child);
}

// The actor's exit line: "... seconds: generate 30.1, score 0.5, reference 0.0, submit 0.4, ...".
std::map<std::string, double> ActorSeconds(const std::string& output) {
  std::map<std::string, double> seconds;
  static const std::regex part(R"((generate|score|reference|submit) ([0-9.]+))");
  const size_t at = output.rfind("seconds:");
  if (at == std::string::npos) return seconds;
  const std::string tail = output.substr(at);
  for (std::sregex_iterator it(tail.begin(), tail.end(), part), end; it != end; ++it) {
    seconds[(*it)[1]] += std::stod((*it)[2]);
  }
  return seconds;
}

nlohmann::json Run(const std::string& dir, const Spec& spec, int steps) {
  const std::string config = WriteConfig(dir, spec, steps);
  std::string reward_address, reference_address, learner_address;
  auto reward = Start({BinaryPath("fulcrum-reward"), "--scorer=verifier", "--task=addition"},
                      "fulcrum-reward listening on ", &reward_address);
  std::unique_ptr<ChildProcess> reference;
  if (spec.algorithm == "ppo") {
    reference = Start({BinaryPath("fulcrum-reference"), "--checkpoint=" + dir + "/init", "--threads=1"},
                      "fulcrum-reference listening on ", &reference_address);
  }
  auto learner = Start({BinaryPath("fulcrum-learner"), "--rl_config=" + config,
                        "--threads=" + std::to_string(absl::GetFlag(FLAGS_learner_threads))},
                       "fulcrum-learner listening on ", &learner_address);
  std::vector<std::unique_ptr<ChildProcess>> actors;
  for (int i = 0; i < spec.actors; ++i) {
    actors.push_back(Start({BinaryPath("fulcrum-actor"), "--learner=" + learner_address, "--reward=" + reward_address,
                            "--reference=" + reference_address, "--actor_id=bench-" + std::to_string(i),
                            "--seed=" + std::to_string(i + 1),
                            "--threads=" + std::to_string(absl::GetFlag(FLAGS_actor_threads)), "--exit_when_finished"},
                           "", nullptr));
  }
  const std::string learner_output = learner->ReadAll();
  if (learner->Wait() != 0) {
    std::cerr << "the learner failed:\n" << learner_output << "\n";
    std::exit(1);
  }
  std::map<std::string, double> seconds;
  for (auto& actor : actors) {
    for (const auto& [part, s] : ActorSeconds(actor->ReadAll())) seconds[part] += s;
    actor->Wait();
  }
  for (auto* service : {&reward, &reference}) {
    if (*service) (*service)->Signal(SIGTERM);
  }
  const auto summary = nlohmann::json::parse(ReadFile(dir + "/run/summary.json").value());
  seconds["learn"] = summary["time_s"]["learn"].get<double>();
  seconds["wait"] = summary["time_s"]["wait"].get<double>();
  double total = 0;
  for (const auto& [part, s] : seconds) total += s;
  nlohmann::json split;
  for (const auto& [part, s] : seconds) split[part] = total > 0 ? s / total : 0.0;
  return {{"algorithm", spec.algorithm},
          {"max_staleness", spec.max_staleness},
          {"actors", spec.actors},
          {"samples_per_s", summary["samples_per_s"]},
          {"learner_steps_per_s", summary["steps"].get<double>() / summary["wall_s"].get<double>()},
          {"time_split", split}};
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  fulcrum::testing::ScopedTempDir dir("bench_rl_loop");
  fulcrum::MakeFixture(dir.path());
  fulcrum::BenchReport report("rl_loop", absl::GetFlag(FLAGS_out_dir));
  const int steps = absl::GetFlag(FLAGS_steps);
  for (const fulcrum::Spec& spec : std::vector<fulcrum::Spec>{
           {"grpo", 0, 1}, {"grpo", 1, 1}, {"grpo", 0, 2}, {"grpo", 1, 2}, {"ppo", 0, 1}, {"ppo", 1, 1}}) {
    report.Add(fulcrum::Run(dir.path(), spec, steps));
  }
  return report.Write() ? 0 : 1;
}
