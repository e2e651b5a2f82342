#include "reward_server/reward_service.h"

#include <chrono>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
#include "core/status_macros.h"
#include "reward_server/score_results.h"

namespace fulcrum {
namespace {

absl::Time ToAbslDeadline(std::chrono::system_clock::time_point deadline) {
  // gRPC reports "no deadline" as the largest time_point, which absl cannot represent exactly.
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

absl::Status RewardService::Options::Validate() const {
  if (max_concurrent_requests <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_concurrent_requests must be positive, got ", max_concurrent_requests));
  }
  if (max_batch_items <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_items must be positive, got ", max_batch_items));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RewardService>> RewardService::Create(
    Options options, std::unique_ptr<Scorer> scorer) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  if (scorer == nullptr) return absl::InvalidArgumentError("RewardService needs a scorer");
  return std::unique_ptr<RewardService>(new RewardService(options, std::move(scorer)));
}

RewardService::RewardService(Options options, std::unique_ptr<Scorer> scorer)
    : options_(options), scorer_(std::move(scorer)) {}

grpc::ServerUnaryReactor* RewardService::Score(grpc::CallbackServerContext* context,
                                               const fulcrum::v1::ScoreRequest* request,
                                               fulcrum::v1::ScoreResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(ScoreRequest(*request, ToAbslDeadline(context->deadline()), response)));
  return reactor;
}

absl::Status RewardService::ScoreRequest(const fulcrum::v1::ScoreRequest& request,
                                         absl::Time deadline,
                                         fulcrum::v1::ScoreResponse* response) {
  FULCRUM_RETURN_IF_ERROR(CheckProtocolVersion(request.protocol_version(), "reward server"));
  if (request.items_size() > options_.max_batch_items) {
    return absl::InvalidArgumentError(absl::StrCat("request has ", request.items_size(),
                                                   " items, more than max_batch_items ",
                                                   options_.max_batch_items));
  }
  FULCRUM_RETURN_IF_ERROR(Admit());
  absl::Cleanup release = [this] { Release(); };

  std::vector<fulcrum::v1::ScoreResult> results;
  // The built-in scorers do not throw; a future one might, and that must cost the batch's items
  // (reported missing), not the server.
  try {
    results = scorer_->ScoreBatch(request.items(), deadline);
  } catch (const std::exception& e) {
    results.assign(request.items_size(), MissingResult(absl::StrCat("scorer threw: ", e.what())));
  }
  if (results.size() != static_cast<size_t>(request.items_size())) {
    return absl::InternalError(absl::StrCat("scorer returned ", results.size(), " results for ",
                                            request.items_size(), " items"));
  }
  response->mutable_results()->Reserve(request.items_size());
  for (fulcrum::v1::ScoreResult& result : results) {
    *response->add_results() = RejectNonFinite(std::move(result));
  }
  metrics_.RecordResults(*response);
  return absl::OkStatus();
}

absl::Status RewardService::Admit() {
  absl::MutexLock lock(&mu_);
  if (in_flight_ >= options_.max_concurrent_requests) {
    return absl::ResourceExhaustedError(
        absl::StrCat("reward server is at max_concurrent_requests ",
                     options_.max_concurrent_requests, "; retry with backoff"));
  }
  ++in_flight_;
  metrics_.requests_in_flight.Increment();
  return absl::OkStatus();
}

void RewardService::Release() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  metrics_.requests_in_flight.Decrement();
}

}  // namespace fulcrum
