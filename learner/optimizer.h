// AdamW over a model's parameters (weight decay on matrices only, as in GPT-2), its learning-rate
// setter, and its state as named tensors so a checkpoint can hold it in safetensors.
#ifndef FULCRUM_LEARNER_OPTIMIZER_H_
#define FULCRUM_LEARNER_OPTIMIZER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "fulcrum/v1/config.pb.h"

namespace fulcrum {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class Optimizer {
 public:
  // `parameters` are named so their state can be saved and restored by name.
  Optimizer(NamedTensors parameters, const v1::OptimizerConfig& config);

  void ZeroGrad() { adam_->zero_grad(); }
  // Clips the global gradient norm (when configured), sets the learning rate, steps.
  // Returns the gradient norm before clipping.
  double Step(double lr);

  // exp_avg / exp_avg_sq per parameter ("<name>.exp_avg") and the step count ("<name>.step").
  NamedTensors State() const;
  absl::Status Restore(const NamedTensors& state);

 private:
  NamedTensors parameters_;
  v1::OptimizerConfig config_;
  std::unique_ptr<torch::optim::AdamW> adam_;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_OPTIMIZER_H_
