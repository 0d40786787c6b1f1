#pragma once
/// @file search/space.hpp
/// The two NATS-Bench search spaces as values for NAS algorithms: an
/// architecture is one choice per decision (topology: the op of each of the 6
/// edges out of 5; size: the channels of each of the 5 layers out of 8), drawn
/// and mutated exactly as the reference scripts draw them with Python's
/// `random` (AutoDL-Projects exps/NATS-algos: random_topology_func,
/// random_size_func, mutate_topology_func, mutate_size_func). Torch-free.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nasbench/error.hpp"
#include "nasbench/random.hpp"
#include "nasbench/space/search_space.hpp"
#include "nasbench/space/size.hpp"
#include "nasbench/space/topology.hpp"

namespace nasbench::search {

/// An architecture as its choices: topology, the op index (kAllOps order) of
/// the edges (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2); size, the index in
/// kSizeCandidates of each layer's channel count.
using Arch = std::vector<std::uint8_t>;

/// A search space: its decisions, how the reference draws and mutates an
/// architecture, and the benchmark's architecture strings.
///
/// @code
/// nasbench::Random rng(1);                                  // random.seed(1)
/// auto space = nasbench::search::Space::topology();
/// auto arch = space.random_arch(rng);                       // random_topology_func(op_names)()
/// auto child = space.mutate(arch, rng);                     // mutate_topology_func(op_names)(arch)
/// std::string s = space.str(child);                         // "|none~0|+|...|"
/// @endcode
class Space {
 public:
  /// The space of `kind`.
  explicit Space(SearchSpace kind) : kind_(kind) {}
  /// The topology space with the reference's op list (get_search_spaces("tss", "nats-bench")).
  [[nodiscard]] static Space topology() { return Space(SearchSpace::kTopology); }
  /// The size space (get_search_spaces("sss", "nats-bench"): 5 layers of 8, 16, ..., 64 channels).
  [[nodiscard]] static Space size() { return Space(SearchSpace::kSize); }

  /// Which space.
  [[nodiscard]] SearchSpace kind() const noexcept { return kind_; }
  /// Number of decisions: 6 edges or 5 layers.
  [[nodiscard]] std::size_t num_decisions() const noexcept {
    return kind_ == SearchSpace::kTopology ? kEdges : kSizeLayers;
  }
  /// Number of choices of every decision: 5 ops or 8 channel counts.
  [[nodiscard]] std::size_t num_choices() const noexcept {
    return kind_ == SearchSpace::kTopology ? kAllOps.size() : kSizeCandidates.size();
  }
  /// The name of choice `c` ("nor_conv_3x3", or "24").
  [[nodiscard]] std::string choice_name(std::size_t c) const {
    if (c >= num_choices())
      throw out_of_range("choice", static_cast<long long>(c), 0, static_cast<long long>(num_choices()) - 1);
    return kind_ == SearchSpace::kTopology ? std::string(kOpNames[c]) : std::to_string(kSizeCandidates[c]);
  }

  /// The reference's random architecture: one `random.choice` per decision, in
  /// decision order (the topology's nodes 1..3, each node's inputs in order).
  [[nodiscard]] Arch random_arch(Random& rng) const {
    Arch arch(num_decisions());
    for (auto& choice : arch) choice = static_cast<std::uint8_t>(rng.randbelow(num_choices()));
    return arch;
  }

  /// The reference's mutation. Topology: `node = randint(0, 2)`,
  /// `edge = randint(0, node)`, then `random.choice(ops)` again until the op
  /// differs from the parent's. Size: `layer = randint(0, 4)`, then one
  /// `random.choice(candidates)`, which may give the parent's value back.
  [[nodiscard]] Arch mutate(const Arch& parent, Random& rng) const {
    check(parent);
    Arch child = parent;
    if (kind_ == SearchSpace::kTopology) {
      const auto node = static_cast<std::size_t>(rng.randint(0, kTopologyNodes - 2));  // nodes 1..3 as 0..2
      const auto edge = static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(node)));
      std::uint8_t& op = child[node * (node + 1) / 2 + edge];
      auto draw = [&] { return static_cast<std::uint8_t>(rng.randbelow(kAllOps.size())); };
      std::uint8_t xop = draw();
      while (xop == op) xop = draw();
      op = xop;
    } else {
      const auto layer = static_cast<std::size_t>(rng.randint(0, kSizeLayers - 1));
      child[layer] = static_cast<std::uint8_t>(rng.randbelow(kSizeCandidates.size()));
    }
    return child;
  }

  /// The benchmark's string of `arch` (`|op~0|+|...|`, or `8:16:24:32:40`).
  [[nodiscard]] std::string str(const Arch& arch) const {
    check(arch);
    if (kind_ == SearchSpace::kSize) {
      Channels c;
      for (std::size_t i = 0; i < kSizeLayers; ++i) c.values[i] = kSizeCandidates[arch[i]];
      return c.str();
    }
    std::vector<NodeEdges> nodes;
    std::size_t k = 0;
    for (int node = 1; node < static_cast<int>(kTopologyNodes); ++node) {
      NodeEdges edges;
      for (int input = 0; input < node; ++input) edges.push_back(Edge{kAllOps[arch[k++]], input});
      nodes.push_back(std::move(edges));
    }
    return Structure(std::move(nodes)).to_string();
  }

  /// The architecture of a benchmark string (ParseError when it is not one of this space).
  [[nodiscard]] Arch parse(std::string_view text) const {
    Arch arch;
    if (kind_ == SearchSpace::kSize) {
      for (int v : Channels::parse(text).values) arch.push_back(static_cast<std::uint8_t>(v / 8 - 1));
      return arch;
    }
    const Structure cell = Structure::parse(text);
    if (!canonical_index(cell))
      throw ParseError(std::string(text), 0, "not a cell of the topology space (4 nodes, node j fed by 0..j-1)");
    for (const NodeEdges& edges : cell.nodes())
      for (const Edge& e : edges) arch.push_back(static_cast<std::uint8_t>(op_index(e.op)));
    return arch;
  }

 private:
  static constexpr std::size_t kEdges = kTopologyNodes * (kTopologyNodes - 1) / 2;

  void check(const Arch& arch) const {
    bool ok = arch.size() == num_decisions();
    for (std::uint8_t c : arch) ok = ok && c < num_choices();
    if (!ok)
      throw QueryError("not an architecture of the " + std::string(to_string(kind_)) + " space (" +
                       std::to_string(num_decisions()) + " choices, each below " + std::to_string(num_choices()) +
                       ")");
  }

  SearchSpace kind_;
};

}  // namespace nasbench::search
