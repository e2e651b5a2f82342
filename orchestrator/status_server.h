// Serves the Orchestrator service of a `fulcrum run`: GetRunStatus answers with ReadRunStatus of the
// run folder, so it shows exactly what `fulcrum status runs/<name>` would, from another machine.
#ifndef FULCRUM_ORCHESTRATOR_STATUS_SERVER_H_
#define FULCRUM_ORCHESTRATOR_STATUS_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "fulcrum/v1/orchestrator.grpc.pb.h"

namespace fulcrum {

class StatusServer {
 public:
  // Listens on `listen_address` (host:port; port 0 picks one).
  static absl::StatusOr<std::unique_ptr<StatusServer>> Start(const std::string& listen_address,
                                                             const std::string& run_dir);
  ~StatusServer();
  int port() const { return port_; }

 private:
  class Service;
  StatusServer(std::unique_ptr<Service> service, std::unique_ptr<grpc::Server> server, int port);
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

// The status of the run whose orchestrator serves at `address`.
absl::StatusOr<v1::RunStatus> FetchRunStatus(const std::string& address);

}  // namespace fulcrum

#endif  // FULCRUM_ORCHESTRATOR_STATUS_SERVER_H_
