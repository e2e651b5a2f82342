// A running Learner endpoint: serves LearnerService (over a RolloutCoordinator and a
// WeightPublisher the caller owns) and the standard gRPC health service, and shuts down within a
// deadline. Used by the learner binary, and by tests and benchmarks that want a real Learner.
#ifndef FULCRUM_LEARNER_LEARNER_SERVER_H_
#define FULCRUM_LEARNER_LEARNER_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/server.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "learner/learner_service.h"
#include "learner/rollout_coordinator.h"
#include "learner/weight_publisher.h"

namespace fulcrum {

class LearnerServer {
 public:
  // SubmitRollouts carries a unit's samples with their log-prob tensors: far above gRPC's 4 MiB
  // default for large units.
  static constexpr int kMaxReceiveMessageBytes = 64 << 20;

  struct Options {
    // host:port; port 0 picks a free one (see port()).
    std::string listen_address = "127.0.0.1:0";

    // INVALID_ARGUMENT naming the option.
    absl::Status Validate() const;
  };

  // Starts serving. `coordinator` and `publisher` are not owned and must outlive the server.
  // UNAVAILABLE naming the address when it cannot be bound (e.g. the port is in use).
  static absl::StatusOr<std::unique_ptr<LearnerServer>> Create(const Options& options,
                                                               RolloutCoordinator* coordinator,
                                                               WeightPublisher* publisher);

  // Shuts down with the default grace period if Shutdown was not called, and waits.
  ~LearnerServer();

  LearnerServer(const LearnerServer&) = delete;
  LearnerServer& operator=(const LearnerServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

  // A channel to this server that bypasses the network stack.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Marks the health service NOT_SERVING, stops accepting calls, and cancels calls (weight streams
  // included) still running after `grace`. Returns once the server has stopped. Idempotent and
  // thread-safe: a concurrent second call returns when the first has finished.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // Blocks until Shutdown has completed.
  void Wait();

  const LearnerService& service() const { return *service_; }

 private:
  LearnerServer(std::unique_ptr<LearnerService> service, std::unique_ptr<grpc::Server> server, int port);

  // Declared before server_ so that it outlives every call the server runs.
  std::unique_ptr<LearnerService> service_;
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_LEARNER_SERVER_H_
