#include "reference_server/reference_server.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/model_io.h"
#include "core/grpc_server.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

// Calls still running this long after Shutdown are cancelled.
constexpr std::chrono::seconds kShutdownGrace(5);

}  // namespace

absl::Status ReferenceServer::Options::Validate() const {
  if (checkpoint_dir.empty()) return absl::InvalidArgumentError("checkpoint_dir is required");
  if (listen_address.empty()) return absl::InvalidArgumentError("listen_address is required");
  if (threads < 0) return absl::InvalidArgumentError(absl::StrCat("threads must be >= 0, got ", threads));
  return LogProbBatcher::Options{max_batch_sequences, max_queued_sequences}.Validate();
}

absl::StatusOr<std::unique_ptr<ReferenceServer>> ReferenceServer::Create(const Options& options) {
  if (absl::Status status = options.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("reference server options: ", status.message()));
  }
  if (options.threads > 0) torch::set_num_threads(options.threads);
  FULCRUM_ASSIGN_OR_RETURN(std::string checkpoint, ResolveCheckpointDir(options.checkpoint_dir));
  FULCRUM_ASSIGN_OR_RETURN(LoadedModel loaded, LoadModel(checkpoint));
  ReferenceModelInfo info{static_cast<int>(loaded.model->config().vocab_size()),
                          static_cast<int>(loaded.model->config().max_seq_len()), checkpoint};
  FULCRUM_ASSIGN_OR_RETURN(
      std::unique_ptr<LogProbBatcher> batcher,
      LogProbBatcher::Create({options.max_batch_sequences, options.max_queued_sequences}, loaded.model));
  std::unique_ptr<ReferenceServer> server(new ReferenceServer(checkpoint, std::move(batcher), std::move(info)));

  FULCRUM_ASSIGN_OR_RETURN(StartedServer started,
                           StartGrpcServer(options.listen_address, "reference", [&](grpc::ServerBuilder& builder) {
                             builder.RegisterService(&server->service_);
                           }));
  server->server_ = std::move(started.server);
  server->port_ = started.port;
  return server;
}

ReferenceServer::ReferenceServer(std::string checkpoint, std::unique_ptr<LogProbBatcher> batcher,
                                 ReferenceModelInfo info)
    : checkpoint_(std::move(checkpoint)), batcher_(std::move(batcher)), service_(batcher_.get(), std::move(info)) {}

ReferenceServer::~ReferenceServer() {
  if (server_ != nullptr) {
    Shutdown();
    server_->Wait();
  }
}

std::shared_ptr<grpc::Channel> ReferenceServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void ReferenceServer::Shutdown() {
  {
    absl::MutexLock lock(&shutdown_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
}

void ReferenceServer::Wait() { server_->Wait(); }

}  // namespace fulcrum
