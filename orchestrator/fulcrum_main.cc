// fulcrum: the orchestrator CLI.
//   fulcrum run <pipeline.yaml>          runs a pipeline into runs/<name>/ (local launcher by default)
//   fulcrum run --resume runs/<name>     skips the stages done and resumes the interrupted one
//   fulcrum run --resume <pipeline.yaml> the same when the pipeline's run exists, else a new run
//   fulcrum status runs/<name>|host:port where a run is: each stage's status and numbers
//   fulcrum check <pipeline.yaml>        checks a pipeline and prints its resolved form; runs nothing
//   fulcrum health <host:port>           exit 0 when the server there answers grpc.health.v1 SERVING
// `run` serves Prometheus metrics on --metrics_port (and gives the processes it starts the ports
// after it); the --launcher... flags override the pipeline's launcher, as compose.yaml and k8s/ do.
// Errors print one line naming the file, key or address and exit 1; Ctrl-C stops the running stage
// (resumable) and every child process.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include <google/protobuf/util/json_util.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/binary_flags.h"
#include "core/health_check.h"
#include "core/shutdown_signals.h"
#include "glog/logging.h"
#include "orchestrator/pipeline.h"
#include "orchestrator/pipeline_runner.h"
#include "orchestrator/run_status.h"
#include "orchestrator/status_server.h"

ABSL_FLAG(bool, resume, false,
          "run: continue the run in the given runs/<name> folder; with a pipeline file, continue its run if "
          "there is one, else start it.");
ABSL_FLAG(int, threads, 0, "run: cores to split among the processes; 0 uses launcher.threads or every core.");
ABSL_FLAG(std::string, bin_dir, "", "Where the fulcrum-* binaries are; default: next to this one.");
ABSL_FLAG(std::string, status_host, "127.0.0.1", "run: address to serve the run's status on (0.0.0.0 for every interface).");
ABSL_FLAG(int, status_port, 0, "run: port of the run's status service; 0 picks a free one (printed on start).");
ABSL_FLAG(std::string, launcher, "", "run: override launcher.kind (local | external).");
ABSL_FLAG(std::string, learner_agent, "", "run: override launcher.learner_agent (a fulcrum-learner --serve).");
ABSL_FLAG(std::string, learner_address, "", "run: override launcher.learner_address (where actors reach the learner).");
ABSL_FLAG(std::string, reward_address, "", "run: override launcher.reward_address.");
ABSL_FLAG(std::string, reward_model_address, "", "run: override launcher.reward_model_address.");
ABSL_FLAG(std::string, reference_address, "", "run: override launcher.reference_address.");

namespace fulcrum {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "Fulcrum orchestrator.\n"
    "  fulcrum run <pipeline.yaml>        run a pipeline into runs/<name>/\n"
    "  fulcrum run --resume runs/<name>   continue an interrupted run\n"
    "  fulcrum run --resume <pipeline.yaml>  continue its run if there is one, else start it\n"
    "  fulcrum status runs/<name>         show where a run is (or host:port of a running fulcrum)\n"
    "  fulcrum check <pipeline.yaml>      check a pipeline without running it\n"
    "  fulcrum health <host:port>         exit 0 when the server there answers SERVING";

int Fail(const absl::Status& status) {
  std::cerr << "fulcrum: " << status.message() << std::endl;
  return 1;
}

std::string BinDir() {
  if (!absl::GetFlag(FLAGS_bin_dir).empty()) return absl::GetFlag(FLAGS_bin_dir);
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? "build/bin" : self.parent_path().string();
}

absl::StatusOr<v1::PipelineConfig> LoadForResume(const std::string& run_dir) {
  fs::path run = fs::path(run_dir).lexically_normal();
  if (!run.has_filename()) run = run.parent_path();  // "runs/demo/"
  if (!fs::exists(run / "pipeline.yaml")) {
    return absl::NotFoundError(absl::StrCat(run_dir, " holds no run to resume (no pipeline.yaml); give a run folder "
                                            "such as runs/demo"));
  }
  // The pipeline as first written, resolved again for the folder it is in now.
  absl::StatusOr<v1::PipelineConfig> pipeline = LoadPipeline((run / "pipeline.yaml").string());
  if (!pipeline.ok()) return pipeline.status();
  const std::string name = run.filename().string();
  if (pipeline->name() != name || fs::path(RunDir(*pipeline)).lexically_normal() != run) {
    return absl::FailedPreconditionError(absl::StrCat(run_dir, "/pipeline.yaml is pipeline '", pipeline->name(),
                                                      "' with runs_dir '", pipeline->runs_dir(),
                                                      "'; resume it from the folder it ran in"));
  }
  return pipeline;
}

// The --launcher... flags over the pipeline's launcher.
absl::Status OverrideLauncher(v1::LauncherConfig* launcher) {
  const std::pair<std::string, std::string*> overrides[] = {
      {absl::GetFlag(FLAGS_launcher), launcher->mutable_kind()},
      {absl::GetFlag(FLAGS_learner_agent), launcher->mutable_learner_agent()},
      {absl::GetFlag(FLAGS_learner_address), launcher->mutable_learner_address()},
      {absl::GetFlag(FLAGS_reward_address), launcher->mutable_reward_address()},
      {absl::GetFlag(FLAGS_reward_model_address), launcher->mutable_reward_model_address()},
      {absl::GetFlag(FLAGS_reference_address), launcher->mutable_reference_address()},
  };
  for (const auto& [value, field] : overrides) {
    if (!value.empty()) *field = value;
  }
  if (!launcher->kind().empty() && launcher->kind() != "local" && launcher->kind() != "external") {
    return absl::InvalidArgumentError(absl::StrCat("--launcher must be local or external, got '", launcher->kind(), "'"));
  }
  return CheckPortFlag("--status_port", absl::GetFlag(FLAGS_status_port));
}

int Run(const std::string& target) {
  // --resume with a pipeline file (as compose and Kubernetes run it): the run if there is one, else a new one.
  const bool from_file = fs::is_regular_file(target);
  bool resume = absl::GetFlag(FLAGS_resume);
  absl::StatusOr<v1::PipelineConfig> pipeline = resume && !from_file ? LoadForResume(target) : LoadPipeline(target);
  if (resume && from_file && pipeline.ok()) resume = fs::exists(fs::path(RunDir(*pipeline)) / "state.json");
  if (absl::GetFlag(FLAGS_check)) {
    return ReportCheck("fulcrum", pipeline.ok() ? OverrideLauncher(pipeline->mutable_launcher()) : pipeline.status());
  }
  if (!pipeline.ok()) return Fail(pipeline.status());
  if (absl::Status status = OverrideLauncher(pipeline->mutable_launcher()); !status.ok()) return Fail(status);
  PipelineRunner::Options options;
  options.bin_dir = BinDir();
  options.pipeline_source = resume ? "" : target;
  options.resume = resume;
  options.threads = absl::GetFlag(FLAGS_threads);
  options.out = &std::cout;
  ShutdownSignals signals;  // before any thread starts
  absl::StatusOr<std::unique_ptr<MetricsServer>> metrics = ServeMetricsFromFlags("fulcrum", absl::GetFlag(FLAGS_status_host));
  if (!metrics.ok()) return Fail(metrics.status());
  if (*metrics != nullptr) options.metrics_port = (*metrics)->port();
  const std::string run_dir = RunDir(*pipeline);
  absl::StatusOr<std::unique_ptr<StatusServer>> status_server = StatusServer::Start(
      absl::StrCat(absl::GetFlag(FLAGS_status_host), ":", absl::GetFlag(FLAGS_status_port)), run_dir);
  if (!status_server.ok()) return Fail(status_server.status());
  options.status_address = absl::StrCat(absl::GetFlag(FLAGS_status_host), ":", (*status_server)->port());
  PipelineRunner runner(*pipeline, options);
  std::atomic<bool> done{false};
  std::atomic<int> stopped_by{0};
  std::thread signal_waiter([&] {
    const int signal_number = signals.Wait();
    if (done) return;
    stopped_by = signal_number;
    std::cout << "fulcrum: " << ShutdownSignals::Name(signal_number) << ", stopping every process" << std::endl;
    runner.Stop();
  });
  const absl::Status status = runner.Run();
  done = true;
  kill(getpid(), SIGTERM);  // wakes the signal waiter, which sees `done`
  signal_waiter.join();
  if (stopped_by != 0) {
    std::cerr << "fulcrum: stopped by " << ShutdownSignals::Name(stopped_by) << "; `fulcrum run --resume " << run_dir
              << "` continues from the last checkpoint" << std::endl;
    return 1;
  }
  if (!status.ok()) {
    std::cerr << "fulcrum: " << status.message() << "\nfulcrum: completed stages are kept in " << run_dir
              << "; after fixing the cause, `fulcrum run --resume " << run_dir << "` continues" << std::endl;
    return 1;
  }
  std::cout << "run " << pipeline->name() << " done: " << run_dir << "/summary.json, " << run_dir
            << "/curves.png, logs in each stage's logs/" << std::endl;
  return 0;
}

int Status(const std::string& target) {
  absl::StatusOr<v1::RunStatus> status;
  if (fs::is_directory(target)) {
    status = ReadRunStatus(target);
  } else if (target.find(':') != std::string::npos) {
    status = FetchRunStatus(target);
  } else {
    status = absl::NotFoundError(absl::StrCat(target, " is neither a run folder (runs/<name>) nor the host:port of a "
                                              "running fulcrum"));
  }
  if (!status.ok()) return Fail(status.status());
  std::cout << FormatRunStatus(*status);
  return 0;
}

int Health(const std::string& address) {
  if (absl::GetFlag(FLAGS_check)) {
    return ReportCheck("fulcrum", address.find(':') == std::string::npos
                                      ? absl::InvalidArgumentError(absl::StrCat("health needs host:port, got '", address, "'"))
                                      : absl::OkStatus());
  }
  if (absl::Status status = CheckServing(address, absl::Seconds(5)); !status.ok()) return Fail(status);
  std::cout << address << ": SERVING" << std::endl;
  return 0;
}

int Check(const std::string& path) {
  absl::StatusOr<v1::PipelineConfig> pipeline = LoadPipeline(path);
  if (!pipeline.ok()) return Fail(pipeline.status());
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(*pipeline, &json, options);
  std::cout << json;
  std::cout << path << ": ok, " << pipeline->stages_size() << " stages into " << RunDir(*pipeline) << std::endl;
  return 0;
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(fulcrum::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (args.size() != 3) {
    std::cerr << fulcrum::kUsage << std::endl;
    return 2;
  }
  const std::string command = args[1], target = args[2];
  if (command == "run") return fulcrum::Run(target);
  if (command == "status") return fulcrum::Status(target);
  if (command == "check") return fulcrum::Check(target);
  if (command == "health") return fulcrum::Health(target);
  std::cerr << "fulcrum: unknown command '" << command << "'\n" << fulcrum::kUsage << std::endl;
  return 2;
}
