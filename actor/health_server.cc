#include "actor/health_server.h"

#include <utility>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/rpc_metrics.h"

namespace fulcrum {

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen_address) {
  // Must precede the builder so the builder registers the health service.
  grpc::EnableDefaultHealthCheckService(true);
  std::unique_ptr<HealthServer> health(new HealthServer());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen_address, grpc::InsecureServerCredentials(), &health->port_);
  // With SO_REUSEPORT a second server would silently share a port that is already in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterCallbackGenericService(&health->other_methods_);
  builder.experimental().SetInterceptorCreators(RpcMetricsInterceptors("actor"));
  health->server_ = builder.BuildAndStart();
  if (health->server_ == nullptr || health->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen_address, ": address in use or not valid"));
  }
  return health;
}

HealthServer::~HealthServer() {
  if (server_ == nullptr) return;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  server_->Wait();
}

}  // namespace fulcrum
