// The fulcrum.v1.Reference service: validates LogProbs requests against the loaded model, queues
// them on a LogProbBatcher and finishes each RPC from the batcher's completion, so no gRPC thread
// waits on a forward pass. ReferenceServer owns one; tests may build one over their own batcher.
#ifndef FULCRUM_REFERENCE_SERVER_REFERENCE_SERVICE_H_
#define FULCRUM_REFERENCE_SERVER_REFERENCE_SERVICE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "fulcrum/v1/reference.grpc.pb.h"
#include "reference_server/logprob_batcher.h"

namespace fulcrum {

// What requests are checked against, and the name answers carry.
struct ReferenceModelInfo {
  int vocab_size = 0;
  int max_seq_len = 0;
  std::string checkpoint;
};

// OK, or FAILED_PRECONDITION on a protocol mismatch, or INVALID_ARGUMENT naming the first bad
// sequence (empty, prompt_len outside [1, length], longer than max_seq_len, id outside vocab).
absl::Status ValidateLogProbsRequest(const v1::LogProbsRequest& request, const ReferenceModelInfo& model);

class ReferenceService final : public v1::Reference::CallbackService {
 public:
  // `batcher` must outlive the service and every call it started.
  ReferenceService(LogProbBatcher* batcher, ReferenceModelInfo model);

  grpc::ServerUnaryReactor* LogProbs(grpc::CallbackServerContext* context, const v1::LogProbsRequest* request,
                                     v1::LogProbsResponse* response) override;

 private:
  LogProbBatcher* const batcher_;
  const ReferenceModelInfo model_;
};

}  // namespace fulcrum

#endif  // FULCRUM_REFERENCE_SERVER_REFERENCE_SERVICE_H_
