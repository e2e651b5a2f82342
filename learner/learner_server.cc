#include "learner/learner_server.h"

#include <memory>
#include <utility>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/time/clock.h"
#include "core/grpc_server.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::Status LearnerServer::Options::Validate() const {
  if (listen_address.empty()) {
    return absl::InvalidArgumentError("listen_address must be host:port, got an empty string");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LearnerServer>> LearnerServer::Create(const Options& options,
                                                                     RolloutCoordinator* coordinator,
                                                                     WeightPublisher* publisher) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  if (coordinator == nullptr || publisher == nullptr) {
    return absl::InvalidArgumentError("LearnerServer needs a RolloutCoordinator and a WeightPublisher");
  }
  auto service = std::make_unique<LearnerService>(coordinator, publisher);
  FULCRUM_ASSIGN_OR_RETURN(StartedServer started,
                           StartGrpcServer(options.listen_address, "learner", [&](grpc::ServerBuilder& builder) {
                             builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
                             builder.RegisterService(service.get());
                           }));
  return std::unique_ptr<LearnerServer>(new LearnerServer(std::move(service), std::move(started.server), started.port));
}

LearnerServer::LearnerServer(std::unique_ptr<LearnerService> service, std::unique_ptr<grpc::Server> server,
                             int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

LearnerServer::~LearnerServer() {
  Shutdown();
  Wait();
}

std::shared_ptr<grpc::Channel> LearnerServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void LearnerServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // Probes see NOT_SERVING (or no server at all) from here on.
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

void LearnerServer::Wait() { server_->Wait(); }

}  // namespace fulcrum
