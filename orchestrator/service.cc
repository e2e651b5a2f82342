#include "orchestrator/service.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "core/health_check.h"
#include "core/status_macros.h"
#include "glog/logging.h"
#include "orchestrator/remote_stage.h"

namespace fulcrum {
namespace {

constexpr char kListening[] = " listening on ";

int64_t FileSize(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? info.st_size : 0;
}

// The address in the first "listening on" line written to `path` after byte `offset`.
std::string ListeningAddress(const std::string& path, int64_t offset) {
  std::ifstream in(path);
  in.seekg(offset);
  std::string line;
  while (std::getline(in, line)) {
    const size_t at = line.find(kListening);
    if (at != std::string::npos) return line.substr(at + sizeof(kListening) - 1);
  }
  return "";
}

std::string Failure(const ServiceSpec& spec, const std::string& what) {
  const std::string tail = LogTail(spec.log_path, 5);
  return absl::StrCat(spec.name, " ", what, "; see ", spec.log_path,
                      tail.empty() ? "" : absl::StrCat(", which ends:\n", tail));
}

}  // namespace

std::string LogTail(const std::string& path, int lines) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "";
  std::vector<std::string> all = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  const size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  return absl::StrJoin(all.begin() + from, all.end(), "\n");
}

absl::StatusOr<std::unique_ptr<Service>> Service::Start(ServiceSpec spec) {
  auto service = std::unique_ptr<Service>(new Service(std::move(spec)));
  FULCRUM_RETURN_IF_ERROR(service->Launch(service->spec_.port));
  return service;
}

absl::Status Service::Launch(int port) {
  std::vector<std::string> argv = spec_.argv;
  if (spec_.serves) argv.push_back(absl::StrCat("--port=", port));
  const int64_t offset = FileSize(spec_.log_path);
  if (spec_.runner.empty()) {
    FULCRUM_ASSIGN_OR_RETURN(child_, Child::Start(argv, spec_.log_path));
  } else {
    FULCRUM_ASSIGN_OR_RETURN(child_, RemoteStage::Start(spec_.runner, {argv.begin() + 1, argv.end()}, spec_.log_path));
  }
  if (!spec_.serves) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + spec_.start_timeout;
  std::string address;
  while (address.empty()) {
    if (std::optional<int> code = child_->Poll()) {
      return absl::UnavailableError(Failure(spec_, absl::StrCat("exited at start (", DescribeExit(*code), ")")));
    }
    if (absl::Now() > deadline) {
      child_->Stop(absl::Seconds(5));
      return absl::DeadlineExceededError(
          Failure(spec_, absl::StrCat("did not start serving within ", absl::FormatDuration(spec_.start_timeout))));
    }
    absl::SleepFor(absl::Milliseconds(50));
    address = ListeningAddress(spec_.log_path, offset);
  }
  if (!spec_.runner.empty()) {  // "0.0.0.0:50051" in the learner's container is the learner's host.
    address = absl::StrCat(spec_.runner.substr(0, spec_.runner.rfind(':')), address.substr(address.rfind(':')));
  }
  if (absl::Status health = CheckServing(address, absl::Seconds(10)); !health.ok()) {
    child_->Stop(absl::Seconds(5));
    return absl::UnavailableError(Failure(spec_, std::string(health.message())));
  }
  address_ = address;
  return absl::OkStatus();
}

absl::Status Service::Supervise() {
  if (restart_pending_) {
    if (absl::Now() < restart_at_) return absl::OkStatus();
    restart_pending_ = false;
    int port = 0;
    if (!address_.empty()) {
      const size_t colon = address_.rfind(':');
      if (colon == std::string::npos || !absl::SimpleAtoi(address_.substr(colon + 1), &port)) port = 0;
    }
    ++restarts_;
    LOG(WARNING) << spec_.name << ": restart " << restarts_ << " of " << spec_.max_restarts;
    absl::Status launched = Launch(port);
    if (!launched.ok()) {
      return absl::UnavailableError(absl::StrCat("restarting ", spec_.name, " failed: ", launched.message()));
    }
    return absl::OkStatus();
  }
  const std::optional<int> code = child_->Poll();
  if (!code || *code == 0) return absl::OkStatus();
  if (restarts_ >= spec_.max_restarts) {
    return absl::UnavailableError(Failure(
        spec_, absl::StrCat("ended with ", DescribeExit(*code),
                            spec_.max_restarts > 0 ? absl::StrCat(" after ", restarts_, " restarts") : "")));
  }
  const absl::Duration backoff = std::min(absl::Seconds(30), absl::Seconds(1) * (1 << std::min(restarts_, 5)));
  LOG(WARNING) << spec_.name << " ended with " << DescribeExit(*code) << "; restarting in "
               << absl::FormatDuration(backoff);
  restart_at_ = absl::Now() + backoff;
  restart_pending_ = true;
  return absl::OkStatus();
}

}  // namespace fulcrum
