// The actor's only gRPC server: the standard grpc.health.v1 service and nothing else, so probes
// (compose healthchecks, Kubernetes grpc probes, `fulcrum health`) can ask whether a fulcrum-actor
// process is up. Its calls are timed as fulcrum_actor_rpc_seconds. fulcrum-actor starts one when
// --port is set.
#ifndef FULCRUM_ACTOR_HEALTH_SERVER_H_
#define FULCRUM_ACTOR_HEALTH_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>

#include "absl/status/statusor.h"

namespace fulcrum {

class HealthServer {
 public:
  // Serves on `listen_address` (host:port; port 0 picks a free one, see port()). UNAVAILABLE
  // naming the address when it cannot listen (e.g. the port is in use).
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& listen_address);

  // Answers NOT_SERVING from then on and shuts down.
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  int port() const { return port_; }

 private:
  HealthServer() = default;

  // Answers UNIMPLEMENTED to every other method, as a server without services would. gRPC refuses
  // to build a server with no service of its own; the health service is added only at start.
  grpc::CallbackGenericService other_methods_;
  std::unique_ptr<grpc::Server> server_;  // Destroyed before the service it calls.
  int port_ = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_HEALTH_SERVER_H_
