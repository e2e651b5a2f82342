#include "orchestrator/remote_stage.h"

#include <grpcpp/client_context.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
#include "core/rpc_metrics.h"
#include "glog/logging.h"

namespace fulcrum {
namespace {

constexpr int kLost = 255;
const absl::Duration kUnreachableLimit = absl::Minutes(1);

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RemoteStage>> RemoteStage::Start(const std::string& runner,
                                                                const std::vector<std::string>& args,
                                                                const std::string& log_path) {
  auto stub = v1::StageRunner::NewStub(InstrumentedChannel("orchestrator", runner));
  v1::StartStageRequest request;
  request.set_protocol_version(kProtocolVersion);
  for (const std::string& arg : args) request.add_args(arg);
  request.set_log_path(log_path);
  v1::StageState state;
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(60));  // Time to stop a stage left running, too.
  const grpc::Status status = stub->StartStage(&context, request, &state);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("the learner at ", runner, " did not start the stage: ",
                                               status.error_message(), " (is fulcrum-learner --serve running there?)"));
  }
  return std::unique_ptr<RemoteStage>(new RemoteStage(runner, std::move(stub), state.pid()));
}

RemoteStage::~RemoteStage() {
  if (!exit_code_) Stop(absl::Seconds(10));
}

std::optional<int> RemoteStage::Poll() {
  if (exit_code_) return exit_code_;
  v1::GetStageRequest request;
  request.set_protocol_version(kProtocolVersion);
  v1::StageState state;
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  const grpc::Status status = stub_->GetStage(&context, request, &state);
  if (!status.ok()) {
    const absl::Time now = absl::Now();
    if (unreachable_since_ == absl::InfiniteFuture()) unreachable_since_ = now;
    LOG(WARNING) << "the learner at " << runner_ << " does not answer: " << status.error_message();
    if (now - unreachable_since_ < kUnreachableLimit) return std::nullopt;
    exit_code_ = kLost;
    return exit_code_;
  }
  unreachable_since_ = absl::InfiniteFuture();
  if (!state.started() || state.pid() != pid_) {
    exit_code_ = kLost;  // The learner restarted: the stage is gone.
  } else if (!state.running()) {
    exit_code_ = state.exit_code();
  }
  return exit_code_;
}

int RemoteStage::Stop(absl::Duration grace) {
  if (exit_code_) return *exit_code_;
  v1::StopStageRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_grace_s(absl::ToDoubleSeconds(grace));
  v1::StageState state;
  grpc::ClientContext context;
  SetDeadline(&context, grace + absl::Seconds(10));
  const grpc::Status status = stub_->StopStage(&context, request, &state);
  exit_code_ = status.ok() && state.started() && state.pid() == pid_ && !state.running() ? state.exit_code() : kLost;
  return *exit_code_;
}

}  // namespace fulcrum
