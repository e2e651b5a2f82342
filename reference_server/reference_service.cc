#include "reference_server/reference_service.h"

#include <utility>
#include <vector>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "core/grpc_status.h"
#include "core/protocol.h"
#include "core/status_macros.h"
#include "core/tensor_proto.h"

namespace fulcrum {

absl::Status ValidateLogProbsRequest(const v1::LogProbsRequest& request, const ReferenceModelInfo& model) {
  FULCRUM_RETURN_IF_ERROR(CheckProtocolVersion(request.protocol_version(), "reference server"));
  for (int i = 0; i < request.sequences_size(); ++i) {
    const v1::Sequence& sequence = request.sequences(i);
    const int length = sequence.tokens_size();
    if (length == 0) return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " has no tokens"));
    if (sequence.prompt_len() < 1 || sequence.prompt_len() > length) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", i, ": prompt_len ", sequence.prompt_len(),
                                                     " outside [1, ", length, "]"));
    }
    if (length > model.max_seq_len) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " has ", length,
                                                     " tokens, the model's max_seq_len is ", model.max_seq_len));
    }
    for (int j = 0; j < length; ++j) {
      const int id = sequence.tokens(j);
      if (id < 0 || id >= model.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " token ", j, " has id ", id,
                                                       " outside the vocabulary [0, ", model.vocab_size, ")"));
      }
    }
  }
  return absl::OkStatus();
}

ReferenceService::ReferenceService(LogProbBatcher* batcher, ReferenceModelInfo model)
    : batcher_(batcher), model_(std::move(model)) {}

grpc::ServerUnaryReactor* ReferenceService::LogProbs(grpc::CallbackServerContext* context,
                                                     const v1::LogProbsRequest* request,
                                                     v1::LogProbsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status status = ValidateLogProbsRequest(*request, model_); !status.ok()) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  std::vector<std::vector<int>> sequences;
  std::vector<int> prompt_lens;
  sequences.reserve(request->sequences_size());
  prompt_lens.reserve(request->sequences_size());
  for (const v1::Sequence& sequence : request->sequences()) {
    sequences.emplace_back(sequence.tokens().begin(), sequence.tokens().end());
    prompt_lens.push_back(sequence.prompt_len());
  }
  // The response and reactor stay valid until Finish; the batcher calls back exactly once.
  auto done = [this, reactor, response](absl::StatusOr<fulcrum::LogProbs> scored) {
    if (!scored.ok()) {
      reactor->Finish(ToGrpcStatus(scored.status()));
      return;
    }
    for (std::vector<float>& logprobs : *scored) {
      const int64_t n = static_cast<int64_t>(logprobs.size());
      *response->add_logprobs() = TensorToProto(torch::from_blob(logprobs.data(), {n}, torch::kFloat32));
    }
    response->set_checkpoint(model_.checkpoint);
    reactor->Finish(grpc::Status::OK);
  };
  if (absl::Status status = batcher_->Submit(std::move(sequences), std::move(prompt_lens), std::move(done));
      !status.ok()) {
    reactor->Finish(ToGrpcStatus(status));
  }
  return reactor;
}

}  // namespace fulcrum
