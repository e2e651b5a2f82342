#include "actor/reference_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/protocol.h"
#include "core/grpc_status.h"
#include "core/tensor_proto.h"

namespace fulcrum {

ReferenceClient::ReferenceClient(std::unique_ptr<v1::Reference::StubInterface> stub, Options options,
                                 Cancellation* cancellation)
    : stub_(std::move(stub)),
      options_(std::move(options)),
      cancellation_(cancellation),
      outage_(absl::StrCat("the reference server at ", options_.address)) {}

absl::StatusOr<std::vector<torch::Tensor>> ReferenceClient::LogProbs(const std::vector<v1::Sequence>& sequences) {
  const std::string what = absl::StrCat("Reference.LogProbs at ", options_.address);
  const absl::Time give_up_at = absl::Now() + options_.give_up_after;
  const size_t batch = static_cast<size_t>(std::max(1, options_.max_sequences_per_call));
  std::vector<torch::Tensor> out;
  out.reserve(sequences.size());
  for (size_t begin = 0; begin < sequences.size(); begin += batch) {
    const size_t end = std::min(sequences.size(), begin + batch);
    v1::LogProbsRequest request;
    request.set_protocol_version(kProtocolVersion);
    for (size_t i = begin; i < end; ++i) *request.add_sequences() = sequences[i];
    v1::LogProbsResponse response;
    absl::Status status = CallWithRetry(options_.retry, give_up_at, *cancellation_, outage_, [&](absl::Duration timeout) {
      Cancellation::Call call(cancellation_, timeout);
      response.Clear();
      return FromGrpcStatus(stub_->LogProbs(call.context(), request, &response), what);
    });
    if (!status.ok()) {
      if (cancellation_->cancelled()) return status;
      return absl::Status(status.code(), absl::StrCat("no reference log-probs from the reference server at ",
                                                      options_.address, ": ", status.message()));
    }
    if (response.logprobs_size() != request.sequences_size()) {
      return absl::DataLossError(absl::StrCat(what, ": ", response.logprobs_size(), " answers for ",
                                              request.sequences_size(), " sequences"));
    }
    for (size_t i = begin; i < end; ++i) {
      absl::StatusOr<torch::Tensor> logprobs = TensorFromProto(response.logprobs(static_cast<int>(i - begin)));
      const int64_t expected = sequences[i].tokens_size() - sequences[i].prompt_len();
      if (!logprobs.ok() || logprobs->scalar_type() != torch::kFloat32 || logprobs->dim() != 1 ||
          logprobs->size(0) != expected) {
        return absl::DataLossError(absl::StrCat(what, ": sequence ", i, ": expected F32 log-probs of shape [",
                                                expected, "]", logprobs.ok() ? "" : absl::StrCat(": ", logprobs.status().message())));
      }
      out.push_back(*std::move(logprobs));
    }
  }
  return out;
}

}  // namespace fulcrum
