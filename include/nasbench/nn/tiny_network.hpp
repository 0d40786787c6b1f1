#pragma once
/// @file nn/tiny_network.hpp
/// The benchmark's macro network (`infer.tiny`): `InferCell`,
/// `ResNetBasicblock` and `TinyNetwork`, registered under the reference
/// implementation's names so that `named_parameters()` / `named_buffers()` are
/// the keys of the benchmark's state dicts; and `get_cell_based_tiny_net`.

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "nasbench/error.hpp"
#include "nasbench/space/topology.hpp"
#include "nasbench/nn/ops.hpp"
#include "nasbench/results/records.hpp"
#include "nasbench/space/dataset.hpp"

namespace nasbench::nn {

/// A searched cell: one op per edge in `layers` (in the order the
/// architecture string lists the edges); node j sums its edges' outputs; the
/// cell returns the last node.
class InferCellImpl : public CellOpImpl {
 public:
  InferCellImpl(const Structure& genotype, std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride)
      : genotype_(genotype) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (const auto& edges : genotype.nodes()) {
      std::vector<std::size_t> node_layers, node_inputs;
      for (const Edge& e : edges) {
        auto op = e.input == 0 ? make_op(e.op, in_channels, out_channels, stride)
                               : make_op(e.op, out_channels, out_channels, 1);
        node_layers.push_back(ops_.size());
        node_inputs.push_back(static_cast<std::size_t>(e.input));
        layers->push_back(op);
        ops_.push_back(std::move(op));
      }
      node_layers_.push_back(std::move(node_layers));
      node_inputs_.push_back(std::move(node_inputs));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    std::vector<torch::Tensor> nodes{x};
    for (std::size_t j = 0; j < node_layers_.size(); ++j) {
      torch::Tensor sum = ops_[node_layers_[j][0]]->forward(nodes[node_inputs_[j][0]]);
      for (std::size_t k = 1; k < node_layers_[j].size(); ++k)
        sum = sum + ops_[node_layers_[j][k]]->forward(nodes[node_inputs_[j][k]]);
      nodes.push_back(std::move(sum));
    }
    return nodes.back();
  }
  Shape count_flops(const Shape& in, double& flops) const override {
    std::vector<Shape> nodes{in};
    for (std::size_t j = 0; j < node_layers_.size(); ++j) {
      Shape out;
      for (std::size_t k = 0; k < node_layers_[j].size(); ++k) {
        const Shape s = ops_[node_layers_[j][k]]->count_flops(nodes[node_inputs_[j][k]], flops);
        if (k == 0) out = s;
      }
      nodes.push_back(out);
    }
    return nodes.back();
  }
  /// The cell's structure.
  [[nodiscard]] const Structure& genotype() const noexcept { return genotype_; }

  torch::nn::ModuleList layers{nullptr};

 private:
  Structure genotype_;
  std::vector<std::shared_ptr<CellOpImpl>> ops_;
  std::vector<std::vector<std::size_t>> node_layers_, node_inputs_;
};
TORCH_MODULE(InferCell);

/// The residual reduction block between cell stages: `conv_a` (3x3, stride),
/// `conv_b` (3x3), and with stride 2 `downsample` = AvgPool2d(2) -> Conv2d 1x1.
class ResNetBasicblockImpl : public CellOpImpl {
 public:
  ResNetBasicblockImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride)
      : inplanes_(inplanes), planes_(planes), stride_(stride) {
    if (stride != 1 && stride != 2) throw Error("ResNetBasicblock stride must be 1 or 2, got " + std::to_string(stride));
    conv_a = register_module("conv_a", ReLUConvBN(ReLUConvBNOptions(inplanes, planes, 3).stride(stride).padding(1)));
    conv_b = register_module("conv_b", ReLUConvBN(ReLUConvBNOptions(planes, planes, 3).stride(1).padding(1)));
    if (stride == 2) {
      downsample = register_module(
          "downsample",
          torch::nn::Sequential(torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2).padding(0)),
                                torch::nn::Conv2d(torch::nn::Conv2dOptions(inplanes, planes, 1).bias(false))));
    } else if (inplanes != planes) {
      projection = register_module("downsample", ReLUConvBN(ReLUConvBNOptions(inplanes, planes, 1)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor block = conv_b->forward(conv_a->forward(x));
    torch::Tensor residual = downsample ? downsample->forward(x) : projection ? projection->forward(x) : x;
    return residual + block;
  }
  Shape count_flops(const Shape& in, double& flops) const override {
    const Shape out = conv_b->count_flops(conv_a->count_flops(in, flops), flops);
    if (downsample) {
      const Shape pooled{in.c, detail::window_out(in.h, 2, 2, 0), detail::window_out(in.w, 2, 2, 0)};
      flops += static_cast<double>(inplanes_ * planes_) * static_cast<double>(pooled.h * pooled.w);  // 1x1 conv; pooling is free
    } else if (projection) {
      projection->count_flops(in, flops);
    }
    return out;
  }

  ReLUConvBN conv_a{nullptr}, conv_b{nullptr};
  torch::nn::Sequential downsample{nullptr};
  ReLUConvBN projection{nullptr};  ///< registered as `downsample` when stride 1 changes channels

 private:
  std::int64_t inplanes_, planes_, stride_;
};
TORCH_MODULE(ResNetBasicblock);

/// Options of TinyNetwork: `C` channels, `N` cells per stage, the cell
/// genotype and the number of classes.
struct TinyNetworkOptions {
  TinyNetworkOptions(std::int64_t C, std::int64_t N, Structure genotype, std::int64_t num_classes)
      : C_(C), N_(N), genotype_(std::move(genotype)), num_classes_(num_classes) {}
  TORCH_ARG(std::int64_t, C);
  TORCH_ARG(std::int64_t, N);
  TORCH_ARG(Structure, genotype);
  TORCH_ARG(std::int64_t, num_classes);
};

/// The benchmark's network: `stem`, `cells` (N cells at C, a residual block
/// to 2C, N cells at 2C, a residual block to 4C, N cells at 4C), `lastact`,
/// `global_pooling`, `classifier`. forward() returns the pooled features
/// ([B, 4C]) and the logits ([B, num_classes]).
///
/// @code
/// auto net = nasbench::nn::TinyNetwork(nasbench::nn::TinyNetworkOptions(
///     16, 5, nasbench::Structure::parse(api.arch(index)), 10));
/// net->to(torch::kCUDA);
/// auto [features, logits] = net->forward(images);
/// @endcode
class TinyNetworkImpl : public torch::nn::Module {
 public:
  explicit TinyNetworkImpl(const TinyNetworkOptions& options_) : options(options_) {
    namespace tnn = torch::nn;
    const std::int64_t C = options.C(), N = options.N();
    if (C < 1 || N < 1 || options.num_classes() < 1)
      throw Error("TinyNetwork needs C >= 1, N >= 1 and num_classes >= 1 (got C=" + std::to_string(C) +
                  ", N=" + std::to_string(N) + ", num_classes=" + std::to_string(options.num_classes()) + ")");
    stem = register_module("stem", tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, C, 3).padding(1).bias(false)),
                                                   tnn::BatchNorm2d(C)));
    cells = register_module("cells", tnn::ModuleList());
    std::int64_t c_prev = C;
    for (int stage = 0; stage < 3; ++stage) {
      const std::int64_t c = C << stage;
      if (stage > 0) {
        auto block = ResNetBasicblock(c_prev, c, 2).ptr();
        cells->push_back(block);
        cell_ops_.push_back(block);
      }
      for (std::int64_t i = 0; i < N; ++i) {
        auto cell = InferCell(options.genotype(), c, c, 1).ptr();
        cells->push_back(cell);
        cell_ops_.push_back(cell);
      }
      c_prev = c;
    }
    lastact = register_module("lastact", tnn::Sequential(tnn::BatchNorm2d(c_prev), tnn::ReLU(tnn::ReLUOptions(true))));
    global_pooling = register_module("global_pooling", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1)));
    classifier = register_module("classifier", tnn::Linear(c_prev, options.num_classes()));
  }

  /// (pooled features [B, 4C], logits [B, num_classes]) of images [B, 3, H, W].
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    torch::Tensor feature = stem->forward(x);
    for (const auto& cell : cell_ops_) feature = cell->forward(feature);
    torch::Tensor out = global_pooling->forward(lastact->forward(feature));
    out = out.view({out.size(0), -1});
    torch::Tensor logits = classifier->forward(out);
    return {out, logits};
  }

  /// Multiply-accumulates per image of shape {3, H, W} (the benchmark's FLOPs count, not in millions).
  [[nodiscard]] double count_flops(std::int64_t height, std::int64_t width) const {
    const std::int64_t C = options.C();
    double flops = static_cast<double>(9 * 3 * C) * static_cast<double>(height * width);  // stem conv, padding 1
    Shape s{C, height, width};
    for (const auto& cell : cell_ops_) s = cell->count_flops(s, flops);
    flops += static_cast<double>(s.c * options.num_classes() + options.num_classes());  // classifier + bias
    return flops;
  }

  TinyNetworkOptions options;
  torch::nn::Sequential stem{nullptr};
  torch::nn::ModuleList cells{nullptr};
  torch::nn::Sequential lastact{nullptr};
  torch::nn::AdaptiveAvgPool2d global_pooling{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  std::vector<std::shared_ptr<CellOpImpl>> cell_ops_;
};
TORCH_MODULE(TinyNetwork);

/// Parameters in millions (Python's `count_parameters_in_MB`: every
/// parameter, no buffers).
[[nodiscard]] inline double count_parameters_mb(const torch::nn::Module& net) {
  std::int64_t n = 0;
  for (const auto& p : net.parameters()) n += p.numel();
  return static_cast<double>(n) / 1e6;
}

/// FLOPs in millions per image of `input_hw` x `input_hw` (the benchmark's
/// convention: multiply-accumulates of Conv2d and Linear layers; see CellOpImpl).
[[nodiscard]] inline double count_flops_m(const TinyNetwork& net, std::int64_t input_hw) {
  return net->count_flops(input_hw, input_hw) / 1e6;
}

/// Input side length of a dataset's images: 16 for ImageNet16-120, else 32.
[[nodiscard]] inline std::int64_t input_size(std::string_view dataset) {
  for (const auto& d : kDatasets)
    if (d.name == dataset) return d.input_size;
  return 32;
}

/// Python's `get_cell_based_tiny_net(config)` for `infer.tiny` configs (what
/// `get_net_config` returns). Error for other names or bad values.
[[nodiscard]] inline TinyNetwork get_cell_based_tiny_net(const NetConfig& config) {
  if (config.name != "infer.tiny")
    throw Error("unsupported network config name \"" + config.name +
                "\" (this version builds \"infer.tiny\", the topology space; \"infer.shape.tiny\" is not implemented)");
  const std::string& arch = config.arch_str.empty() ? config.genotype : config.arch_str;
  return TinyNetwork(TinyNetworkOptions(config.C, config.N, Structure::parse(arch), config.num_classes));
}

/// get_cell_based_tiny_net() from the JSON of a config:
/// `{"name": "infer.tiny", "C": 16, "N": 5, "arch_str" (or "genotype"): "...", "num_classes": 10}`.
[[nodiscard]] inline TinyNetwork get_cell_based_tiny_net(const nlohmann::json& config) {
  if (!config.is_object()) throw Error("network config must be a JSON object, got " + config.dump());
  auto need = [&](const char* key) -> const nlohmann::json& {
    if (!config.contains(key)) throw Error(std::string("network config lacks \"") + key + "\": " + config.dump());
    return config.at(key);
  };
  auto integer = [&](const char* key) {
    const auto& v = need(key);
    if (!v.is_number_integer()) throw Error(std::string("network config \"") + key + "\" must be an integer, got " + v.dump());
    return v.get<int>();
  };
  NetConfig c;
  const auto& name = need("name");
  if (!name.is_string()) throw Error("network config \"name\" must be a string, got " + name.dump());
  c.name = name.get<std::string>();
  if (c.name != "infer.tiny") return get_cell_based_tiny_net(c);  // throws the unsupported-name error
  c.C = integer("C");
  c.N = integer("N");
  c.num_classes = integer("num_classes");
  const char* arch_key = config.contains("arch_str") ? "arch_str" : "genotype";
  const auto& arch = need(arch_key);
  if (!arch.is_string()) throw Error(std::string("network config \"") + arch_key + "\" must be a string, got " + arch.dump());
  c.arch_str = arch.get<std::string>();
  return get_cell_based_tiny_net(c);
}

}  // namespace nasbench::nn
