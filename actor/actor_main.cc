// fulcrum-actor: a rollout actor. Leases work from the learner, generates, has completions scored
// and submits them, until SIGINT / SIGTERM (or, with --exit_when_finished, the end of the stage).
// Prints "fulcrum-actor <id> started: ..." once running and one summary line at exit. With --port it
// also serves grpc.health.v1 (only) on --host:--port, announced as "fulcrum-actor listening on
// <host>:<port>"; --metrics_port and --check are the flags every binary shares (core/binary_flags.h).

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "actor/health_server.h"
#include "actor/rollout_actor.h"
#include "core/binary_flags.h"
#include "core/shutdown_signals.h"
#include "core/status_macros.h"
#include "glog/logging.h"

ABSL_FLAG(std::string, learner, "", "host:port of the learner's Learner service (required).");
ABSL_FLAG(std::string, reward, "", "host:port of a Reward service (required).");
ABSL_FLAG(std::string, reference, "",
          "host:port of a Reference service; needed only when units ask for reference log-probs.");
ABSL_FLAG(std::string, host, "127.0.0.1", "Address the health and metrics servers listen on.");
ABSL_FLAG(int32_t, port, 0, "Serve grpc.health.v1 on --host at this port; 0: no gRPC server.");
ABSL_FLAG(std::string, actor_id, "", "This actor's name at the learner; default <hostname>-<pid>.");
ABSL_FLAG(int32_t, threads, 0, "LibTorch intra-op threads; 0 keeps LibTorch's default.");
ABSL_FLAG(uint64_t, seed, 0, "Sampling seed; with a unit's work_id it fixes the sampled tokens.");
ABSL_FLAG(int32_t, max_batch_sequences, 512, "Most sequences generated in one batch.");
ABSL_FLAG(double, rpc_timeout_s, 30, "Deadline of every RPC attempt, seconds.");
ABSL_FLAG(double, reward_timeout_s, 60,
          "How long to retry the reward (and reference) server before submitting rewards as missing.");
ABSL_FLAG(bool, exit_when_finished, false, "Exit 0 when the learner says the RL stage is finished.");

namespace fulcrum {
namespace {

constexpr char kBinary[] = "fulcrum-actor";

std::string DefaultActorId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return absl::StrCat("actor-", getpid());
  return absl::StrCat(host, "-", getpid());
}

absl::Duration SecondsFlag(double seconds) {
  return seconds > 0 ? absl::Seconds(seconds) : absl::ZeroDuration();  // Validate() rejects 0.
}

RolloutActor::Options OptionsFromFlags() {
  RolloutActor::Options options;
  options.learner_address = absl::GetFlag(FLAGS_learner);
  options.reward_address = absl::GetFlag(FLAGS_reward);
  options.reference_address = absl::GetFlag(FLAGS_reference);
  options.actor_id = absl::GetFlag(FLAGS_actor_id);
  if (options.actor_id.empty()) options.actor_id = DefaultActorId();
  options.threads = absl::GetFlag(FLAGS_threads);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.max_batch_sequences = absl::GetFlag(FLAGS_max_batch_sequences);
  options.rpc_timeout = SecondsFlag(absl::GetFlag(FLAGS_rpc_timeout_s));
  options.reward_timeout = SecondsFlag(absl::GetFlag(FLAGS_reward_timeout_s));
  options.exit_when_finished = absl::GetFlag(FLAGS_exit_when_finished);
  return options;
}

absl::Status CheckFlags(const RolloutActor::Options& options) {
  FULCRUM_RETURN_IF_ERROR(CheckPortFlag("--port", absl::GetFlag(FLAGS_port)));
  return options.Validate();
}

int Run() {
  const RolloutActor::Options options = OptionsFromFlags();
  const absl::Status valid = CheckFlags(options);
  if (absl::GetFlag(FLAGS_check)) return ReportCheck(kBinary, valid);
  if (!valid.ok()) {
    std::cerr << kBinary << ": " << valid.message() << std::endl;
    return 1;
  }
  ShutdownSignals shutdown_signals;  // Before gRPC, LibTorch and the metrics server start threads.
  const std::string host = absl::GetFlag(FLAGS_host);
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics = ServeMetricsFromFlags(kBinary, host);
  if (!metrics.ok()) {
    std::cerr << kBinary << ": " << metrics.status().message() << std::endl;
    return 1;
  }
  std::unique_ptr<HealthServer> health;
  if (const int port = absl::GetFlag(FLAGS_port); port > 0) {
    absl::StatusOr<std::unique_ptr<HealthServer>> started = HealthServer::Start(absl::StrCat(host, ":", port));
    if (!started.ok()) {
      std::cerr << kBinary << ": " << started.status().message() << std::endl;
      return 1;
    }
    health = *std::move(started);
    std::cout << kBinary << " listening on " << host << ":" << health->port() << std::endl;
  }
  absl::StatusOr<std::unique_ptr<RolloutActor>> actor = RolloutActor::Create(options);
  if (!actor.ok()) {
    std::cerr << kBinary << ": " << actor.status().message() << std::endl;
    return 1;
  }

  // The signal waiter stops the actor; when Run returns on its own, it is woken with a SIGTERM of
  // its own (blocked everywhere, so only its sigwait can take it).
  std::atomic<bool> run_returned{false};
  std::thread signal_waiter([&] {
    const int signal_number = shutdown_signals.Wait();
    if (run_returned.load()) return;
    std::cout << "fulcrum-actor: " << ShutdownSignals::Name(signal_number) << ", shutting down" << std::endl;
    (*actor)->Stop();
  });

  std::cout << "fulcrum-actor " << options.actor_id << " started: learner " << options.learner_address
            << ", reward " << options.reward_address << ", reference "
            << (options.reference_address.empty() ? "none" : options.reference_address) << std::endl;
  const absl::Status status = (*actor)->Run();
  run_returned.store(true);
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();

  std::cout << "fulcrum-actor " << options.actor_id << " stopped: " << (*actor)->stats().ToString() << std::endl;
  if (!status.ok()) {
    std::cerr << "fulcrum-actor: " << status.message() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Runs a rollout actor. Example: fulcrum-actor --learner=localhost:5050 --reward=localhost:5051 "
      "[--reference=localhost:5052] [--port=50051 --metrics_port=9400]");
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  return fulcrum::Run();
}
