// The reference-model server: loads a frozen checkpoint, serves fulcrum.v1.Reference (through a
// LogProbBatcher) and the standard gRPC health service, timing every call as
// fulcrum_reference_rpc_seconds{method, code}. fulcrum-reference's main and in-process
// tests create it; the actor is its client.
#ifndef FULCRUM_REFERENCE_SERVER_REFERENCE_SERVER_H_
#define FULCRUM_REFERENCE_SERVER_REFERENCE_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "reference_server/logprob_batcher.h"
#include "reference_server/reference_service.h"

namespace fulcrum {

class ReferenceServer {
 public:
  struct Options {
    // A checkpoint directory (step_XXXXXXXX/) or a checkpoint root, whose LATEST is then loaded.
    std::string checkpoint_dir;
    std::string listen_address = "127.0.0.1:0";  // Port 0 picks a free port; see port().
    int threads = 0;  // LibTorch intra-op threads (process-wide); 0 leaves LibTorch's default.
    int max_batch_sequences = 64;
    int max_queued_sequences = 1024;
    absl::Status Validate() const;
  };

  // Loads the model and starts serving. Errors name the checkpoint path or the address.
  static absl::StatusOr<std::unique_ptr<ReferenceServer>> Create(const Options& options);

  // Shuts down (if not done yet) and stops the batcher.
  ~ReferenceServer();
  ReferenceServer(const ReferenceServer&) = delete;
  ReferenceServer& operator=(const ReferenceServer&) = delete;

  int port() const { return port_; }
  // The checkpoint directory that was loaded.
  const std::string& checkpoint() const { return checkpoint_; }
  std::shared_ptr<grpc::Channel> InProcessChannel();
  const LogProbBatcher& batcher() const { return *batcher_; }

  // Stops accepting calls and finishes those in flight. Idempotent; safe from any thread.
  void Shutdown();
  // Blocks until Shutdown has run.
  void Wait();

 private:
  ReferenceServer(std::string checkpoint, std::unique_ptr<LogProbBatcher> batcher, ReferenceModelInfo info);

  const std::string checkpoint_;
  // Destroyed in reverse order: server, then service, then the batcher its calls wait on.
  std::unique_ptr<LogProbBatcher> batcher_;
  ReferenceService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex shutdown_mutex_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mutex_) = false;
};

}  // namespace fulcrum

#endif  // FULCRUM_REFERENCE_SERVER_REFERENCE_SERVER_H_
