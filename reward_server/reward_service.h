// The fulcrum.v1.Reward gRPC service on the callback API: checks a Score request (protocol
// version, batch size), admits at most max_concurrent_requests at once, and asks its Scorer for one
// result per item, counted in the fulcrum_reward_* metrics (reward_metrics.h). RewardServer owns
// it; tests may also serve it on their own grpc::Server.
//
// Deadline: the client's deadline is handed to the scorer, and items not reached by then come
// back missing with reason "deadline exceeded", so the server stops spending time on a call the
// client has given up on (the client itself sees DEADLINE_EXCEEDED from gRPC).
#ifndef FULCRUM_REWARD_SERVER_REWARD_SERVICE_H_
#define FULCRUM_REWARD_SERVER_REWARD_SERVICE_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "fulcrum/v1/reward.grpc.pb.h"
#include "reward_server/reward_metrics.h"
#include "reward_server/scorer.h"

namespace fulcrum {

class RewardService final : public fulcrum::v1::Reward::CallbackService {
 public:

  struct Options {
    // Score calls in progress at once; one more gets RESOURCE_EXHAUSTED (the client backs off).
    int max_concurrent_requests = 8;
    // Items per request; more is INVALID_ARGUMENT, which bounds the memory one call can take.
    int max_batch_items = 1024;

    // INVALID_ARGUMENT naming the option when a bound is not positive.
    absl::Status Validate() const;
  };

  static absl::StatusOr<std::unique_ptr<RewardService>> Create(Options options,
                                                               std::unique_ptr<Scorer> scorer);

  // Scoring runs synchronously on the gRPC callback thread: the rule-based scorers take
  // microseconds per item. A slow scorer (a reward model) would need its own worker pool.
  grpc::ServerUnaryReactor* Score(grpc::CallbackServerContext* context,
                                  const fulcrum::v1::ScoreRequest* request,
                                  fulcrum::v1::ScoreResponse* response) override;

 private:
  RewardService(Options options, std::unique_ptr<Scorer> scorer);

  absl::Status ScoreRequest(const fulcrum::v1::ScoreRequest& request, absl::Time deadline,
                            fulcrum::v1::ScoreResponse* response);
  absl::Status Admit();
  void Release();

  const Options options_;
  const std::unique_ptr<Scorer> scorer_;
  RewardMetrics metrics_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_REWARD_SERVICE_H_
