#include "actor/policy_sync.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/model_io.h"

namespace fulcrum {

absl::StatusOr<PolicySync::Update> PolicySync::Refresh() {
  absl::StatusOr<LearnerClient::FetchedWeights> fetched = learner_->FetchWeights(version());
  if (absl::IsAlreadyExists(fetched.status())) return Update{};
  if (!fetched.ok()) return fetched.status();
  const int64_t new_version = fetched->weights.version;
  const std::string source = absl::StrCat("policy version ", new_version, " from the learner at ", learner_->address());
  if (new_version <= version()) {
    return absl::FailedPreconditionError(absl::StrCat(source, ": not newer than the held version ", version()));
  }
  absl::StatusOr<LoadedModel> loaded = ModelFromSafetensors(fetched->weights.weights, source);
  if (!loaded.ok()) return loaded.status();
  loaded->model->eval();
  auto policy = std::make_unique<Policy>();
  policy->version = new_version;
  policy->model = std::move(loaded->model);
  policy->tokenizer = std::move(loaded->tokenizer);
  policy_ = std::move(policy);
  return Update{true, fetched->bytes};
}

}  // namespace fulcrum
