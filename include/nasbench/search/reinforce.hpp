#pragma once
/// @file search/reinforce.hpp
/// REINFORCE (Williams 1992) as the NATS-Bench reference script runs it
/// (AutoDL-Projects exps/NATS-algos/reinforce.py), torch-free: a policy of
/// `decisions x choices` logits (`1e-3 * randn`), one categorical draw per
/// decision from their softmax, the reward simulate_train_eval's validation
/// accuracy, an exponential moving average of the rewards as baseline (updated
/// before the loss), and one Adam step on `-log_prob * (reward - baseline)`.
///
/// This variant computes the gradient analytically and Adam by torch's formula
/// in float32, and draws the policy's randomness from an engine that mimics
/// torch 1.13's CPU generator (`std::mt19937(seed)`, randn's Box-Muller on
/// blocks of 16, multinomial's one double uniform and binary search per row).
/// Python's `random` (seeded with the same seed) drives simulate_train_eval, as
/// in the script. Its logits are not torch's bit for bit (torch's vectorised
/// kernels round log, sin/cos, exp and sums differently in the last bits), but
/// a categorical draw changes only when a uniform falls within that rounding
/// of a bucket boundary: measured against torch 1.13.1 (x86-64, AVX2), all 72
/// reference runs of the fixture and 40 seeds x 2 spaces against
/// reinforce_torch gave identical traces (docs/search.md §6). Not guaranteed:
/// where a trace differs it is the same algorithm with another draw,
/// statistically the same; for bit-exact replay use reinforce_torch.
/// Thread-safe: a run owns its engines.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/api/basic_api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/search/task.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/trace.hpp"

namespace nasbench::search {

/// REINFORCE's options, with the reference's names and defaults.
struct ReinforceOptions {
  double learning_rate = 0.01;  ///< --learning_rate (Adam's lr; the paper's runs use 0.01)
  double ema_momentum = 0.9;    ///< --EMA_momentum (the baseline's momentum)
};

namespace reinforce_detail {
inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace reinforce_detail

/// QueryError naming the first bad value of `options`: the learning rate must be finite and > 0,
/// the momentum in [0, 1) (at 1 the baseline's denominator stays 0).
inline void check(const ReinforceOptions& options) {
  if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate))
    throw QueryError("learning rate " + reinforce_detail::format_number(options.learning_rate) +
                     " must be a finite number > 0");
  if (!(options.ema_momentum >= 0 && options.ema_momentum < 1))
    throw QueryError("EMA momentum " + reinforce_detail::format_number(options.ema_momentum) + " must be in [0, 1)");
}

namespace reinforce_detail {

/// The script's ExponentialMovingAverage, in Python floats (doubles): numerator and denominator start at 0.
class RewardBaseline {
 public:
  explicit RewardBaseline(double momentum) : momentum_(momentum) {}
  void update(double value) {
    numerator_ = momentum_ * numerator_ + (1 - momentum_) * value;
    denominator_ = momentum_ * denominator_ + (1 - momentum_);
  }
  [[nodiscard]] double value() const { return numerator_ / denominator_; }

 private:
  double momentum_;
  double numerator_ = 0, denominator_ = 0;
};

/// torch 1.13's CPU generator as far as REINFORCE draws from it: at::mt19937 seeded like
/// std::mt19937 (the seed's low 32 bits), random() one output, random64() two (first high).
class TorchLikeGenerator {
 public:
  explicit TorchLikeGenerator(std::uint64_t seed) : engine_(static_cast<std::uint32_t>(seed & 0xffffffffu)) {}
  std::uint32_t random() { return static_cast<std::uint32_t>(engine_()); }
  std::uint64_t random64() {
    const std::uint64_t hi = random();
    const std::uint64_t lo = random();
    return (hi << 32) | lo;
  }
  /// at::uniform_real_distribution<float>(0, 1): 24 bits.
  float uniform_float() {
    return static_cast<float>(random() & ((1u << 24) - 1)) * (1.0f / static_cast<float>(1u << 24));
  }
  /// at::uniform_real_distribution<double>(0, 1): 53 bits.
  double uniform_double() {
    return static_cast<double>(random64() & ((std::uint64_t{1} << 53) - 1)) *
           (1.0 / static_cast<double>(std::uint64_t{1} << 53));
  }
  /// randn into `n >= 16` floats: ATen's normal_fill (uniforms, Box-Muller on blocks of 16, the last
  /// 16 redrawn when n is not a multiple of 16). The scalar kernel; torch's AVX2 one rounds its
  /// log/sin/cos differently in the last bit.
  void randn(float* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) data[i] = uniform_float();
    for (std::size_t i = 0; i + 16 <= n; i += 16) box_muller16(data + i);
    if (n % 16 != 0) {
      float* tail = data + n - 16;
      for (std::size_t i = 0; i < 16; ++i) tail[i] = uniform_float();
      box_muller16(tail);
    }
  }

 private:
  static void box_muller16(float* data) {
    constexpr double kPi = 3.14159265358979323846;
    for (int j = 0; j < 8; ++j) {
      const float u1 = 1 - data[j];
      const float u2 = data[j + 8];
      const float radius = std::sqrt(-2 * std::log(u1));
      const float theta = static_cast<float>(2.0f * kPi * u2);
      data[j] = radius * std::cos(theta);
      data[j + 8] = radius * std::sin(theta);
    }
  }

  std::mt19937 engine_;
};

/// The policy: `decisions x choices` float32 logits and Adam's state, in torch's formulas.
class ReinforcePolicy {
 public:
  ReinforcePolicy(std::size_t decisions, std::size_t choices, double lr, TorchLikeGenerator& gen)
      : n_(decisions), k_(choices), lr_(lr), theta_(n_ * k_), probs_(n_ * k_), softmax_(n_ * k_),
        m_(n_ * k_, 0.0f), v_(n_ * k_, 0.0f), grad_(n_ * k_) {
    gen.randn(theta_.data(), theta_.size());
    const float scale = static_cast<float>(1e-3);
    for (float& t : theta_) t = t * scale;
  }

  /// softmax, Categorical's normalisation, then one draw per decision (multinomial with replacement).
  void sample(TorchLikeGenerator& gen, Arch& arch) {
    arch.resize(n_);
    std::vector<float> cum(k_);
    for (std::size_t d = 0; d < n_; ++d) {
      const float* x = &theta_[d * k_];
      float* y = &softmax_[d * k_];
      float* q = &probs_[d * k_];
      float mx = x[0];
      for (std::size_t j = 1; j < k_; ++j) mx = std::max(mx, x[j]);
      float sum = 0;
      for (std::size_t j = 0; j < k_; ++j) sum += (y[j] = std::exp(x[j] - mx));
      const float inv = 1 / sum;
      for (std::size_t j = 0; j < k_; ++j) y[j] = y[j] * inv;
      float total = 0;
      for (std::size_t j = 0; j < k_; ++j) total += y[j];
      for (std::size_t j = 0; j < k_; ++j) q[j] = y[j] / total;
      // multinomial: cumulative sums, normalised, the last set to 1; a double uniform; binary search
      float acc = 0;
      for (std::size_t j = 0; j < k_; ++j) cum[j] = (acc += q[j]);
      for (std::size_t j = 0; j < k_; ++j) cum[j] /= acc;
      cum[k_ - 1] = 1;
      const double u = gen.uniform_double();
      std::size_t left = 0, right = k_;
      while (right > left) {
        const std::size_t mid = left + (right - left) / 2;
        if (cum[mid] < u)
          left = mid + 1;
        else
          right = mid;
      }
      arch[d] = static_cast<std::uint8_t>(left);
    }
  }

  /// The gradient of `sum(-log_prob(arch) * advantage)` through log(clamp_probs), the
  /// normalisation and the softmax, then one Adam step (torch.optim.Adam's defaults).
  void step(const Arch& arch, double advantage) {
    constexpr float kEps = std::numeric_limits<float>::epsilon();
    const float s = static_cast<float>(advantage);
    for (std::size_t d = 0; d < n_; ++d) {
      const float* y = &softmax_[d * k_];
      const float* q = &probs_[d * k_];
      float* g = &grad_[d * k_];
      float total = 0;
      for (std::size_t j = 0; j < k_; ++j) total += y[j];
      const std::size_t a = arch[d];
      const float qa = q[a];
      const float cq = std::min(std::max(qa, kEps), 1 - kEps);
      const float g_logit = -s;
      const float g_q = (qa >= kEps && qa <= 1 - kEps) ? g_logit / cq : 0.0f;
      const float g_total = -g_q * ((y[a] / total) / total);
      for (std::size_t j = 0; j < k_; ++j) g[j] = (j == a ? g_q / total : 0.0f) + g_total;
      float dot = 0;
      for (std::size_t j = 0; j < k_; ++j) dot += g[j] * y[j];
      for (std::size_t j = 0; j < k_; ++j) g[j] = (g[j] - dot) * y[j];
    }
    ++t_;
    constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEps = 1e-8;
    const double bias1 = 1 - std::pow(kBeta1, static_cast<double>(t_));
    const double bias2 = 1 - std::pow(kBeta2, static_cast<double>(t_));
    const float step_size = static_cast<float>(-(lr_ / bias1));
    const float bias2_sqrt = static_cast<float>(std::sqrt(bias2));
    const float b1 = static_cast<float>(kBeta1), c1 = static_cast<float>(1 - kBeta1);
    const float b2 = static_cast<float>(kBeta2), c2 = static_cast<float>(1 - kBeta2);
    const float eps = static_cast<float>(kAdamEps);
    for (std::size_t i = 0; i < theta_.size(); ++i) {
      const float g = grad_[i];
      m_[i] = m_[i] * b1 + c1 * g;
      v_[i] = v_[i] * b2 + c2 * g * g;
      const float denom = std::sqrt(v_[i]) / bias2_sqrt + eps;
      theta_[i] = theta_[i] + step_size * m_[i] / denom;
    }
  }

  /// The logits (row-major, decision by decision).
  [[nodiscard]] const std::vector<float>& logits() const noexcept { return theta_; }

 private:
  std::size_t n_, k_;
  double lr_;
  std::vector<float> theta_, probs_, softmax_, m_, v_, grad_;
  long long t_ = 0;
};

}  // namespace reinforce_detail

/// REINFORCE with seed `seed` (the script's prepare_seed(seed)): the policy's draws from a
/// torch-like engine seeded with `seed`; simulate_train_eval's from `rng`, which must be Python's
/// `random` seeded with `seed` (Random(seed)) for a run of the script. At least one evaluation;
/// the loop stops once the simulated time reaches the budget (the crossing evaluation kept); the
/// trace's best is the first most accurate architecture. QueryError on bad options.
///
/// @code
/// nasbench::Random rng(7);
/// auto trace = nasbench::search::reinforce(api, nasbench::search::Space::topology(), {"cifar10", 20000, "12"},
///                                          nasbench::search::ReinforceOptions{}, 7, rng);
/// @endcode
template <typename Real>
[[nodiscard]] Trace reinforce(const BasicAPI<Real>& api, const Space& space, const Task& task,
                              const ReinforceOptions& options, std::uint64_t seed, Random& rng) {
  check(options);
  reinforce_detail::TorchLikeGenerator gen(seed);
  reinforce_detail::ReinforcePolicy policy(space.num_decisions(), space.num_choices(), options.learning_rate, gen);
  reinforce_detail::RewardBaseline baseline(options.ema_momentum);
  Evaluator<Real> run(api, space, task, rng);
  Arch arch;
  while (run.empty() || run.within_budget()) {
    policy.sample(gen, arch);
    const double reward = run.evaluate(arch);
    baseline.update(reward);
    policy.step(arch, reward - baseline.value());
  }
  return std::move(run).take();
}

}  // namespace nasbench::search
