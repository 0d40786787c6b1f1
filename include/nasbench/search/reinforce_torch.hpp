#pragma once
/// @file search/reinforce_torch.hpp
/// REINFORCE on LibTorch: the reference script (AutoDL-Projects
/// exps/NATS-algos/reinforce.py) op for op, so that a run with seed S replays
/// `reinforce.py --rand_seed S` exactly when LibTorch is the same version as
/// the Python torch that ran it (randn, multinomial, softmax and Adam's kernels
/// are not bit-stable across torch versions: 1.13.1's CPU multinomial draws one
/// uniform per row and searches the cumulative distribution, the current
/// sources draw exponentials for a single sample). The only search header that
/// includes torch: not part of nasbench/search.hpp, included by nasbench/nn.hpp.
///
/// The op sequence is Python's: `1e-3 * randn(decisions, choices)` as the
/// policy's parameter; per step softmax(-1), Categorical(probs) (probs / their
/// sum; sample = multinomial(probs, 1, replacement).T; log_prob = gather of
/// log(clamp_probs(probs))), the reward, the EMA baseline updated before
/// `loss = (-log_prob * (reward - baseline)).sum()`, zero_grad, backward and
/// torch::optim::Adam's step (lr = the learning rate, torch's defaults
/// otherwise: 1.13's C++ step is Python's _single_tensor_adam op for op). The
/// torch draws come from the run's own CPU generator seeded with S (what
/// torch.manual_seed(S) gives the global one), so runs on several threads never
/// share generator state; Python's `random` (`rng`) drives simulate_train_eval.
///
/// LibTorch APIs used, all present in 1.13 and 2.x (compiled here against
/// 1.13 only): at::detail::createCPUGenerator, torch::randn /
/// torch::multinomial with a generator, torch::softmax, torch::clamp,
/// torch::broadcast_tensors, Tensor::gather, torch::optim::Adam with
/// zero_grad() (2.x's default set_to_none gives the same update),
/// torch::NoGradGuard.

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/random.hpp"
#include "nasbench/search/algorithms.hpp"
#include "nasbench/search/reinforce.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/trace.hpp"

namespace nasbench::search {

/// REINFORCE with seed `seed` on LibTorch (the script's prepare_seed(seed): torch's draws from a
/// generator seeded with `seed`, simulate_train_eval's from `rng`, which must be Python's `random`
/// seeded with `seed` for a replay). The same stop rule and trace as reinforce() (search/reinforce.hpp).
/// float32 on the CPU; QueryError on bad options. Thread-safe: a run owns its generator and graph.
template <typename Real>
[[nodiscard]] Trace reinforce_torch(const BasicAPI<Real>& api, const Space& space, const Task& task,
                                    const ReinforceOptions& options, std::uint64_t seed, Random& rng) {
  check(options);
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const auto n = static_cast<std::int64_t>(space.num_decisions());
  const auto k = static_cast<std::int64_t>(space.num_choices());
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor params;
  {
    torch::NoGradGuard no_grad;
    params = 1e-3 * torch::randn({n, k}, gen, f32);  // nn.Parameter(1e-3 * torch.randn(n, k))
  }
  params.set_requires_grad(true);
  torch::optim::Adam optimizer(std::vector<torch::Tensor>{params}, torch::optim::AdamOptions(options.learning_rate));
  reinforce_detail::RewardBaseline baseline(options.ema_momentum);
  const double eps = std::numeric_limits<float>::epsilon();  // torch.finfo(float32).eps

  Evaluator<Real> run(api, space, task, rng);
  Arch arch(space.num_decisions());
  while (run.empty() || run.within_budget()) {
    // select_action: probs = policy(); m = Categorical(probs); action = m.sample(); m.log_prob(action)
    const torch::Tensor alphas = torch::softmax(params, -1);
    const torch::Tensor probs = alphas / alphas.sum(-1, /*keepdim=*/true);
    torch::Tensor action;
    {
      torch::NoGradGuard no_grad;  // Categorical.sample runs under torch.no_grad()
      action = torch::multinomial(probs.reshape({-1, k}), 1, /*replacement=*/true, gen).t().reshape({n});
    }
    const torch::Tensor logits = torch::log(torch::clamp(probs, eps, 1 - eps));  // probs_to_logits
    auto value_logits = torch::broadcast_tensors({action.to(torch::kLong).unsqueeze(-1), logits});
    const torch::Tensor value = value_logits[0].narrow(-1, 0, 1);
    const torch::Tensor log_prob = value_logits[1].gather(-1, value).squeeze(-1);
    const torch::Tensor chosen = action.contiguous();
    const auto* a = chosen.data_ptr<std::int64_t>();
    for (std::int64_t d = 0; d < n; ++d) arch[static_cast<std::size_t>(d)] = static_cast<std::uint8_t>(a[d]);

    const double reward = run.evaluate(arch);
    baseline.update(reward);
    const torch::Tensor loss = (-log_prob * (reward - baseline.value())).sum();
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  return std::move(run).take();
}

}  // namespace nasbench::search
