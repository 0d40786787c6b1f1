#pragma once
/// @file nn/tiny_network.hpp
/// The benchmarks' macro networks: `InferCell`, `ResNetBasicblock`,
/// `TinyNetwork` (topology space, `infer.tiny`) and `DynamicShapeTinyNet`
/// (size space, `infer.shape.tiny`), both a `CellNetwork`, registered under the
/// reference implementation's names so that `named_parameters()` /
/// `named_buffers()` are the keys of the benchmarks' state dicts; and
/// `get_cell_based_tiny_net`.

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "nasbench/error.hpp"
#include "nasbench/space/topology.hpp"
#include "nasbench/nn/ops.hpp"
#include "nasbench/results/records.hpp"
#include "nasbench/space/dataset.hpp"
#include "nasbench/space/size.hpp"

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

namespace detail {
/// The channels of every entry of `cells` and which entries are the stride-2
/// ResNetBasicblocks between stages, as both benchmark networks lay them out.
struct MacroLayout {
  std::int64_t stem_channels = 0;
  std::vector<std::int64_t> channels;
  std::vector<bool> reductions;
};

/// N cells per stage, a reduction block before stages 2 and 3, every entry at `channels[i]`.
inline MacroLayout macro_layout(std::int64_t stem_channels, std::vector<std::int64_t> channels) {
  const std::size_t N = channels.size() / 3;
  MacroLayout m{stem_channels, std::move(channels), std::vector<bool>(3 * N + 2, false)};
  m.reductions[N] = m.reductions[2 * N + 1] = true;
  return m;
}
}  // namespace detail

/// The macro network both spaces train: `stem` (3x3 conv and BN), `cells`
/// (InferCells, and a stride-2 ResNetBasicblock before the second and third
/// stage; every entry takes the previous entry's output channels), `lastact`,
/// `global_pooling`, `classifier`. forward() returns the pooled features and
/// the logits. TinyNetwork (topology space) and DynamicShapeTinyNet (size
/// space) differ only in the channels of the entries; get_cell_based_tiny_net
/// returns either as a CellNetwork.
class CellNetworkImpl : public torch::nn::Module {
 public:
  /// (pooled features [B, channels of the last cell], logits [B, num_classes]) of images [B, 3, H, W].
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
    double flops = static_cast<double>(9 * 3 * stem_channels_) * static_cast<double>(height * width);  // stem, padding 1
    Shape s{stem_channels_, height, width};
    for (const auto& cell : cell_ops_) s = cell->count_flops(s, flops);
    flops += static_cast<double>(s.c * num_classes_ + num_classes_);  // classifier + bias
    return flops;
  }

  torch::nn::Sequential stem{nullptr};
  torch::nn::ModuleList cells{nullptr};
  torch::nn::Sequential lastact{nullptr};
  torch::nn::AdaptiveAvgPool2d global_pooling{nullptr};
  torch::nn::Linear classifier{nullptr};

 protected:
  CellNetworkImpl(const detail::MacroLayout& layout, const Structure& genotype, std::int64_t num_classes)
      : stem_channels_(layout.stem_channels), num_classes_(num_classes) {
    namespace tnn = torch::nn;
    stem = register_module("stem", tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, stem_channels_, 3).padding(1).bias(false)),
                                                   tnn::BatchNorm2d(stem_channels_)));
    cells = register_module("cells", tnn::ModuleList());
    std::int64_t c_prev = stem_channels_;
    for (std::size_t i = 0; i < layout.channels.size(); ++i) {
      const std::int64_t c = layout.channels[i];
      std::shared_ptr<CellOpImpl> cell;
      if (layout.reductions[i]) cell = ResNetBasicblock(c_prev, c, 2).ptr();
      else cell = InferCell(genotype, c_prev, c, 1).ptr();
      cells->push_back(cell);
      cell_ops_.push_back(std::move(cell));
      c_prev = c;
    }
    lastact = register_module("lastact", tnn::Sequential(tnn::BatchNorm2d(c_prev), tnn::ReLU(tnn::ReLUOptions(true))));
    global_pooling = register_module("global_pooling", tnn::AdaptiveAvgPool2d(tnn::AdaptiveAvgPool2dOptions(1)));
    classifier = register_module("classifier", tnn::Linear(c_prev, num_classes));
  }

 private:
  std::int64_t stem_channels_, num_classes_;
  std::vector<std::shared_ptr<CellOpImpl>> cell_ops_;
};
/// A TinyNetwork or DynamicShapeTinyNet behind one type (what get_cell_based_tiny_net returns).
TORCH_MODULE(CellNetwork);

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

/// The topology space's network (`infer.tiny`): N cells at C, a residual
/// block to 2C, N cells at 2C, a residual block to 4C, N cells at 4C (see
/// CellNetworkImpl). forward() returns the pooled features ([B, 4C]) and the
/// logits ([B, num_classes]).
///
/// @code
/// auto net = nasbench::nn::TinyNetwork(nasbench::nn::TinyNetworkOptions(
///     16, 5, nasbench::Structure::parse(api.arch(index)), 10));
/// net->to(torch::kCUDA);
/// auto [features, logits] = net->forward(images);
/// @endcode
class TinyNetworkImpl : public CellNetworkImpl {
 public:
  explicit TinyNetworkImpl(const TinyNetworkOptions& options_)
      : CellNetworkImpl(layout(options_), options_.genotype(), options_.num_classes()), options(options_) {}

  TinyNetworkOptions options;

 private:
  static detail::MacroLayout layout(const TinyNetworkOptions& o) {
    const std::int64_t C = o.C(), N = o.N();
    if (C < 1 || N < 1 || o.num_classes() < 1)
      throw Error("TinyNetwork needs C >= 1, N >= 1 and num_classes >= 1 (got C=" + std::to_string(C) +
                  ", N=" + std::to_string(N) + ", num_classes=" + std::to_string(o.num_classes()) + ")");
    std::vector<std::int64_t> channels;
    for (std::int64_t stage = 0; stage < 3; ++stage)
      channels.insert(channels.end(), static_cast<std::size_t>(stage ? N + 1 : N), C << stage);
    return detail::macro_layout(C, std::move(channels));
  }
};
TORCH_MODULE(TinyNetwork);

/// Options of DynamicShapeTinyNet: the channels of the 3N+2 entries of
/// `cells` (N cells, a reduction block, N cells, a reduction block, N cells),
/// the cell genotype and the number of classes. The size space has N = 1:
/// five channel counts and the fixed cell kSizeSpaceGenotype.
struct DynamicShapeTinyNetOptions {
  DynamicShapeTinyNetOptions(std::vector<std::int64_t> channels, Structure genotype, std::int64_t num_classes)
      : channels_(std::move(channels)), genotype_(std::move(genotype)), num_classes_(num_classes) {}
  /// A size-space configuration with the benchmark's cell.
  DynamicShapeTinyNetOptions(const Channels& channels, std::int64_t num_classes)
      : channels_(channels.values.begin(), channels.values.end()),
        genotype_(Structure::parse(kSizeSpaceGenotype)),
        num_classes_(num_classes) {}
  TORCH_ARG(std::vector<std::int64_t>, channels);
  TORCH_ARG(Structure, genotype);
  TORCH_ARG(std::int64_t, num_classes);
};

/// The size space's network (`infer.shape.tiny`, the reference's
/// DynamicShapeTinyNet): the stem at channels[0], then entry i of `cells` at
/// channels[i], fed by the previous entry's channels. A cell whose input and
/// output channels differ builds its node-0 edges from C_in to C_out:
/// `skip_connect` becomes a FactorizedReduce, `avg_pool_3x3` gets its 1x1
/// `preprocess`, `none` returns zeros with C_out channels.
///
/// @code
/// auto net = nasbench::nn::DynamicShapeTinyNet(nasbench::nn::DynamicShapeTinyNetOptions(
///     nasbench::Channels::parse("8:8:40:32:40"), 10));
/// nasbench::nn::count_flops_m(net, 32);  // 21.827994, the benchmark's `flop`
/// @endcode
class DynamicShapeTinyNetImpl : public CellNetworkImpl {
 public:
  explicit DynamicShapeTinyNetImpl(const DynamicShapeTinyNetOptions& options_)
      : CellNetworkImpl(layout(options_), options_.genotype(), options_.num_classes()), options(options_) {}

  DynamicShapeTinyNetOptions options;

 private:
  static detail::MacroLayout layout(const DynamicShapeTinyNetOptions& o) {
    const auto& c = o.channels();
    std::string list;
    bool positive = true;
    for (std::int64_t v : c) {
      list += (list.empty() ? "" : ":") + std::to_string(v);
      positive = positive && v >= 1;
    }
    if (c.size() % 3 != 2 || !positive || o.num_classes() < 1)
      throw Error("DynamicShapeTinyNet needs 3N+2 channel counts >= 1 (5 in the size space) and num_classes >= 1 "
                  "(got " + std::to_string(c.size()) + " channel counts \"" + list + "\", num_classes=" +
                  std::to_string(o.num_classes()) + ")");
    return detail::macro_layout(c.front(), c);
  }
};
TORCH_MODULE(DynamicShapeTinyNet);

/// Parameters in millions (Python's `count_parameters_in_MB`: every
/// parameter, no buffers).
[[nodiscard]] inline double count_parameters_mb(const torch::nn::Module& net) {
  std::int64_t n = 0;
  for (const auto& p : net.parameters()) n += p.numel();
  return static_cast<double>(n) / 1e6;
}

/// FLOPs in millions per image of `input_hw` x `input_hw` (the benchmark's
/// convention: multiply-accumulates of Conv2d and Linear layers; see CellOpImpl).
[[nodiscard]] inline double count_flops_m(const CellNetworkImpl& net, std::int64_t input_hw) {
  return net.count_flops(input_hw, input_hw) / 1e6;
}
/// count_flops_m() of a TinyNetwork, DynamicShapeTinyNet or CellNetwork.
template <typename Impl, std::enable_if_t<std::is_base_of_v<CellNetworkImpl, Impl>, int> = 0>
[[nodiscard]] double count_flops_m(const torch::nn::ModuleHolder<Impl>& net, std::int64_t input_hw) {
  return count_flops_m(*net, input_hw);
}

/// Input side length of a dataset's images: 16 for ImageNet16-120, else 32.
[[nodiscard]] inline std::int64_t input_size(std::string_view dataset) {
  for (const auto& d : kDatasets)
    if (d.name == dataset) return d.input_size;
  return 32;
}

/// Python's `get_cell_based_tiny_net(config)` for the configs `get_net_config`
/// returns: `infer.tiny` (C, N, arch_str or genotype, num_classes: a
/// TinyNetwork) and `infer.shape.tiny` (channels, genotype, num_classes: a
/// DynamicShapeTinyNet; the channels string must be a size-space
/// configuration, ParseError otherwise). Error for other names or bad values.
[[nodiscard]] inline CellNetwork get_cell_based_tiny_net(const NetConfig& config) {
  if (config.name == "infer.tiny") {
    const std::string& arch = config.arch_str.empty() ? config.genotype : config.arch_str;
    return CellNetwork(std::shared_ptr<CellNetworkImpl>(
        TinyNetwork(TinyNetworkOptions(config.C, config.N, Structure::parse(arch), config.num_classes)).ptr()));
  }
  if (config.name == "infer.shape.tiny") {
    if (config.genotype.empty()) throw Error("network config \"infer.shape.tiny\" has no genotype");
    const Channels channels = Channels::parse(config.channels);
    return CellNetwork(std::shared_ptr<CellNetworkImpl>(
        DynamicShapeTinyNet(DynamicShapeTinyNetOptions({channels.values.begin(), channels.values.end()},
                                                       Structure::parse(config.genotype), config.num_classes))
            .ptr()));
  }
  throw Error("unsupported network config name \"" + config.name +
              "\" (expected \"infer.tiny\", the topology space, or \"infer.shape.tiny\", the size space)");
}

/// get_cell_based_tiny_net() from the JSON of a config:
/// `{"name": "infer.tiny", "C": 16, "N": 5, "arch_str" (or "genotype"): "...", "num_classes": 10}` or
/// `{"name": "infer.shape.tiny", "channels": "8:16:24:32:40", "genotype": "...", "num_classes": 10}`.
[[nodiscard]] inline CellNetwork get_cell_based_tiny_net(const nlohmann::json& config) {
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
  auto text = [&](const char* key) {
    const auto& v = need(key);
    if (!v.is_string()) throw Error(std::string("network config \"") + key + "\" must be a string, got " + v.dump());
    return v.get<std::string>();
  };
  NetConfig c;
  c.name = text("name");
  if (c.name == "infer.tiny") {
    c.C = integer("C");
    c.N = integer("N");
    c.arch_str = text(config.contains("arch_str") ? "arch_str" : "genotype");
  } else if (c.name == "infer.shape.tiny") {
    c.channels = text("channels");
    c.genotype = text("genotype");
  } else {
    return get_cell_based_tiny_net(c);  // throws the unsupported-name error
  }
  c.num_classes = integer("num_classes");
  return get_cell_based_tiny_net(c);
}

}  // namespace nasbench::nn
