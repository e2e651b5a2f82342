#include "actor/learner_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/protocol.h"
#include "core/grpc_status.h"

namespace fulcrum {

LearnerClient::LearnerClient(std::unique_ptr<v1::Learner::StubInterface> stub, std::string address,
                             RetryOptions retry, Cancellation* cancellation)
    : stub_(std::move(stub)),
      address_(std::move(address)),
      retry_(retry),
      cancellation_(cancellation),
      outage_(absl::StrCat("the learner at ", address_)) {}

absl::StatusOr<v1::LeaseWorkResponse> LearnerClient::LeaseWork(const std::string& actor_id,
                                                               int64_t policy_version) {
  v1::LeaseWorkRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_actor_id(actor_id);
  request.set_actor_policy_version(policy_version);
  v1::LeaseWorkResponse response;
  const std::string what = absl::StrCat("Learner.LeaseWork at ", address_);
  absl::Status status = CallWithRetry(retry_, absl::InfiniteFuture(), *cancellation_, outage_,
                                      [&](absl::Duration timeout) {
                                        Cancellation::Call call(cancellation_, timeout);
                                        response.Clear();
                                        return FromGrpcStatus(stub_->LeaseWork(call.context(), request, &response), what);
                                      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::SubmitRolloutsResponse> LearnerClient::SubmitRollouts(v1::SubmitRolloutsRequest request) {
  request.set_protocol_version(kProtocolVersion);
  v1::SubmitRolloutsResponse response;
  const std::string what = absl::StrCat("Learner.SubmitRollouts at ", address_);
  absl::Status status = CallWithRetry(retry_, absl::InfiniteFuture(), *cancellation_, outage_,
                                      [&](absl::Duration timeout) {
                                        Cancellation::Call call(cancellation_, timeout);
                                        response.Clear();
                                        return FromGrpcStatus(stub_->SubmitRollouts(call.context(), request, &response),
                                                              what);
                                      });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<LearnerClient::FetchedWeights> LearnerClient::FetchWeights(int64_t have_version) {
  const std::string what = absl::StrCat("Learner.FetchWeights at ", address_);
  v1::FetchWeightsRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_have_version(have_version);

  Cancellation::Call call(cancellation_, retry_.rpc_timeout);
  std::unique_ptr<grpc::ClientReaderInterface<v1::WeightsChunk>> reader =
      stub_->FetchWeights(call.context(), request);
  WeightAssembler assembler;
  FetchedWeights fetched;
  absl::Status protocol_error;
  v1::WeightsChunk chunk;
  while (reader->Read(&chunk)) {
    fetched.bytes += static_cast<int64_t>(chunk.data().size());
    protocol_error = assembler.Add(chunk);
    if (!protocol_error.ok()) {
      call.context()->TryCancel();  // Finish() below then returns at once.
      break;
    }
  }
  const absl::Status status = FromGrpcStatus(reader->Finish(), what);
  if (!protocol_error.ok()) {
    return absl::Status(protocol_error.code(), absl::StrCat(what, ": ", protocol_error.message()));
  }
  if (!status.ok()) {
    if (IsTransient(status) && !cancellation_->cancelled()) outage_.Failed(status);
    return status;
  }
  outage_.Succeeded();
  absl::StatusOr<WeightAssembler::Assembled> assembled = assembler.Finish();
  if (!assembled.ok()) {
    return absl::Status(assembled.status().code(), absl::StrCat(what, ": ", assembled.status().message()));
  }
  fetched.weights = *std::move(assembled);
  return fetched;
}

}  // namespace fulcrum
