// A running fulcrum-reward server: builds the configured Scorer, serves RewardService and the
// standard gRPC health service, times every call as fulcrum_reward_rpc_seconds{method, code}, and
// shuts down within a deadline. Used by reward_main.cc and by
// tests and other in-process users that want a real Reward endpoint.
#ifndef FULCRUM_REWARD_SERVER_REWARD_SERVER_H_
#define FULCRUM_REWARD_SERVER_REWARD_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/server.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reward_server/reward_service.h"
#include "reward_server/scorer.h"
#include "reward_server/scorer_factory.h"

namespace fulcrum {

class RewardServer {
 public:
  struct Options {
    ScorerOptions scorer;
    // host:port; port 0 picks a free one (see port()).
    std::string listen_address = "127.0.0.1:0";
    int max_concurrent_requests = 8;
    int max_batch_items = 1024;

    // INVALID_ARGUMENT naming the option. Scorer options are checked by MakeScorer.
    absl::Status Validate() const;
  };

  // Builds the scorer named by options.scorer and starts serving. UNAVAILABLE naming the address
  // when it cannot be bound (e.g. the port is in use).
  static absl::StatusOr<std::unique_ptr<RewardServer>> Create(const Options& options);
  // Serves `scorer` instead of building one; options.scorer is not consulted.
  static absl::StatusOr<std::unique_ptr<RewardServer>> Create(const Options& options,
                                                              std::unique_ptr<Scorer> scorer);

  // Shuts down with the default grace period if Shutdown was not called.
  ~RewardServer();

  RewardServer(const RewardServer&) = delete;
  RewardServer& operator=(const RewardServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

  // A channel to this server that bypasses the network stack.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Marks the health service NOT_SERVING, stops accepting calls, and cancels calls still running
  // after `grace`. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  // Blocks until Shutdown has completed.
  void Wait();

 private:
  RewardServer(std::unique_ptr<RewardService> service, std::unique_ptr<grpc::Server> server,
               int port);

  std::unique_ptr<RewardService> service_;
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_REWARD_SERVER_H_
