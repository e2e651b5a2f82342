// A scripted stand-in for the learner's Learner service, for the actor's tests: hands out the
// units it was given (then stage_finished, or "no work"), streams published weights in small
// chunks (optionally cut short or corrupted), can fail LeaseWork a given number of times, and
// records every submission.
#ifndef FULCRUM_TESTS_ACTOR_FAKE_LEARNER_H_
#define FULCRUM_TESTS_ACTOR_FAKE_LEARNER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/gpt.h"
#include "core/model_io.h"
#include "core/tokenizer.h"
#include "core/weight_chunks.h"
#include "fulcrum/v1/learner.grpc.pb.h"

namespace fulcrum::testing {

class FakeLearner final : public v1::Learner::Service {
 public:
  static constexpr size_t kChunkBytes = 16 * 1024;  // Small, so a tiny model spans several chunks.

  // How the next FetchWeights stream misbehaves.
  struct StreamFault {
    size_t chunks = 0;                 // Sent before the stream ends.
    grpc::Status end = grpc::Status::OK;  // How it ends.
    bool corrupt = false;              // Flip a byte of the first chunk's data instead (all chunks sent).
  };

  void AddUnit(v1::WorkUnit unit) {
    absl::MutexLock lock(&mu_);
    units_.push_back(std::move(unit));
  }
  // After the units run out: stage_finished (true) or "no work, retry after retry_after_ms".
  void set_finish_when_drained(bool finish, int retry_after_ms = 10) {
    absl::MutexLock lock(&mu_);
    finish_when_drained_ = finish;
    retry_after_ms_ = retry_after_ms;
  }
  void Publish(std::shared_ptr<const SerializedWeights> weights) {
    absl::MutexLock lock(&mu_);
    weights_ = std::move(weights);
  }
  void FaultNextStream(StreamFault fault) {
    absl::MutexLock lock(&mu_);
    fault_ = fault;
  }
  // The next `n` LeaseWork calls fail with `status`.
  void FailLeases(int n, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    failing_leases_ = n;
    lease_failure_ = std::move(status);
  }

  std::vector<v1::SubmitRolloutsRequest> submissions() const {
    absl::MutexLock lock(&mu_);
    return submissions_;
  }
  int lease_calls() const {
    absl::MutexLock lock(&mu_);
    return lease_calls_;
  }
  void AwaitLeaseCalls(int n) const {
    absl::MutexLock lock(&mu_);
    const auto reached = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return lease_calls_ >= n; };
    mu_.Await(absl::Condition(&reached));
  }
  int fetch_calls() const {
    absl::MutexLock lock(&mu_);
    return fetch_calls_;
  }
  void AwaitFetchCalls(int n) const {
    absl::MutexLock lock(&mu_);
    const auto reached = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return fetch_calls_ >= n; };
    mu_.Await(absl::Condition(&reached));
  }
  // Every request carried this protocol version (0 when there were none or they differed).
  uint32_t protocol_version() const {
    absl::MutexLock lock(&mu_);
    return protocol_version_;
  }

  grpc::Status LeaseWork(grpc::ServerContext*, const v1::LeaseWorkRequest* request,
                         v1::LeaseWorkResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++lease_calls_;
    NoteProtocol(request->protocol_version());
    if (failing_leases_ > 0) {
      --failing_leases_;
      return lease_failure_;
    }
    if (!units_.empty()) {
      *response->mutable_unit() = std::move(units_.front());
      units_.pop_front();
      response->mutable_unit()->set_lease_deadline_unix_ms(absl::ToUnixMillis(absl::Now() + absl::Minutes(5)));
    } else if (finish_when_drained_) {
      response->set_stage_finished(true);
    } else {
      response->set_retry_after_ms(retry_after_ms_);
    }
    return grpc::Status::OK;
  }

  grpc::Status FetchWeights(grpc::ServerContext*, const v1::FetchWeightsRequest* request,
                            grpc::ServerWriter<v1::WeightsChunk>* writer) override {
    std::shared_ptr<const SerializedWeights> weights;
    std::optional<StreamFault> fault;
    {
      absl::MutexLock lock(&mu_);
      ++fetch_calls_;
      NoteProtocol(request->protocol_version());
      weights = weights_;
      fault = std::exchange(fault_, std::nullopt);
    }
    if (weights == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no version published yet");
    if (request->have_version() == weights->version) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "already the newest version");
    }
    const size_t count = ChunkCount(*weights, kChunkBytes);
    const size_t send = fault && !fault->corrupt ? std::min(fault->chunks, count) : count;
    for (size_t i = 0; i < send; ++i) {
      v1::WeightsChunk chunk = ChunkAt(*weights, i, kChunkBytes);
      if (i == 0 && fault && fault->corrupt) (*chunk.mutable_data())[100] ^= 0x5a;
      if (!writer->Write(chunk)) break;
    }
    return fault ? fault->end : grpc::Status::OK;
  }

  grpc::Status SubmitRollouts(grpc::ServerContext*, const v1::SubmitRolloutsRequest* request,
                              v1::SubmitRolloutsResponse* response) override {
    absl::MutexLock lock(&mu_);
    NoteProtocol(request->protocol_version());
    submissions_.push_back(*request);
    response->set_accepted(request->samples_size());
    return grpc::Status::OK;
  }

 private:
  void NoteProtocol(uint32_t version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (first_request_) {
      protocol_version_ = version;
      first_request_ = false;
    } else if (protocol_version_ != version) {
      protocol_version_ = 0;
    }
  }

  mutable absl::Mutex mu_;
  std::deque<v1::WorkUnit> units_ ABSL_GUARDED_BY(mu_);
  bool finish_when_drained_ ABSL_GUARDED_BY(mu_) = true;
  int retry_after_ms_ ABSL_GUARDED_BY(mu_) = 10;
  std::shared_ptr<const SerializedWeights> weights_ ABSL_GUARDED_BY(mu_);
  std::optional<StreamFault> fault_ ABSL_GUARDED_BY(mu_);
  int failing_leases_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status lease_failure_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::SubmitRolloutsRequest> submissions_ ABSL_GUARDED_BY(mu_);
  int lease_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int fetch_calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool first_request_ ABSL_GUARDED_BY(mu_) = true;
  uint32_t protocol_version_ ABSL_GUARDED_BY(mu_) = 0;
};

// `model` as policy `version`, serialized the way the learner publishes it.
inline std::shared_ptr<const SerializedWeights> PolicyWeights(int64_t version, const Gpt& model,
                                                              const Tokenizer& tokenizer) {
  return SerializeWeights(version, model->NamedWeights(), ModelMetadata(model, tokenizer).value()).value();
}

// A FakeLearner served in-process.
struct InProcessLearner {
  InProcessLearner() {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~InProcessLearner() { server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1))); }
  std::unique_ptr<v1::Learner::StubInterface> NewStub() {
    return v1::Learner::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }

  FakeLearner service;
  std::unique_ptr<grpc::Server> server;
};

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_ACTOR_FAKE_LEARNER_H_
