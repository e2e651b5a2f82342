#include "actor/health_server.h"

#include <utility>

#include "absl/time/time.h"
#include "core/grpc_server.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen_address) {
  std::unique_ptr<HealthServer> health(new HealthServer());
  FULCRUM_ASSIGN_OR_RETURN(StartedServer started,
                           StartGrpcServer(listen_address, "actor", [&](grpc::ServerBuilder& builder) {
                             builder.RegisterCallbackGenericService(&health->other_methods_);
                           }));
  health->server_ = std::move(started.server);
  health->port_ = started.port;
  return health;
}

HealthServer::~HealthServer() {
  if (server_ != nullptr) StopGrpcServer(*server_, absl::Seconds(1));
}

}  // namespace fulcrum
