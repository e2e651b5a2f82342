#include "learner/learner_server.h"

#include <memory>
#include <utility>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/rpc_metrics.h"
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
  // Must precede the builder so the builder registers the health service.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port);
  // With SO_REUSEPORT a second server would silently share a port that is already in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.RegisterService(service.get());
  builder.experimental().SetInterceptorCreators(RpcMetricsInterceptors("learner"));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("learner cannot listen on ", options.listen_address, ": address in use or not valid"));
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(true);
  }
  return std::unique_ptr<LearnerServer>(new LearnerServer(std::move(service), std::move(server), port));
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
