#include "core/grpc_server.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/rpc_metrics.h"

namespace fulcrum {

absl::StatusOr<StartedServer> StartGrpcServer(const std::string& address, const std::string& role,
                                              const std::function<void(grpc::ServerBuilder&)>& add_services) {
  grpc::EnableDefaultHealthCheckService(true);  // Before the builder, which then registers it.
  grpc::ServerBuilder builder;
  StartedServer started;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &started.port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  add_services(builder);
  builder.experimental().SetInterceptorCreators(RpcMetricsInterceptors(role));
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || started.port == 0) {
    if (started.server != nullptr) started.server->Shutdown();
    return absl::UnavailableError(absl::StrCat("the ", role, " cannot listen on ", address,
                                               ": address in use or not valid"));
  }
  return started;
}

void StopGrpcServer(grpc::Server& server, absl::Duration grace) {
  if (grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService()) health->Shutdown();
  server.Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server.Wait();
}

}  // namespace fulcrum
