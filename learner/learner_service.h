// The fulcrum.v1.Learner gRPC service on the callback API: checks each request's protocol version
// and hands LeaseWork / SubmitRollouts to the RolloutCoordinator and FetchWeights to a stream of the
// WeightPublisher's newest version. LearnerServer owns it; tests may serve it on their own server.
//
// A FetchWeights stream takes the publisher's newest version once and holds it until the stream
// ends, so a Publish during the stream never mixes two versions; chunks are written one at a time
// (the next after the previous one completed), which keeps one chunk per stream in memory.
#ifndef FULCRUM_LEARNER_LEARNER_SERVICE_H_
#define FULCRUM_LEARNER_LEARNER_SERVICE_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/weight_chunks.h"
#include "fulcrum/v1/learner.grpc.pb.h"
#include "learner/rollout_coordinator.h"
#include "learner/weight_publisher.h"

namespace fulcrum {

class LearnerService final : public fulcrum::v1::Learner::CallbackService {
 public:

  // Counters since construction, for logs and metrics.
  struct Stats {
    int64_t lease_work_calls = 0;
    int64_t fetch_weights_calls = 0;
    int64_t submit_rollouts_calls = 0;
    int64_t weight_streams_started = 0;    // FetchWeights calls that began sending chunks.
    int64_t weight_streams_completed = 0;  // ... and sent every chunk.
    int64_t weight_streams_cancelled = 0;  // ... and ended early (client gone, server shutdown).
    int64_t weight_bytes_sent = 0;         // Chunk payload bytes whose write completed.
  };

  // Neither is owned; both must outlive the service (and so every call it serves).
  LearnerService(RolloutCoordinator* coordinator, WeightPublisher* publisher);

  LearnerService(const LearnerService&) = delete;
  LearnerService& operator=(const LearnerService&) = delete;

  grpc::ServerUnaryReactor* LeaseWork(grpc::CallbackServerContext* context,
                                      const fulcrum::v1::LeaseWorkRequest* request,
                                      fulcrum::v1::LeaseWorkResponse* response) override;
  grpc::ServerWriteReactor<fulcrum::v1::WeightsChunk>* FetchWeights(
      grpc::CallbackServerContext* context, const fulcrum::v1::FetchWeightsRequest* request) override;
  grpc::ServerUnaryReactor* SubmitRollouts(grpc::CallbackServerContext* context,
                                           const fulcrum::v1::SubmitRolloutsRequest* request,
                                           fulcrum::v1::SubmitRolloutsResponse* response) override;

  Stats stats() const;

 private:
  class WeightStream;  // The FetchWeights reactor; updates the stream counters.

  absl::Status HandleLeaseWork(const fulcrum::v1::LeaseWorkRequest& request,
                               fulcrum::v1::LeaseWorkResponse* response);
  absl::Status HandleSubmitRollouts(const fulcrum::v1::SubmitRolloutsRequest& request,
                                    fulcrum::v1::SubmitRolloutsResponse* response);
  // The version to stream for `request`: NOT_FOUND before the first Publish, ALREADY_EXISTS when
  // the caller has the newest one.
  absl::StatusOr<std::shared_ptr<const SerializedWeights>> VersionToSend(
      const fulcrum::v1::FetchWeightsRequest& request) const;

  RolloutCoordinator* const coordinator_;
  WeightPublisher* const publisher_;
  mutable absl::Mutex stats_mu_;
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_LEARNER_SERVICE_H_
