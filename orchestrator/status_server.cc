#include "orchestrator/status_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/grpc_server.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
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
  absl::StatusOr<StartedServer> started =
      StartGrpcServer(listen_address, "orchestrator", [&](grpc::ServerBuilder& builder) {
        builder.RegisterService(service.get());
      });
  if (!started.ok()) return absl::UnavailableError(absl::StrCat(started.status().message(), " (see --status_port)"));
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(service), std::move(started->server), started->port));
}

StatusServer::StatusServer(std::unique_ptr<Service> service, std::unique_ptr<grpc::Server> server, int port)
    : service_(std::move(service)), server_(std::move(server)), port_(port) {}

StatusServer::~StatusServer() {
  StopGrpcServer(*server_, absl::Seconds(1));
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
