#include "actor/reward_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/protocol.h"
#include "core/grpc_status.h"

namespace fulcrum {

RewardClient::RewardClient(std::unique_ptr<v1::Reward::StubInterface> stub, Options options,
                           Cancellation* cancellation)
    : stub_(std::move(stub)),
      options_(std::move(options)),
      cancellation_(cancellation),
      outage_(absl::StrCat("the reward server at ", options_.address)) {}

absl::StatusOr<std::vector<v1::ScoreResult>> RewardClient::Score(const std::vector<v1::ScoreItem>& items) {
  const absl::Time give_up_at = absl::Now() + options_.give_up_after;
  const size_t batch = static_cast<size_t>(std::max(1, options_.max_items_per_call));
  std::vector<v1::ScoreResult> results;
  results.reserve(items.size());
  for (size_t begin = 0; begin < items.size(); begin += batch) {
    const size_t end = std::min(items.size(), begin + batch);
    v1::ScoreRequest request;
    request.set_protocol_version(kProtocolVersion);
    for (size_t i = begin; i < end; ++i) *request.add_items() = items[i];
    absl::StatusOr<v1::ScoreResponse> response = ScoreBatch(request, give_up_at);
    if (cancellation_->cancelled()) return absl::CancelledError("shutting down");
    if (!response.ok()) {
      // The server is gone or refuses this client: the rest would fail the same way.
      for (size_t i = begin; i < items.size(); ++i) {
        v1::ScoreResult& missing = results.emplace_back();
        missing.set_missing(true);
        missing.set_reason(std::string(response.status().message()));
      }
      break;
    }
    for (v1::ScoreResult& result : *response->mutable_results()) results.push_back(std::move(result));
  }
  return results;
}

absl::StatusOr<v1::ScoreResponse> RewardClient::ScoreBatch(const v1::ScoreRequest& request, absl::Time give_up_at) {
  const std::string what = absl::StrCat("Reward.Score at ", options_.address);
  v1::ScoreResponse response;
  absl::Status status = CallWithRetry(options_.retry, give_up_at, *cancellation_, outage_, [&](absl::Duration timeout) {
    Cancellation::Call call(cancellation_, timeout);
    response.Clear();
    return FromGrpcStatus(stub_->Score(call.context(), request, &response), what);
  });
  if (!status.ok()) {
    if (cancellation_->cancelled()) return status;
    return absl::Status(status.code(), absl::StrCat("no reward from the reward server at ", options_.address,
                                                    ": ", status.message()));
  }
  if (response.results_size() != request.items_size()) {
    return absl::DataLossError(absl::StrCat("the reward server at ", options_.address, " returned ",
                                            response.results_size(), " results for ", request.items_size(), " items"));
  }
  return response;
}

}  // namespace fulcrum
