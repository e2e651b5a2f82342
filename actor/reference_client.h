// The actor's client of the Reference service (fulcrum-reference): per-token log-probs of each
// sample's completion under the frozen reference model, for the KL term. Requests are split into
// calls of at most max_sequences_per_call sequences so none exceeds the server's queue bound.
// Used by RolloutActor's submit thread. Thread-safe.
#ifndef FULCRUM_ACTOR_REFERENCE_CLIENT_H_
#define FULCRUM_ACTOR_REFERENCE_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actor/cancellation.h"
#include "actor/outage_log.h"
#include "actor/retry.h"
#include "fulcrum/v1/reference.grpc.pb.h"

namespace fulcrum {

class ReferenceClient {
 public:
  struct Options {
    std::string address;  // Names the server in errors and logs.
    RetryOptions retry;
    absl::Duration give_up_after = absl::Seconds(60);  // Per LogProbs call, over all its attempts.
    int max_sequences_per_call = 256;
  };

  // `cancellation` must outlive the client.
  ReferenceClient(std::unique_ptr<v1::Reference::StubInterface> stub, Options options, Cancellation* cancellation);

  // One F32 tensor [len(tokens) - prompt_len] per sequence, in order. Transient failures are
  // retried with backoff up to give_up_after; then, or on a permanent error or a malformed answer,
  // an error naming the server. CANCELLED when the actor stops.
  absl::StatusOr<std::vector<torch::Tensor>> LogProbs(const std::vector<v1::Sequence>& sequences);

 private:
  const std::unique_ptr<v1::Reference::StubInterface> stub_;
  const Options options_;
  Cancellation* const cancellation_;
  OutageLog outage_;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_REFERENCE_CLIENT_H_
