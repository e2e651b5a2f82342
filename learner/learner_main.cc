// fulcrum-learner: runs one stage of a pipeline, from its config file (YAML or JSON). Exactly one of:
//   --sft_config=<file>  the SFT stage.
//   --rm_config=<file>   the reward-model stage.
//   --dpo_config=<file>  the DPO stage (offline, from preference pairs).
//   --rl_config=<file>   the RL stage (GRPO / PPO): serves the Learner service to actors on
//                        --host:--port and prints "fulcrum-learner listening on <host>:<port>".
//   --eval_config=<file> the eval stage: greedy accuracy, pass@k and best-of-N of a checkpoint.
//   --serve              a long-lived learner: serves StageRunner and grpc.health.v1 on --host:--port
//                        and runs the stages an orchestrator hands it (each as a child process
//                        serving actors on --stage_port, with metrics on --metrics_port).
// --metrics_port serves Prometheus metrics; --check loads the config (or checks the flags) and exits.
// Each stage writes its checkpoints, metrics.jsonl and summary.json into its out_dir, prints
// "<stage> done: <summary>" and exits 0; errors print one line and exit 1.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/binary_flags.h"
#include "core/grpc_server.h"
#include "core/shutdown_signals.h"
#include "core/yaml_proto.h"
#include "fulcrum/v1/config.pb.h"
#include "glog/logging.h"
#include "learner/dpo_trainer.h"
#include "learner/eval_stage.h"
#include "learner/learner_server.h"
#include "learner/rl_trainer.h"
#include "learner/rm_trainer.h"
#include "learner/sft_trainer.h"
#include "learner/stage_runner.h"

ABSL_FLAG(std::string, sft_config, "", "YAML file of an SFT stage (fulcrum.v1.SftConfig) to run standalone.");
ABSL_FLAG(std::string, dpo_config, "", "YAML file of a DPO stage (fulcrum.v1.DpoConfig) to run standalone.");
ABSL_FLAG(std::string, rm_config, "", "YAML file of a reward-model stage (fulcrum.v1.RmConfig) to run standalone.");
ABSL_FLAG(std::string, rl_config, "", "YAML file of an RL stage (fulcrum.v1.RlConfig) to run, serving actors.");
ABSL_FLAG(std::string, eval_config, "", "YAML file of an eval stage (fulcrum.v1.EvalConfig) to run standalone.");
ABSL_FLAG(std::string, host, "127.0.0.1", "RL mode: address to serve the Learner service on.");
ABSL_FLAG(int32_t, port, 0, "RL mode: port to listen on; 0 picks a free one (printed on start).");
ABSL_FLAG(bool, serve, false, "Run stages for an orchestrator (StageRunner on --host:--port) until SIGTERM.");
ABSL_FLAG(int32_t, stage_port, 50051, "--serve: the port each stage's Learner service listens on.");
ABSL_FLAG(int, threads, 0, "Intra-op threads for LibTorch; 0 uses every core.");

namespace fulcrum {
namespace {

constexpr char kBinary[] = "fulcrum-learner";

int Fail(const absl::Status& status) {
  std::cerr << kBinary << ": " << status.message() << std::endl;
  return 1;
}

// --check: the config parses into its message, every key known.
template <typename Config>
int Check(const std::string& path) {
  Config config;
  return ReportCheck(kBinary, LoadYamlProto(path, &config));
}

int Serve(ShutdownSignals& signals) {
  if (absl::GetFlag(FLAGS_check)) return ReportCheck(kBinary, CheckPortFlag("--stage_port", absl::GetFlag(FLAGS_stage_port)));
  char self[4096] = {};
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return Fail(absl::InternalError("cannot find this binary's path in /proc/self/exe"));
  StageRunner runner({std::string(self, length), absl::GetFlag(FLAGS_host), absl::GetFlag(FLAGS_stage_port),
                      absl::GetFlag(FLAGS_metrics_port)});
  absl::StatusOr<StartedServer> started =
      StartGrpcServer(absl::StrCat(absl::GetFlag(FLAGS_host), ":", absl::GetFlag(FLAGS_port)), "learner",
                      [&](grpc::ServerBuilder& builder) { builder.RegisterService(&runner); });
  if (!started.ok()) return Fail(started.status());
  std::cout << kBinary << " listening on " << absl::GetFlag(FLAGS_host) << ":" << started->port << std::endl;
  const int received = signals.Wait();
  std::cout << kBinary << ": " << ShutdownSignals::Name(received) << ", shutting down" << std::endl;
  StopGrpcServer(*started->server, absl::Seconds(2));
  return 0;  // ~StageRunner stops a stage still running.
}

// A stage that needs no other process: Trainer::Create(config, progress) then Run() -> summary.
template <typename Trainer, typename Config>
int RunOffline(const std::string& stage, const std::string& path) {
  if (absl::GetFlag(FLAGS_check)) return Check<Config>(path);
  ShutdownSignals::Unblock();  // SIGTERM ends an offline stage at once; it resumes from its checkpoint.
  Config config;
  if (auto status = LoadYamlProto(path, &config); !status.ok()) return Fail(status);
  auto trainer = Trainer::Create(config, &std::cout);
  if (!trainer.ok()) return Fail(trainer.status());
  auto summary = (*trainer)->Run();
  if (!summary.ok()) return Fail(summary.status());
  std::cout << stage << " done: " << summary->dump() << std::endl;
  return 0;
}

int RunRl(const std::string& path, ShutdownSignals& signals) {
  if (absl::GetFlag(FLAGS_check)) return Check<v1::RlConfig>(path);
  v1::RlConfig config;
  if (auto status = LoadYamlProto(path, &config); !status.ok()) return Fail(status);
  auto trainer = RlTrainer::Create(config, &std::cout);
  if (!trainer.ok()) return Fail(trainer.status());
  LearnerServer::Options options;
  options.listen_address = absl::StrCat(absl::GetFlag(FLAGS_host), ":", absl::GetFlag(FLAGS_port));
  auto server = LearnerServer::Create(options, &(*trainer)->coordinator(), &(*trainer)->publisher());
  if (!server.ok()) return Fail(server.status());
  std::cout << "fulcrum-learner listening on " << absl::GetFlag(FLAGS_host) << ":" << (*server)->port() << std::endl;

  std::atomic<bool> done{false};
  std::atomic<int> stopped_by{0};
  std::thread signal_waiter([&] {
    const int signal_number = signals.Wait();
    if (done) return;  // The wake-up below, not a user's signal.
    stopped_by = signal_number;
    std::cout << "fulcrum-learner: " << ShutdownSignals::Name(signal_number) << ", stopping" << std::endl;
    (*trainer)->Stop();
  });
  absl::StatusOr<nlohmann::json> summary = (*trainer)->Run();
  done = true;
  kill(getpid(), SIGTERM);  // wakes the signal waiter, which sees `done`
  signal_waiter.join();
  // Actors poll LeaseWork every few hundred ms: give them time to hear that the stage finished.
  if (stopped_by == 0) absl::SleepFor(absl::Seconds(1));
  (*server)->Shutdown(absl::Seconds(2));
  (*server)->Wait();
  if (stopped_by != 0) {
    std::cerr << "fulcrum-learner: stopped by " << ShutdownSignals::Name(stopped_by)
              << "; run the same command again to resume from the last checkpoint" << std::endl;
    return 1;
  }
  if (!summary.ok()) return Fail(summary.status());
  std::cout << "rl done: " << summary->dump() << std::endl;
  return 0;
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Fulcrum learner.\n  fulcrum-learner --sft_config=configs/sft_addition.yaml\n"
      "  fulcrum-learner --rl_config=configs/grpo_addition.yaml --port=50051\n"
      "  fulcrum-learner --serve --host=0.0.0.0 --port=50050 --stage_port=50051 --metrics_port=9400");
  absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  // Blocked before LibTorch's pool and the metrics server start threads, so that only the waiter of
  // RunRl or Serve takes them (offline stages unblock them in the main thread).
  fulcrum::ShutdownSignals signals;
  if (absl::GetFlag(FLAGS_threads) > 0) torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  // One line per stage kind: its flag's value and how to run it.
  const std::vector<std::pair<std::string, std::function<int()>>> modes = {
      {absl::GetFlag(FLAGS_sft_config),
       [] { return fulcrum::RunOffline<fulcrum::SftTrainer, fulcrum::v1::SftConfig>("sft", absl::GetFlag(FLAGS_sft_config)); }},
      {absl::GetFlag(FLAGS_dpo_config),
       [] { return fulcrum::RunOffline<fulcrum::DpoTrainer, fulcrum::v1::DpoConfig>("dpo", absl::GetFlag(FLAGS_dpo_config)); }},
      {absl::GetFlag(FLAGS_rm_config),
       [] { return fulcrum::RunOffline<fulcrum::RmTrainer, fulcrum::v1::RmConfig>("rm", absl::GetFlag(FLAGS_rm_config)); }},
      {absl::GetFlag(FLAGS_rl_config), [&signals] { return fulcrum::RunRl(absl::GetFlag(FLAGS_rl_config), signals); }},
      {absl::GetFlag(FLAGS_eval_config),
       [] { return fulcrum::RunOffline<fulcrum::EvalStage, fulcrum::v1::EvalConfig>("eval", absl::GetFlag(FLAGS_eval_config)); }},
  };
  const std::function<int()> serve = [&signals] { return fulcrum::Serve(signals); };
  const std::function<int()>* chosen = absl::GetFlag(FLAGS_serve) ? &serve : nullptr;
  int given = chosen != nullptr ? 1 : 0;
  for (const auto& [path, run] : modes) {
    if (!path.empty()) ++given, chosen = &run;
  }
  if (given != 1) {
    std::cerr << "fulcrum-learner: pass exactly one of --sft_config, --rm_config, --dpo_config, --rl_config, "
                 "--eval_config or --serve (see configs/ and --help)" << std::endl;
    return 2;
  }
  // A serving learner passes --metrics_port on to the stage processes, which serve the metrics.
  absl::StatusOr<std::unique_ptr<fulcrum::MetricsServer>> metrics = nullptr;
  if (!absl::GetFlag(FLAGS_serve) && !absl::GetFlag(FLAGS_check)) {
    metrics = fulcrum::ServeMetricsFromFlags("fulcrum-learner", absl::GetFlag(FLAGS_host));
    if (!metrics.ok()) return fulcrum::Fail(metrics.status());
  }
  return (*chosen)();
}
