// The learner's newest policy version, serialized once (weights + model config + tokenizer, see
// ModelMetadata) and shared by every FetchWeights stream: publishing swaps a shared_ptr, so a
// stream in progress keeps sending the version it started with. Thread-safe.
#ifndef FULCRUM_LEARNER_WEIGHT_PUBLISHER_H_
#define FULCRUM_LEARNER_WEIGHT_PUBLISHER_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "core/weight_chunks.h"

namespace fulcrum {

class WeightPublisher {
 public:
  // Serializes `model` as `version` and makes it the one served. Versions must increase.
  absl::Status Publish(int64_t version, const Gpt& model, const Tokenizer& tokenizer);

  // The newest version, or nullptr before the first Publish.
  std::shared_ptr<const SerializedWeights> Latest() const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const SerializedWeights> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_WEIGHT_PUBLISHER_H_
