#include "reward_server/reward_server.h"

#include <chrono>
#include <memory>
#include <utility>

#include <grpcpp/health_check_service_interface.h>

#include "absl/time/clock.h"
#include "core/grpc_server.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::Status RewardServer::Options::Validate() const {
  if (listen_address.empty()) {
    return absl::InvalidArgumentError("listen_address must be host:port, got an empty string");
  }
  RewardService::Options service{max_concurrent_requests, max_batch_items};
  return service.Validate();
}

absl::StatusOr<std::unique_ptr<RewardServer>> RewardServer::Create(const Options& options) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Scorer> scorer, MakeScorer(options.scorer));
  return Create(options, std::move(scorer));
}

absl::StatusOr<std::unique_ptr<RewardServer>> RewardServer::Create(
    const Options& options, std::unique_ptr<Scorer> scorer) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  FULCRUM_ASSIGN_OR_RETURN(
      std::unique_ptr<RewardService> service,
      RewardService::Create({options.max_concurrent_requests, options.max_batch_items},
                            std::move(scorer)));
  FULCRUM_ASSIGN_OR_RETURN(StartedServer started,
                           StartGrpcServer(options.listen_address, "reward", [&](grpc::ServerBuilder& builder) {
                             builder.RegisterService(service.get());
                           }));
  return std::unique_ptr<RewardServer>(new RewardServer(std::move(service), std::move(started.server), started.port));
}

RewardServer::RewardServer(std::unique_ptr<RewardService> service,
                           std::unique_ptr<grpc::Server> server, int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

RewardServer::~RewardServer() {
  Shutdown();
  Wait();
}

std::shared_ptr<grpc::Channel> RewardServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void RewardServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

void RewardServer::Wait() { server_->Wait(); }

}  // namespace fulcrum
