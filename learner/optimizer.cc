#include "learner/optimizer.h"

#include <limits>
#include <map>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

// torch::optim keys per-parameter state by the address of the tensor's implementation.
std::string StateKey(const torch::Tensor& param) {
  return c10::guts::to_string(param.unsafeGetTensorImpl());
}

double OrDefault(double value, double fallback) { return value == 0 ? fallback : value; }

}  // namespace

Optimizer::Optimizer(NamedTensors parameters, const v1::OptimizerConfig& config)
    : parameters_(std::move(parameters)), config_(config) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& [name, param] : parameters_) (param.dim() >= 2 ? decay : no_decay).push_back(param);
  auto options = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(config.lr())
            .betas({OrDefault(config.beta1(), 0.9), OrDefault(config.beta2(), 0.95)})
            .eps(OrDefault(config.eps(), 1e-8))
            .weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, options(config.weight_decay()));
  groups.emplace_back(no_decay, options(0.0));
  adam_ = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(config.lr()));
}

double Optimizer::Step(double lr) {
  std::vector<torch::Tensor> params;
  for (const auto& [name, param] : parameters_) params.push_back(param);
  // With clipping off, an infinite bound still measures the norm in the same single pass.
  const double bound = config_.grad_clip() > 0 ? config_.grad_clip() : std::numeric_limits<double>::infinity();
  const double norm = torch::nn::utils::clip_grad_norm_(params, bound);
  for (auto& group : adam_->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
  adam_->step();
  return norm;
}

NamedTensors Optimizer::State() const {
  NamedTensors state;
  const auto& all = adam_->state();
  for (const auto& [name, param] : parameters_) {
    auto it = all.find(StateKey(param));
    if (it == all.end()) continue;
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    state.emplace_back(name + ".exp_avg", s.exp_avg());
    state.emplace_back(name + ".exp_avg_sq", s.exp_avg_sq());
    state.emplace_back(name + ".step", torch::tensor(s.step(), torch::kInt64));
  }
  return state;
}

absl::Status Optimizer::Restore(const NamedTensors& state) {
  std::map<std::string, torch::Tensor> by_name(state.begin(), state.end());
  auto& all = adam_->state();
  for (const auto& [name, param] : parameters_) {
    auto avg = by_name.find(name + ".exp_avg");
    auto sq = by_name.find(name + ".exp_avg_sq");
    auto step = by_name.find(name + ".step");
    if (avg == by_name.end() || sq == by_name.end() || step == by_name.end()) {
      return absl::DataLossError(absl::StrCat("optimizer state lacks entries for '", name, "'"));
    }
    if (avg->second.sizes() != param.sizes() || sq->second.sizes() != param.sizes() ||
        step->second.numel() != 1) {
      return absl::DataLossError(absl::StrCat("optimizer state for '", name, "' has the wrong shape"));
    }
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(step->second.item<int64_t>());
    s->exp_avg(avg->second.clone());
    s->exp_avg_sq(sq->second.clone());
    all[StateKey(param)] = std::move(s);
  }
  return absl::OkStatus();
}

}  // namespace fulcrum
