#include "learner/advantages.h"

namespace fulcrum {

torch::Tensor GroupAdvantages(const torch::Tensor& rewards, bool scale_by_std, double eps,
                              const torch::Tensor& present) {
  torch::Tensor m = present.defined() ? present.to(rewards.scalar_type()) : torch::ones_like(rewards);
  torch::Tensor count = m.sum(1, /*keepdim=*/true);
  torch::Tensor r = torch::where(m > 0, rewards, torch::zeros_like(rewards));  // a missing reward may be NaN
  torch::Tensor centered = (r - (r * m).sum(1, true) / count.clamp_min(1)) * m;
  if (!scale_by_std) return centered;
  torch::Tensor std = (centered.pow(2).sum(1, true) / (count - 1).clamp_min(1)).sqrt();
  return torch::where((std > 0) & (count > 1), centered / (std + eps), torch::zeros_like(centered));
}

GaeResult Gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& mask,
              double gamma, double lambda) {
  torch::NoGradGuard no_grad;
  const int64_t t_len = rewards.size(1);
  torch::Tensor m = mask.to(torch::kFloat32);
  torch::Tensor r = rewards * m, v = values * m;
  torch::Tensor advantages = torch::zeros_like(r);
  torch::Tensor next_value = torch::zeros({r.size(0)});
  torch::Tensor running = torch::zeros({r.size(0)});
  // Walking backwards, a padded position passes the running sums through unchanged.
  for (int64_t t = t_len - 1; t >= 0; --t) {
    torch::Tensor real = m.select(1, t);
    torch::Tensor delta = r.select(1, t) + gamma * next_value - v.select(1, t);
    torch::Tensor value_here = delta + gamma * lambda * running;
    running = real * value_here + (1 - real) * running;
    next_value = real * v.select(1, t) + (1 - real) * next_value;
    advantages.select(1, t).copy_(running * real);
  }
  return {advantages, (advantages + v) * m};
}

}  // namespace fulcrum
