#include "orchestrator/pipeline_runner.h"

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "core/metrics.h"
#include "core/status_macros.h"
#include "glog/logging.h"
#include "core/child.h"
#include "orchestrator/curves.h"
#include "orchestrator/pipeline.h"
#include "orchestrator/service.h"
#include "orchestrator/stage_progress.h"

namespace fulcrum {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kPoll = absl::Milliseconds(200);

struct Metrics {
  prometheus::Gauge& stage_index = GaugeMetric("fulcrum_orchestrator_stage_index",
                                               "1-based index of the stage running (or last run).");
  prometheus::Counter& restarts = CounterMetric("fulcrum_orchestrator_process_restarts_total",
                                                "Restarts of crashed actors and services.");
};

Metrics& OrchestratorMetrics() {
  static Metrics* metrics = new Metrics();
  return *metrics;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

const google::protobuf::Message& StageMessage(const v1::StageConfig& stage) {
  switch (stage.kind_case()) {
    case v1::StageConfig::kSft: return stage.sft();
    case v1::StageConfig::kRm: return stage.rm();
    case v1::StageConfig::kDpo: return stage.dpo();
    case v1::StageConfig::kRl: return stage.rl();
    default: return stage.eval();
  }
}

// "the rl stage's learner failed (exit code 1); see runs/x/rl/logs/learner.log, which ends: ..."
absl::Status ChildFailed(const std::string& what, int code, const std::string& log) {
  const std::string tail = LogTail(log, 4);
  return absl::AbortedError(absl::StrCat(what, " failed (", DescribeExit(code), "); see ", log,
                                         tail.empty() ? "" : absl::StrCat(", which ends:\n", tail)));
}

}  // namespace

PipelineRunner::PipelineRunner(v1::PipelineConfig pipeline, Options options)
    : pipeline_(std::move(pipeline)), options_(std::move(options)), run_dir_(RunDir(pipeline_)) {}

void PipelineRunner::Say(const std::string& line) {
  if (options_.out != nullptr) *options_.out << line << std::endl;
}

absl::Status PipelineRunner::Prepare() {
  const fs::path run(run_dir_);
  if (!options_.resume && fs::exists(run / "state.json")) {
    return absl::AlreadyExistsError(absl::StrCat(run_dir_, " already holds a run: `fulcrum run --resume ", run_dir_,
                                                 "` continues it; delete the folder to start over"));
  }
  int threads = options_.threads > 0 ? options_.threads : pipeline_.launcher().threads();
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  launcher_ = std::make_unique<Launcher>(pipeline_.launcher(),
                                         Launcher::Options{options_.bin_dir, threads, options_.metrics_port});
  FULCRUM_RETURN_IF_ERROR(launcher_->CheckLearnerAgent());
  std::error_code error;
  fs::create_directories(run / "logs", error);
  if (error) return absl::InternalError(absl::StrCat("creating ", (run / "logs").string(), ": ", error.message()));
  if (!options_.resume && !options_.pipeline_source.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(const std::string text, ReadFile(options_.pipeline_source));
    FULCRUM_RETURN_IF_ERROR(WriteFileAtomic((run / "pipeline.yaml").string(), text));
  }
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic((run / "pipeline.json").string(), ToJson(pipeline_)));
  FULCRUM_ASSIGN_OR_RETURN(RunState state, RunState::Open(pipeline_, options_.resume));
  state_ = std::make_unique<RunState>(std::move(state));
  if (!options_.status_address.empty()) state_->json()["status_address"] = options_.status_address;
  return state_->Save();
}

absl::Status PipelineRunner::WriteDatasets() {
  for (const v1::DatasetConfig& dataset : pipeline_.datasets()) {
    // dataset.json records the settings a folder was written with, so a changed dataset is not
    // silently taken for the old one; a folder without it holds a user's own files.
    const std::string settings = ToJson(dataset), record = (fs::path(dataset.out()) / "dataset.json").string();
    bool present = true;
    for (const std::string& file : DatasetFiles()) present = present && fs::exists(fs::path(dataset.out()) / file);
    if (present) {
      absl::StatusOr<std::string> written = ReadFile(record);
      if (written.ok() && *written != settings) {
        return absl::FailedPreconditionError(absl::StrCat(
            dataset.out(), " was written with other settings (see its dataset.json); delete the folder to "
            "write it anew, or give this dataset another `out`"));
      }
      Say(absl::StrCat("data: ", dataset.out(), " is there already; kept"));
      continue;
    }
    const v1::TaskConfig& task = dataset.task();
    std::vector<std::string> argv = {
        options_.bin_dir + "/fulcrum-data", "--task=" + task.name(), "--out=" + dataset.out(),
        absl::StrCat("--train=", dataset.train() ? dataset.train() : 20000),
        absl::StrCat("--heldout=", dataset.heldout() ? dataset.heldout() : 500),
        absl::StrCat("--seed=", dataset.seed() ? dataset.seed() : 1),
        absl::StrCat("--sft_sloppy_fraction=", dataset.sft_sloppy_fraction()),
        absl::StrCat("--preference_sloppy_fraction=", dataset.preference_sloppy_fraction())};
    if (task.min_digits()) argv.push_back(absl::StrCat("--min_digits=", task.min_digits()));
    if (task.max_digits()) argv.push_back(absl::StrCat("--max_digits=", task.max_digits()));
    if (task.numbers()) argv.push_back(absl::StrCat("--numbers=", task.numbers()));
    if (task.max_number()) argv.push_back(absl::StrCat("--max_number=", task.max_number()));
    const std::string log = (fs::path(run_dir_) / "logs" / "fulcrum-data.log").string();
    Say(absl::StrCat("data: writing ", dataset.out(), " (", task.name(), ")"));
    FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Child> child, Child::Start(argv, log));
    if (const int code = child->Wait(); code != 0) return ChildFailed("fulcrum-data", code, log);
    FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(record, settings));
  }
  return absl::OkStatus();
}

absl::Status PipelineRunner::Execute(const v1::StageConfig& stage, const std::string& stage_dir) {
  const std::string kind = StageKind(stage);
  const std::string logs = (fs::path(stage_dir) / "logs").string();
  fs::create_directories(logs);
  v1::StageConfig config = stage;
  const int threads = launcher_->threads();
  const bool rl = config.has_rl();
  const int actors = rl && launcher_->local() ? std::max(1, config.actors()) : 0;

  // The services the stage talks to.
  std::string reward, reference;
  if (rl) {
    FULCRUM_ASSIGN_OR_RETURN(reward, launcher_->Reward(config.reward(), config.rl().task(), logs));
    if (config.rl().kl_coef() > 0) {
      FULCRUM_ASSIGN_OR_RETURN(reference, launcher_->Reference(config.rl().policy_init(), logs));
    }
  }
  for (const v1::SelectorConfig& selector : config.selectors()) {
    v1::Selector* resolved = config.mutable_eval()->add_selectors();
    resolved->set_name(selector.name());
    FULCRUM_ASSIGN_OR_RETURN(*resolved->mutable_address(),
                             launcher_->Reward(selector.reward(), config.eval().task(), logs));
  }
  const std::string config_path = (fs::path(stage_dir) / "config.json").string();
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(config_path, ToJson(StageMessage(config))));

  // The learner: a trainer for every stage; for RL also the server the actors talk to.
  ServiceSpec learner;
  learner.name = "learner";
  learner.argv = {options_.bin_dir + "/fulcrum-learner", absl::StrCat("--", kind, "_config=", config_path),
                  absl::StrCat("--threads=", std::max(1, threads - actors))};
  learner.log_path = (fs::path(logs) / "learner.log").string();
  learner.serves = rl;
  if (!launcher_->local()) {
    learner.runner = pipeline_.launcher().learner_agent();  // Empty: the learner runs here.
    if (rl) {
      learner.argv.push_back("--host=0.0.0.0");
      learner.port = pipeline_.launcher().learner_port();
    }
  }
  // A serving learner gives its stages its own --host, --port and --metrics_port.
  if (learner.runner.empty()) {
    for (std::string& flag : launcher_->MetricsFlag("learner")) learner.argv.push_back(std::move(flag));
  }
  Say(absl::StrCat("[", stage.name(), "] ", kind, " stage: log ", learner.log_path));
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Service> trainer, Service::Start(learner));

  std::vector<std::unique_ptr<Service>> actor_services;
  for (int i = 1; i <= actors; ++i) {
    ServiceSpec actor;
    actor.name = absl::StrCat("actor-", i);
    actor.argv = {options_.bin_dir + "/fulcrum-actor", "--learner=" + trainer->address(), "--reward=" + reward,
                  absl::StrCat("--actor_id=actor-", i), absl::StrCat("--seed=", i), "--threads=1",
                  "--exit_when_finished"};
    if (!reference.empty()) actor.argv.push_back("--reference=" + reference);
    for (std::string& flag : launcher_->MetricsFlag(actor.name)) actor.argv.push_back(std::move(flag));
    actor.log_path = (fs::path(logs) / absl::StrCat("actor-", i, ".log")).string();
    actor.serves = false;
    actor.max_restarts = 5;
    FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Service> started, Service::Start(actor));
    actor_services.push_back(std::move(started));
  }
  if (rl && !launcher_->local()) {
    Say(absl::StrCat("[", stage.name(), "] learner serves actors at ",
                     pipeline_.launcher().learner_address().empty() ? trainer->address()
                                                                    : pipeline_.launcher().learner_address()));
  }

  // Record who runs where, for `fulcrum status`: now, and again whenever a restart changed a pid.
  std::vector<const Service*> services = {trainer.get()};
  for (const auto& actor : actor_services) services.push_back(actor.get());
  for (const Service* service : launcher_->services()) services.push_back(service);
  auto record_processes = [&] {
    nlohmann::json processes = nlohmann::json::array();
    for (const Service* service : services) {
      processes.push_back({{"name", service->spec().name}, {"pid", service->pid()},
                           {"address", service->address()}, {"log", service->spec().log_path}});
    }
    state_->json()["processes"] = processes;
    if (options_.metrics_port > 0) {
      FULCRUM_RETURN_IF_ERROR(WriteFileAtomic((fs::path(run_dir_) / "prometheus_targets.json").string(),
                                              launcher_->MetricsTargets().dump(2) + "\n"));
    }
    return state_->Save();
  };
  auto restarts = [&] {
    int total = 0;
    for (const Service* service : services) total += service->restarts();
    return total;
  };
  FULCRUM_RETURN_IF_ERROR(record_processes());
  int recorded_restarts = restarts();

  auto stop_all = [&] {
    trainer->Stop(absl::Seconds(30));
    for (auto& actor : actor_services) actor->Stop(absl::Seconds(10));
  };
  StageProgress progress(stage.name(), (fs::path(stage_dir) / "metrics.jsonl").string(), StageSteps(stage));
  while (true) {
    if (stop_) {
      stop_all();
      return absl::CancelledError("stopped");
    }
    if (std::optional<int> code = trainer->Poll()) {
      if (std::optional<std::string> line = progress.Poll(0); line && StageSteps(stage) > 0) Say(*line);
      for (auto& actor : actor_services) actor->Stop(absl::Seconds(10));
      if (*code != 0) return ChildFailed(absl::StrCat("the ", stage.name(), " stage's learner"), *code, learner.log_path);
      return absl::OkStatus();
    }
    absl::Status healthy = launcher_->Supervise();
    for (auto& actor : actor_services) {
      if (healthy.ok()) healthy = actor->Supervise();
    }
    if (!healthy.ok()) {
      stop_all();
      return healthy;
    }
    if (restarts() != recorded_restarts) {
      OrchestratorMetrics().restarts.Increment(restarts() - recorded_restarts);
      recorded_restarts = restarts();
      FULCRUM_RETURN_IF_ERROR(record_processes());
    }
    if (std::optional<std::string> line = progress.Poll(); line && StageSteps(stage) > 0) Say(*line);
    absl::SleepFor(kPoll);
  }
}

absl::Status PipelineRunner::RunStage(const v1::StageConfig& stage) {
  nlohmann::json& entry = state_->stage(stage.name());
  if (entry.value("status", "") == "done") {
    Say(absl::StrCat("[", stage.name(), "] done in an earlier attempt; skipped"));
    return absl::OkStatus();
  }
  const std::string stage_dir = (fs::path(run_dir_) / stage.name()).string();
  entry["status"] = "running";
  entry.erase("error");
  FULCRUM_RETURN_IF_ERROR(state_->Save());
  const absl::Time start = absl::Now();
  absl::Status status = Execute(stage, stage_dir);
  entry["wall_s"] = entry.value("wall_s", 0.0) + absl::ToDoubleSeconds(absl::Now() - start);
  if (status.ok()) {
    absl::StatusOr<std::string> text = ReadFile((fs::path(stage_dir) / "summary.json").string());
    if (!text.ok()) {
      status = absl::DataLossError(absl::StrCat("the ", stage.name(), " stage ended without a summary: ", text.status().message()));
    } else {
      entry["summary"] = nlohmann::json::parse(*text, nullptr, false);
      entry["status"] = "done";
      Say(absl::StrCat("[", stage.name(), "] done in ", absl::StrFormat("%.0f", entry["wall_s"].get<double>()), " s"));
    }
  }
  if (!status.ok()) {
    entry["status"] = absl::IsCancelled(status) ? "stopped" : "failed";
    entry["error"] = std::string(status.message());
  }
  FULCRUM_RETURN_IF_ERROR(state_->Save());
  Report();
  return status;
}

void PipelineRunner::Report() {
  const fs::path run(run_dir_);
  if (absl::Status s = WriteFileAtomic((run / "summary.json").string(), state_->Summary().dump(2) + "\n"); !s.ok()) {
    LOG(WARNING) << s;
  }
  std::string metrics;
  std::vector<StageCurves> curves;
  for (const v1::StageConfig& stage : pipeline_.stages()) {
    const std::string path = (run / stage.name() / "metrics.jsonl").string();
    std::ifstream in(path);
    if (!in) continue;
    curves.push_back({stage.name(), StageKind(stage), path});
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
      if (!record.is_object()) continue;
      record["stage"] = stage.name();
      absl::StrAppend(&metrics, record.dump(), "\n");
    }
  }
  if (absl::Status s = WriteFileAtomic((run / "metrics.jsonl").string(), metrics); !s.ok()) LOG(WARNING) << s;
  for (const char* name : {"curves.svg", "curves.png"}) {
    if (absl::Status s = WriteCurves(curves, (run / name).string()); !s.ok()) {
      Say(absl::StrCat("note: no ", name, ": ", s.message()));
    }
  }
}

absl::Status PipelineRunner::Run() {
  FULCRUM_RETURN_IF_ERROR(Prepare());
  Say(absl::StrCat("run ", pipeline_.name(), ": ", pipeline_.stages_size(), " stages into ", run_dir_, " (",
                   launcher_->local() ? "local" : "external", " launcher, ", launcher_->threads(), " cores)",
                   options_.status_address.empty() ? "" : absl::StrCat("; status: fulcrum status ", options_.status_address)));
  absl::Status status = WriteDatasets();
  for (int i = 0; status.ok() && i < pipeline_.stages_size(); ++i) {
    OrchestratorMetrics().stage_index.Set(i + 1);
    if (stop_) status = absl::CancelledError("stopped");
    if (status.ok()) status = RunStage(pipeline_.stages(i));
  }
  launcher_->StopAll();
  state_->json()["status"] = status.ok() ? "done" : absl::IsCancelled(status) ? "stopped" : "failed";
  state_->json().erase("processes");
  FULCRUM_RETURN_IF_ERROR(state_->Save());
  Report();
  return status;
}

}  // namespace fulcrum
