#include "learner/weight_publisher.h"

#include "absl/strings/str_cat.h"
#include "core/model_io.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::Status WeightPublisher::Publish(int64_t version, const Gpt& model, const Tokenizer& tokenizer) {
  FULCRUM_ASSIGN_OR_RETURN(auto metadata, ModelMetadata(model, tokenizer));
  torch::NoGradGuard no_grad;
  FULCRUM_ASSIGN_OR_RETURN(auto serialized, SerializeWeights(version, model->NamedWeights(), std::move(metadata)));
  absl::MutexLock lock(&mu_);
  if (latest_ != nullptr && version <= latest_->version) {
    return absl::FailedPreconditionError(
        absl::StrCat("publishing version ", version, " after version ", latest_->version));
  }
  latest_ = std::move(serialized);
  return absl::OkStatus();
}

std::shared_ptr<const SerializedWeights> WeightPublisher::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

}  // namespace fulcrum
