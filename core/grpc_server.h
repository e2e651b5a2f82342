// Starts a gRPC server the way every Fulcrum server starts: on `address` ("host:port", port 0 picks a
// free one), with the standard grpc.health.v1 service, per-method latency metrics for `role`
// (core/rpc_metrics.h), and without SO_REUSEPORT, so a port in use is an error rather than silently
// shared.
#ifndef FULCRUM_CORE_GRPC_SERVER_H_
#define FULCRUM_CORE_GRPC_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/status/statusor.h"

namespace fulcrum {

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

// `add_services` registers the server's services (and any other builder setting) on the builder.
// UNAVAILABLE naming `address` when it cannot listen there.
absl::StatusOr<StartedServer> StartGrpcServer(const std::string& address, const std::string& role,
                                              const std::function<void(grpc::ServerBuilder&)>& add_services);

// Tells health checkers NOT_SERVING, then shuts the server down within `grace` and waits for it.
void StopGrpcServer(grpc::Server& server, absl::Duration grace);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_GRPC_SERVER_H_
