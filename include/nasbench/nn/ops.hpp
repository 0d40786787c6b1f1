#pragma once
/// @file nn/ops.hpp
/// The candidate operations of a NAS-Bench-201 cell as LibTorch modules, with
/// the reference implementation's module and parameter names: `ReLUConvBN`
/// (`nor_conv_1x1`, `nor_conv_3x3`), `Pooling` (`avg_pool_3x3`), `Identity`
/// (`skip_connect`), `FactorizedReduce` (`skip_connect` that changes the
/// channel count or the size, as in the size space's cells), `Zero` (`none`).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nasbench/error.hpp"
#include "nasbench/space/topology.hpp"

namespace nasbench::nn {

/// Channels, height and width of one image: what FLOPs counting propagates.
struct Shape {
  std::int64_t c = 0, h = 0, w = 0;
};

namespace detail {
/// Output length of a convolution/pooling window along one axis.
inline std::int64_t window_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d = 1) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}
}  // namespace detail

/// Base of every op that can sit on a cell edge (and of the cells themselves):
/// a forward pass, and the per-image multiply-accumulates of that pass under
/// the benchmark's counting convention: Conv2d k_h*k_w*C_in*C_out per output
/// position and Linear in*out (+out for the bias). Pooling layers count
/// nothing: that is what reproduces the stored `flop` values (docs/network.md
/// §6; an earlier version of those notes also counted pooling, which no
/// stored value matches).
class CellOpImpl : public torch::nn::Module {
 public:
  /// The op applied to `x`.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  /// Adds this op's FLOPs for one image of shape `in` to `flops`; returns the output shape.
  virtual Shape count_flops(const Shape& in, double& flops) const = 0;
};

/// Options of ReLUConvBN.
struct ReLUConvBNOptions {
  ReLUConvBNOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, kernel_size);
  TORCH_ARG(std::int64_t, stride) = 1;
  TORCH_ARG(std::int64_t, padding) = 0;
  TORCH_ARG(std::int64_t, dilation) = 1;
  TORCH_ARG(bool, affine) = true;
  TORCH_ARG(bool, track_running_stats) = true;
};

/// ReLU -> Conv2d (no bias) -> BatchNorm2d, as the single child `op`
/// (parameters `op.1.weight`, `op.2.weight`, `op.2.bias`, ...).
class ReLUConvBNImpl : public CellOpImpl {
 public:
  explicit ReLUConvBNImpl(const ReLUConvBNOptions& options_) : options(options_) {
    namespace tnn = torch::nn;
    op = register_module(
        "op", tnn::Sequential(tnn::ReLU(),
                              tnn::Conv2d(tnn::Conv2dOptions(options.in_channels(), options.out_channels(),
                                                             options.kernel_size())
                                              .stride(options.stride())
                                              .padding(options.padding())
                                              .dilation(options.dilation())
                                              .bias(false)),
                              tnn::BatchNorm2d(tnn::BatchNorm2dOptions(options.out_channels())
                                                   .affine(options.affine())
                                                   .track_running_stats(options.track_running_stats()))));
  }
  torch::Tensor forward(const torch::Tensor& x) override { return op->forward(x); }
  Shape count_flops(const Shape& in, double& flops) const override {
    const auto& o = options;
    const Shape out{o.out_channels(), detail::window_out(in.h, o.kernel_size(), o.stride(), o.padding(), o.dilation()),
                    detail::window_out(in.w, o.kernel_size(), o.stride(), o.padding(), o.dilation())};
    flops += static_cast<double>(o.kernel_size() * o.kernel_size() * o.in_channels() * o.out_channels()) *
             static_cast<double>(out.h * out.w);
    return out;
  }

  ReLUConvBNOptions options;
  torch::nn::Sequential op{nullptr};
};
TORCH_MODULE(ReLUConvBN);

/// Options of an edge op between channel counts that may hold a BatchNorm
/// (Pooling's preprocess, FactorizedReduce).
struct EdgeOpOptions {
  EdgeOpOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride)
      : in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, stride);
  TORCH_ARG(bool, affine) = true;
  TORCH_ARG(bool, track_running_stats) = true;
};

/// Options of Pooling.
using PoolingOptions = EdgeOpOptions;

/// `avg_pool_3x3`: an optional 1x1 ReLUConvBN `preprocess` (only when the
/// channel count changes) and `op` = AvgPool2d(3, stride, padding 1,
/// count_include_pad false).
class PoolingImpl : public CellOpImpl {
 public:
  explicit PoolingImpl(const PoolingOptions& options_) : options(options_) {
    if (options.in_channels() != options.out_channels())
      preprocess = register_module("preprocess", ReLUConvBN(ReLUConvBNOptions(options.in_channels(),
                                                                              options.out_channels(), 1)
                                                                .affine(options.affine())
                                                                .track_running_stats(options.track_running_stats())));
    op = register_module("op", torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(3)
                                                        .stride(options.stride())
                                                        .padding(1)
                                                        .count_include_pad(false)));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    return op->forward(preprocess ? preprocess->forward(x) : x);
  }
  Shape count_flops(const Shape& in, double& flops) const override {
    const Shape mid = preprocess ? preprocess->count_flops(in, flops) : in;
    // Pooling adds no FLOPs: the benchmark's stored values (docs/network.md §6's table,
    // the real sample files) count convolutions and the classifier only.
    return {mid.c, detail::window_out(mid.h, 3, options.stride(), 1), detail::window_out(mid.w, 3, options.stride(), 1)};
  }

  PoolingOptions options;
  ReLUConvBN preprocess{nullptr};
  torch::nn::AvgPool2d op{nullptr};
};
TORCH_MODULE(Pooling);

/// `skip_connect` inside a cell: the input itself.
class IdentityImpl : public CellOpImpl {
 public:
  torch::Tensor forward(const torch::Tensor& x) override { return x; }
  Shape count_flops(const Shape& in, double&) const override { return in; }
};
TORCH_MODULE(Identity);

/// Options of FactorizedReduce.
using FactorizedReduceOptions = EdgeOpOptions;

/// `skip_connect` from `in_channels` to a different `out_channels` or with
/// stride 2. Children as in the reference: `relu`; at stride 1 `conv` (1x1,
/// no bias) and forward bn(conv(x)) without the ReLU; at stride 2 `convs`
/// (two 1x1 stride-2 convs to out//2 and out - out//2 channels, the second on
/// the input shifted by one pixel, zero-padded by `pad` on the right and
/// bottom), concatenated after the ReLU; then `bn`. (The convs have a bias
/// only without affine BN, as in the reference.)
class FactorizedReduceImpl : public CellOpImpl {
 public:
  explicit FactorizedReduceImpl(const FactorizedReduceOptions& options_) : options(options_) {
    namespace tnn = torch::nn;
    const std::int64_t in = options.in_channels(), out = options.out_channels(), stride = options.stride();
    const bool bias = !options.affine();
    relu = register_module("relu", tnn::ReLU());
    if (stride == 2) {
      convs = register_module("convs", tnn::ModuleList());
      for (std::int64_t c : {out / 2, out - out / 2}) {
        halves_.push_back(tnn::Conv2d(tnn::Conv2dOptions(in, c, 1).stride(2).padding(0).bias(bias)));
        convs->push_back(halves_.back());
      }
      pad = register_module("pad", tnn::ConstantPad2d(tnn::ConstantPad2dOptions({0, 1, 0, 1}, 0)));
    } else if (stride == 1) {
      conv = register_module("conv", tnn::Conv2d(tnn::Conv2dOptions(in, out, 1).stride(1).padding(0).bias(bias)));
    } else {
      throw Error("FactorizedReduce stride must be 1 or 2, got " + std::to_string(stride));
    }
    bn = register_module("bn", tnn::BatchNorm2d(tnn::BatchNorm2dOptions(out).affine(options.affine())
                                                    .track_running_stats(options.track_running_stats())));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    if (!convs) return bn->forward(conv->forward(x));
    using torch::indexing::Slice;
    const torch::Tensor a = relu->forward(x);
    const torch::Tensor shifted = pad->forward(a).index({Slice(), Slice(), Slice(1, torch::indexing::None),
                                                         Slice(1, torch::indexing::None)});
    return bn->forward(torch::cat({halves_[0]->forward(a), halves_[1]->forward(shifted)}, 1));
  }
  Shape count_flops(const Shape& in, double& flops) const override {
    const std::int64_t s = options.stride();
    const Shape out{options.out_channels(), detail::window_out(in.h, 1, s, 0), detail::window_out(in.w, 1, s, 0)};
    // 1x1 convs: in*out MACs per output position in all (two halves at stride 2), + out with a bias.
    const std::int64_t per_position = in.c * out.c + (options.affine() ? 0 : out.c);
    flops += static_cast<double>(per_position) * static_cast<double>(out.h * out.w);
    return out;
  }

  FactorizedReduceOptions options;
  torch::nn::ReLU relu{nullptr};
  torch::nn::Conv2d conv{nullptr};
  torch::nn::ModuleList convs{nullptr};
  torch::nn::ConstantPad2d pad{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  std::vector<torch::nn::Conv2d> halves_;  ///< the entries of `convs`, typed
};
TORCH_MODULE(FactorizedReduce);

/// Options of Zero.
struct ZeroOptions {
  ZeroOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride)
      : in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, stride);
};

/// `none`: `x * 0` (subsampled by the stride), or a zero tensor with
/// `out_channels` channels when the channel count changes (as the reference does).
class ZeroImpl : public CellOpImpl {
 public:
  explicit ZeroImpl(const ZeroOptions& options_) : options(options_) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    using torch::indexing::Slice;
    if (options.in_channels() == options.out_channels()) {
      if (options.stride() == 1) return x.mul(0.);
      return x.index({Slice(), Slice(), Slice(torch::indexing::None, torch::indexing::None, options.stride()),
                      Slice(torch::indexing::None, torch::indexing::None, options.stride())})
          .mul(0.);
    }
    auto sizes = x.sizes().vec();
    sizes[1] = options.out_channels();
    return torch::zeros(sizes, x.options());
  }
  Shape count_flops(const Shape& in, double&) const override {
    if (options.in_channels() != options.out_channels()) return {options.out_channels(), in.h, in.w};
    const auto s = options.stride();
    return {in.c, (in.h + s - 1) / s, (in.w + s - 1) / s};
  }

  ZeroOptions options;
};
TORCH_MODULE(Zero);

/// The op of `op` on an edge from a node with `in_channels` to one with
/// `out_channels` (the reference `OPS` table, affine BN with running stats):
/// `skip_connect` is Identity only at stride 1 between equal channel counts,
/// else FactorizedReduce.
inline std::shared_ptr<CellOpImpl> make_op(Op op, std::int64_t in_channels, std::int64_t out_channels,
                                           std::int64_t stride) {
  switch (op) {
    case Op::kNone: return Zero(ZeroOptions(in_channels, out_channels, stride)).ptr();
    case Op::kSkipConnect:
      if (stride != 1 || in_channels != out_channels)
        return FactorizedReduce(FactorizedReduceOptions(in_channels, out_channels, stride)).ptr();
      return Identity().ptr();
    case Op::kConv1x1:
      return ReLUConvBN(ReLUConvBNOptions(in_channels, out_channels, 1).stride(stride).padding(0)).ptr();
    case Op::kConv3x3:
      return ReLUConvBN(ReLUConvBNOptions(in_channels, out_channels, 3).stride(stride).padding(1)).ptr();
    case Op::kAvgPool3x3: return Pooling(PoolingOptions(in_channels, out_channels, stride)).ptr();
  }
  throw Error("unknown op");
}

}  // namespace nasbench::nn
