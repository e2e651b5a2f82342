#include "orchestrator/status_server.h"

#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
#include "core/rpc_metrics.h"
#include "orchestrator/run_status.h"

namespace fulcrum {

class StatusServer::Service final : public v1::Orchestrator::Service {
 public:
  explicit Service(std::string run_dir) : run_dir_(std::move(run_dir)) {}
  grpc::Status GetRunStatus(grpc::ServerContext*, const v1::GetRunStatusRequest* request,
                            v1::RunStatus* response) override {
    if (absl::Status version = CheckProtocolVersion(request->protocol_version(), "orchestrator"); !version.ok()) {
      return ToGrpcStatus(version);
    }
    absl::StatusOr<v1::RunStatus> status = ReadRunStatus(run_dir_);
    if (!status.ok()) return ToGrpcStatus(status.status());
    *response = *std::move(status);
    return grpc::Status::OK;
  }

 private:
  const std::string run_dir_;
};

absl::StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(const std::string& listen_address,
                                                                  const std::string& run_dir) {
  auto service = std::make_unique<Service>(run_dir);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen_address, grpc::InsecureServerCredentials(), &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(service.get());
  builder.experimental().SetInterceptorCreators(RpcMetricsInterceptors("orchestrator"));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(absl::StrCat("the status server cannot listen on ", listen_address,
                                               ": address in use or not valid (see --status_port)"));
  }
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(service), std::move(server), port));
}

StatusServer::StatusServer(std::unique_ptr<Service> service, std::unique_ptr<grpc::Server> server, int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

StatusServer::~StatusServer() {
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  server_->Wait();
}

absl::StatusOr<v1::RunStatus> FetchRunStatus(const std::string& address) {
  auto stub = v1::Orchestrator::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::GetRunStatusRequest request;
  request.set_protocol_version(kProtocolVersion);
  v1::RunStatus status;
  grpc::Status result = stub->GetRunStatus(&context, request, &status);
  if (!result.ok()) return FromGrpcStatus(result, absl::StrCat("asking the orchestrator at ", address, " for its status"));
  return status;
}

}  // namespace fulcrum
