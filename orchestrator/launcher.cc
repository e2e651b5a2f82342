#include "orchestrator/launcher.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/health_check.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

// How long the external launcher waits for a deployed service to answer: one that loads a
// checkpoint an earlier stage just wrote (--wait_for) needs a moment after that stage ends.
const absl::Duration kPatience = absl::Minutes(2);

}  // namespace

Launcher::Launcher(v1::LauncherConfig config, Options options)
    : config_(std::move(config)), options_(std::move(options)) {}

absl::Status CheckReachable(const std::string& role, const std::string& address, absl::Duration patience) {
  const absl::Time give_up = absl::Now() + patience;
  absl::Status status = CheckServing(address, absl::Seconds(10));
  while (!status.ok() && absl::Now() < give_up) {
    absl::SleepFor(absl::Seconds(2));
    status = CheckServing(address, absl::Seconds(10));
  }
  if (status.ok()) return status;
  return absl::UnavailableError(absl::StrCat("the ", role, " at ", address, " is not reachable (", status.message(),
                                             "); check that it runs, that the address is right and that "
                                             "nothing blocks the port"));
}

absl::StatusOr<std::string> Launcher::LocalService(const std::string& name, std::vector<std::string> argv,
                                                   const std::string& log_dir) {
  const std::string key = absl::StrJoin(argv, " ");
  if (auto it = services_.find(key); it != services_.end()) return it->second->address();
  ServiceSpec spec;
  // A second service of the same kind (another RM, say) runs beside the first: "reward-model-2".
  int same = 0;
  for (const auto& [other, service] : services_) {
    const std::string& taken = service->spec().name;
    same += taken == name || (taken.size() > name.size() + 1 && taken.rfind(name + "-", 0) == 0 &&
                              absl::ascii_isdigit(taken[name.size() + 1]));
  }
  spec.name = same == 0 ? name : absl::StrCat(name, "-", same + 1);
  spec.argv = std::move(argv);
  for (std::string& flag : MetricsFlag(spec.name)) spec.argv.push_back(std::move(flag));
  spec.log_path = (std::filesystem::path(log_dir) / absl::StrCat(spec.name, ".log")).string();
  std::filesystem::create_directories(log_dir);
  spec.max_restarts = 3;
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Service> service, Service::Start(spec));
  const std::string address = service->address();
  services_[key] = std::move(service);
  return address;
}

absl::StatusOr<std::string> Launcher::Reward(const v1::RewardConfig& reward, const v1::TaskConfig& task,
                                             const std::string& log_dir) {
  if (!reward.address().empty()) {
    FULCRUM_RETURN_IF_ERROR(CheckReachable("reward server", reward.address()));
    return reward.address();
  }
  if (!local()) {
    const bool model = !reward.reward_model().empty();
    if (!model && !reward.scorer().empty() && reward.scorer() != "verifier") {
      return absl::FailedPreconditionError(
          "the external launcher starts no reward servers: run one for this reward and give its reward.address");
    }
    const std::string& address = model ? config_.reward_model_address() : config_.reward_address();
    if (address.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("the external launcher needs launcher.",
                                                        model ? "reward_model_address" : "reward_address",
                                                        " (or a reward.address)"));
    }
    FULCRUM_RETURN_IF_ERROR(CheckReachable(model ? "reward-model server" : "reward server", address, kPatience));
    return address;
  }
  const std::string name = reward.reward_model().empty() ? "reward" : "reward-model";
  std::vector<std::string> argv = {options_.bin_dir + "/fulcrum-reward"};
  if (!reward.reward_model().empty()) {
    argv.push_back("--scorer=reward_model");
    argv.push_back("--checkpoint=" + reward.reward_model());
    argv.push_back("--threads=1");
    if (reward.normalize()) argv.push_back("--normalize");
  } else {
    argv.push_back("--scorer=" + (reward.scorer().empty() ? std::string("verifier") : reward.scorer()));
    argv.push_back("--task=" + task.name());
    if (task.min_digits()) argv.push_back(absl::StrCat("--min_digits=", task.min_digits()));
    if (task.max_digits()) argv.push_back(absl::StrCat("--max_digits=", task.max_digits()));
    if (task.numbers()) argv.push_back(absl::StrCat("--numbers=", task.numbers()));
    if (task.max_number()) argv.push_back(absl::StrCat("--max_number=", task.max_number()));
    if (!reward.composite().empty()) argv.push_back("--composite=" + reward.composite());
    if (!reward.regex().empty()) argv.push_back("--regex=" + reward.regex());
  }
  return LocalService(name, std::move(argv), log_dir);
}

absl::StatusOr<std::string> Launcher::Reference(const std::string& checkpoint, const std::string& log_dir) {
  if (!local()) {
    if (config_.reference_address().empty()) {
      return absl::FailedPreconditionError(
          "this stage needs a reference server (kl_coef > 0): give launcher.reference_address");
    }
    FULCRUM_RETURN_IF_ERROR(CheckReachable("reference server", config_.reference_address(), kPatience));
    return config_.reference_address();
  }
  return LocalService("reference", {options_.bin_dir + "/fulcrum-reference", "--checkpoint=" + checkpoint, "--threads=1"},
                      log_dir);
}

std::vector<std::string> Launcher::MetricsFlag(const std::string& name) {
  if (options_.metrics_port <= 0) return {};
  auto [it, added] = metrics_ports_.emplace(name, 0);
  if (added) it->second = options_.metrics_port + static_cast<int>(metrics_ports_.size());
  return {absl::StrCat("--metrics_port=", it->second)};
}

nlohmann::json Launcher::MetricsTargets() const {
  nlohmann::json targets = nlohmann::json::array();
  if (options_.metrics_port <= 0) return targets;
  auto add = [&](const std::string& name, int port) {
    const std::string role = name.substr(0, name.find('-'));  // actor-2 -> actor, reward-model -> reward
    targets.push_back({{"targets", {absl::StrCat("127.0.0.1:", port)}}, {"labels", {{"role", role}, {"process", name}}}});
  };
  add("orchestrator", options_.metrics_port);
  for (const auto& [name, port] : metrics_ports_) add(name, port);
  return targets;
}

absl::Status Launcher::CheckLearnerAgent() const {
  if (local() || config_.learner_agent().empty()) return absl::OkStatus();
  return CheckReachable("learner (fulcrum-learner --serve)", config_.learner_agent(), kPatience);
}

absl::Status Launcher::Supervise() {
  for (auto& [key, service] : services_) FULCRUM_RETURN_IF_ERROR(service->Supervise());
  return absl::OkStatus();
}

std::vector<const Service*> Launcher::services() const {
  std::vector<const Service*> all;
  for (const auto& [key, service] : services_) all.push_back(service.get());
  return all;
}

void Launcher::StopAll() {
  for (auto& [key, service] : services_) service->Stop(absl::Seconds(5));
  services_.clear();
}

}  // namespace fulcrum
