#include "learner/learner_service.h"

#include <algorithm>
#include <memory>
#include <utility>

#include <glog/logging.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
#include "core/status_macros.h"
#include "learner/learner_metrics.h"

namespace fulcrum {
namespace {


absl::Status CheckActorId(const std::string& actor_id) {
  if (!actor_id.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("actor_id is required: leases are held by actor");
}

}  // namespace

// One FetchWeights call. Reactions may run on different gRPC threads, and OnCancel concurrently
// with OnWriteDone, so the stream's state is guarded by mu_. Every decision is taken under mu_ and
// carried out after releasing it, because Finish may run OnDone, which deletes the reactor.
class LearnerService::WeightStream final : public grpc::ServerWriteReactor<v1::WeightsChunk> {
 public:
  // Sends `weights`, or finishes at once with its error.
  WeightStream(LearnerService* service, absl::StatusOr<std::shared_ptr<const SerializedWeights>> weights)
      : service_(service) {
    if (!weights.ok()) {
      {
        absl::MutexLock lock(&mu_);
        finished_ = true;  // A later OnCancel has nothing to do.
      }
      Finish(ToGrpcStatus(weights.status()));
      return;
    }
    weights_ = *std::move(weights);
    chunk_count_ = ChunkCount(*weights_);
    {
      absl::MutexLock lock(&service_->stats_mu_);
      ++service_->stats_.weight_streams_started;
    }
    Step();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      write_pending_ = false;
      if (ok) {
        ++next_chunk_;
        absl::MutexLock stats_lock(&service_->stats_mu_);
        service_->stats_.weight_bytes_sent += static_cast<int64_t>(chunk_.data().size());
        LearnerMetrics::Get().WeightBytesSent(static_cast<int64_t>(chunk_.data().size()));
      } else {
        broken_ = true;
      }
    }
    Step();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      broken_ = true;
      // A pending write completes (not ok) and its OnWriteDone finishes the stream.
      if (write_pending_) return;
    }
    Step();
  }

  void OnDone() override { delete this; }

 private:
  // Starts the next write, or finishes: OK after the last chunk, CANCELLED once the stream broke.
  void Step() {
    bool finish = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || write_pending_) return;
      if (!broken_ && next_chunk_ < chunk_count_) {
        chunk_ = ChunkAt(*weights_, next_chunk_);
        write_pending_ = true;
      } else {
        finish = finished_ = true;
        absl::MutexLock stats_lock(&service_->stats_mu_);
        if (broken_) {
          ++service_->stats_.weight_streams_cancelled;
          status = grpc::Status(grpc::StatusCode::CANCELLED,
                                absl::StrCat("weights stream of version ", weights_->version, " cancelled after ",
                                             next_chunk_, " of ", chunk_count_, " chunks"));
        } else {
          ++service_->stats_.weight_streams_completed;
        }
      }
    }
    if (finish) {
      Finish(status);
    } else {
      StartWrite(&chunk_);  // chunk_ is not touched again until this write's OnWriteDone.
    }
  }

  LearnerService* const service_;
  // Held for the whole stream: a newer Publish does not change what this stream sends.
  std::shared_ptr<const SerializedWeights> weights_;
  size_t chunk_count_ = 0;

  absl::Mutex mu_;
  v1::WeightsChunk chunk_;  // The chunk being written; gRPC reads it until OnWriteDone.
  size_t next_chunk_ ABSL_GUARDED_BY(mu_) = 0;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // Cancelled, or a write failed.
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

LearnerService::LearnerService(RolloutCoordinator* coordinator, WeightPublisher* publisher)
    : coordinator_(coordinator), publisher_(publisher) {
  CHECK(coordinator_ != nullptr) << "LearnerService needs a RolloutCoordinator";
  CHECK(publisher_ != nullptr) << "LearnerService needs a WeightPublisher";
}

grpc::ServerUnaryReactor* LearnerService::LeaseWork(grpc::CallbackServerContext* context,
                                                    const v1::LeaseWorkRequest* request,
                                                    v1::LeaseWorkResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(HandleLeaseWork(*request, response)));
  return reactor;
}

grpc::ServerWriteReactor<v1::WeightsChunk>* LearnerService::FetchWeights(grpc::CallbackServerContext* context,
                                                                          const v1::FetchWeightsRequest* request) {
  {
    absl::MutexLock lock(&stats_mu_);
    ++stats_.fetch_weights_calls;
  }
  return new WeightStream(this, VersionToSend(*request));
}

grpc::ServerUnaryReactor* LearnerService::SubmitRollouts(grpc::CallbackServerContext* context,
                                                         const v1::SubmitRolloutsRequest* request,
                                                         v1::SubmitRolloutsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(HandleSubmitRollouts(*request, response)));
  return reactor;
}

LearnerService::Stats LearnerService::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

absl::Status LearnerService::HandleLeaseWork(const v1::LeaseWorkRequest& request,
                                             v1::LeaseWorkResponse* response) {
  {
    absl::MutexLock lock(&stats_mu_);
    ++stats_.lease_work_calls;
  }
  FULCRUM_RETURN_IF_ERROR(CheckProtocolVersion(request.protocol_version(), "learner"));
  FULCRUM_RETURN_IF_ERROR(CheckActorId(request.actor_id()));
  *response = coordinator_->LeaseWork(request.actor_id(), absl::Now());
  return absl::OkStatus();
}

absl::Status LearnerService::HandleSubmitRollouts(const v1::SubmitRolloutsRequest& request,
                                                  v1::SubmitRolloutsResponse* response) {
  {
    absl::MutexLock lock(&stats_mu_);
    ++stats_.submit_rollouts_calls;
  }
  FULCRUM_RETURN_IF_ERROR(CheckProtocolVersion(request.protocol_version(), "learner"));
  FULCRUM_RETURN_IF_ERROR(CheckActorId(request.actor_id()));
  FULCRUM_ASSIGN_OR_RETURN(*response, coordinator_->Submit(request));
  if (request.samples_size() > 0) {
    int64_t oldest = request.samples(0).policy_version();
    for (const v1::Sample& sample : request.samples()) oldest = std::min(oldest, sample.policy_version());
    LearnerMetrics::Get().ActorLag(request.actor_id(), coordinator_->policy_version() - oldest);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const SerializedWeights>> LearnerService::VersionToSend(
    const v1::FetchWeightsRequest& request) const {
  FULCRUM_RETURN_IF_ERROR(CheckProtocolVersion(request.protocol_version(), "learner"));
  std::shared_ptr<const SerializedWeights> latest = publisher_->Latest();
  if (latest == nullptr) return absl::NotFoundError("no policy version has been published yet");
  if (request.have_version() == latest->version) {
    return absl::AlreadyExistsError(
        absl::StrCat("the caller already has policy version ", latest->version, ", the newest"));
  }
  return latest;
}

}  // namespace fulcrum
