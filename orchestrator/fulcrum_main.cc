// fulcrum: the orchestrator CLI.
//   fulcrum run <pipeline.yaml>          runs a pipeline into runs/<name>/ (local launcher by default)
//   fulcrum run --resume runs/<name>     skips the stages done and resumes the interrupted one
//   fulcrum status runs/<name>           where a run is: each stage's status and numbers
//   fulcrum check <pipeline.yaml>        checks a pipeline and prints its resolved form; runs nothing
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
#include "core/shutdown_signals.h"
#include "glog/logging.h"
#include "orchestrator/pipeline.h"
#include "orchestrator/pipeline_runner.h"
#include "orchestrator/run_state.h"
#include "orchestrator/stage_progress.h"

ABSL_FLAG(bool, resume, false, "run: continue the run in the given runs/<name> folder.");
ABSL_FLAG(int, threads, 0, "run: cores to split among the processes; 0 uses launcher.threads or every core.");
ABSL_FLAG(std::string, bin_dir, "", "Where the fulcrum-* binaries are; default: next to this one.");

namespace fulcrum {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "Fulcrum orchestrator.\n"
    "  fulcrum run <pipeline.yaml>        run a pipeline into runs/<name>/\n"
    "  fulcrum run --resume runs/<name>   continue an interrupted run\n"
    "  fulcrum status runs/<name>         show where a run is\n"
    "  fulcrum check <pipeline.yaml>      check a pipeline without running it";

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
  const fs::path run(run_dir);
  if (!fs::exists(run / "pipeline.yaml")) {
    return absl::NotFoundError(absl::StrCat(run_dir, " holds no run to resume (no pipeline.yaml); give a run folder "
                                            "such as runs/demo"));
  }
  // The pipeline as first written, resolved again for the folder it is in now.
  absl::StatusOr<v1::PipelineConfig> pipeline = LoadPipeline((run / "pipeline.yaml").string());
  if (!pipeline.ok()) return pipeline.status();
  const std::string name = run.lexically_normal().filename().string();
  if (pipeline->name() != name || fs::path(RunDir(*pipeline)).lexically_normal() != run.lexically_normal()) {
    return absl::FailedPreconditionError(absl::StrCat(run_dir, "/pipeline.yaml is pipeline '", pipeline->name(),
                                                      "' with runs_dir '", pipeline->runs_dir(),
                                                      "'; resume it from the folder it ran in"));
  }
  return pipeline;
}

int Run(const std::string& target) {
  const bool resume = absl::GetFlag(FLAGS_resume);
  absl::StatusOr<v1::PipelineConfig> pipeline = resume ? LoadForResume(target) : LoadPipeline(target);
  if (!pipeline.ok()) return Fail(pipeline.status());
  PipelineRunner::Options options;
  options.bin_dir = BinDir();
  options.pipeline_source = resume ? "" : target;
  options.resume = resume;
  options.threads = absl::GetFlag(FLAGS_threads);
  options.out = &std::cout;
  ShutdownSignals signals;  // before any thread starts
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
  const std::string run_dir = RunDir(*pipeline);
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

// A stage's headline numbers, as summary.json names them.
std::string Headline(const nlohmann::json& summary) {
  std::string line;
  for (const char* key : {"heldout_accuracy", "heldout_pairwise_accuracy", "heldout_accuracy_before",
                          "heldout_accuracy_after", "accuracy", "reward_mean_last", "kl_last"}) {
    if (summary.contains(key) && summary[key].is_number()) {
      absl::StrAppend(&line, absl::StrFormat("  %s %.3f", key, summary[key].get<double>()));
    }
  }
  if (summary.contains("best_of_n")) absl::StrAppend(&line, "  best_of_n ", summary["best_of_n"].dump());
  if (summary.contains("pass_at_k")) absl::StrAppend(&line, "  pass_at_k ", summary["pass_at_k"].dump());
  return line;
}

int Status(const std::string& run_dir) {
  absl::StatusOr<RunState> state = RunState::Read(run_dir);
  if (!state.ok()) return Fail(state.status());
  const nlohmann::json& json = state->json();
  std::cout << "run " << json.value("name", "") << ": " << json.value("status", "") << "\n";
  for (const nlohmann::json& stage : json["stages"]) {
    const std::string name = stage.value("name", "");
    std::cout << absl::StrFormat("  %-10s %-5s %-8s %6.0f s", name, stage.value("kind", ""),
                                 stage.value("status", ""), stage.value("wall_s", 0.0));
    if (stage.contains("summary")) std::cout << Headline(stage["summary"]);
    if (stage.value("status", "") == "running") {
      StageProgress progress(name, (fs::path(run_dir) / name / "metrics.jsonl").string(), 0);
      progress.Poll(0);
      std::cout << "  " << progress.Line();
    }
    if (stage.contains("error")) std::cout << "\n      " << stage["error"].get<std::string>();
    std::cout << "\n";
  }
  for (const nlohmann::json& process : json.value("processes", nlohmann::json::array())) {
    std::cout << absl::StrFormat("  process %-28s pid %-7d %-22s %s\n", process.value("name", ""),
                                 process.value("pid", 0), process.value("address", ""), process.value("log", ""));
  }
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
  std::cerr << "fulcrum: unknown command '" << command << "'\n" << fulcrum::kUsage << std::endl;
  return 2;
}
