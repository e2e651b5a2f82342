#include "learner/stage_runner.h"

#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

StageRunner::StageRunner(Options options) : options_(std::move(options)), forker_([this] { ForkLoop(); }) {}

StageRunner::~StageRunner() {
  {
    absl::MutexLock lock(&mu_);
    if (child_ != nullptr) child_->Stop(absl::Seconds(30));
  }
  {
    absl::MutexLock lock(&fork_mu_);
    stopping_ = true;
  }
  forker_.join();
}

void StageRunner::ForkLoop() {
  absl::MutexLock lock(&fork_mu_);
  while (true) {
    fork_mu_.Await(absl::Condition(
        +[](StageRunner* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return self->stopping_ || (self->fork_request_ != nullptr && !self->fork_request_->result);
        },
        this));
    if (stopping_) return;
    fork_request_->result = Child::Start(fork_request_->argv, fork_request_->log_path);
  }
}

absl::StatusOr<std::unique_ptr<Child>> StageRunner::Fork(std::vector<std::string> argv, const std::string& log_path) {
  ForkRequest request{std::move(argv), log_path, std::nullopt};
  absl::MutexLock lock(&fork_mu_);
  fork_request_ = &request;
  fork_mu_.Await(absl::Condition(
      +[](ForkRequest* r) { return r->result.has_value(); }, &request));
  fork_request_ = nullptr;
  return *std::move(request.result);
}

v1::StageState StageRunner::State() {
  v1::StageState state;
  if (child_ == nullptr) return state;
  state.set_started(true);
  state.set_pid(child_->pid());
  const std::optional<int> code = child_->Poll();
  state.set_running(!code.has_value());
  if (code) state.set_exit_code(*code);
  return state;
}

absl::StatusOr<v1::StageState> StageRunner::Start(const v1::StartStageRequest& request) {
  FULCRUM_RETURN_IF_ERROR(CheckProtocolVersion(request.protocol_version(), "learner"));
  if (request.log_path().empty()) return absl::InvalidArgumentError("StartStage needs a log_path");
  absl::MutexLock lock(&mu_);
  // One orchestrator drives a learner, so a stage still running was left by one that died: stop
  // it; the stage asked for now resumes from its last checkpoint.
  if (child_ != nullptr && !child_->Poll()) {
    std::cout << "fulcrum-learner: a new stage was asked for while pid " << child_->pid()
              << " still runs one; stopping it" << std::endl;
    child_->Stop(absl::Seconds(30));
  }
  std::vector<std::string> argv = {options_.binary};
  argv.insert(argv.end(), request.args().begin(), request.args().end());
  // Last on the command line, so they win over any the orchestrator sent.
  argv.push_back("--host=" + options_.host);
  argv.push_back(absl::StrCat("--port=", options_.stage_port));
  argv.push_back(absl::StrCat("--metrics_port=", options_.metrics_port));
  FULCRUM_ASSIGN_OR_RETURN(child_, Fork(std::move(argv), request.log_path()));
  return State();
}

grpc::ServerUnaryReactor* StageRunner::StartStage(grpc::CallbackServerContext* context,
                                                  const v1::StartStageRequest* request, v1::StageState* response) {
  absl::StatusOr<v1::StageState> state = Start(*request);
  if (state.ok()) *response = *std::move(state);
  return Reply(context, state.status());
}

grpc::ServerUnaryReactor* StageRunner::GetStage(grpc::CallbackServerContext* context,
                                                const v1::GetStageRequest* request, v1::StageState* response) {
  if (absl::Status status = CheckProtocolVersion(request->protocol_version(), "learner"); !status.ok()) {
    return Reply(context, status);
  }
  absl::MutexLock lock(&mu_);
  *response = State();
  return Reply(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* StageRunner::StopStage(grpc::CallbackServerContext* context,
                                                 const v1::StopStageRequest* request, v1::StageState* response) {
  if (absl::Status status = CheckProtocolVersion(request->protocol_version(), "learner"); !status.ok()) {
    return Reply(context, status);
  }
  absl::MutexLock lock(&mu_);
  if (child_ != nullptr) child_->Stop(absl::Seconds(request->grace_s() > 0 ? request->grace_s() : 30));
  *response = State();
  return Reply(context, absl::OkStatus());
}

}  // namespace fulcrum
