#pragma once
/// @file space/topology.hpp
/// Cell structures of the NAS-Bench-201 topology space: parsing and printing
/// architecture strings, the reference `Structure` helpers (`tolist`,
/// `check_valid`, `to_unique_str`, `str2lists`, `str2matrix`), the canonical
/// enumeration of the 15,625 cells and the benchmark's official index order.
/// Torch-free.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nasbench/detail/python_random.hpp"
#include "nasbench/error.hpp"

namespace nasbench {

/// The five candidate operations of the topology space, in the benchmark's
/// order (the op index used by `str2matrix` and the enumeration).
enum class Op : std::uint8_t { kNone, kSkipConnect, kConv1x1, kConv3x3, kAvgPool3x3 };

/// Every op, in index order.
inline constexpr std::array<Op, 5> kAllOps = {Op::kNone, Op::kSkipConnect, Op::kConv1x1,
                                              Op::kConv3x3, Op::kAvgPool3x3};

/// The benchmark's name of an op (`none`, `skip_connect`, `nor_conv_1x1`, ...).
[[nodiscard]] constexpr std::string_view to_string(Op op) noexcept {
  switch (op) {
    case Op::kNone: return "none";
    case Op::kSkipConnect: return "skip_connect";
    case Op::kConv1x1: return "nor_conv_1x1";
    case Op::kConv3x3: return "nor_conv_3x3";
    case Op::kAvgPool3x3: return "avg_pool_3x3";
  }
  return "?";
}

/// The op index (0..4) used by `str2matrix` and the enumeration.
[[nodiscard]] constexpr int op_index(Op op) noexcept { return static_cast<int>(op); }

/// The op named `name`, or nullopt.
[[nodiscard]] inline std::optional<Op> try_parse_op(std::string_view name) noexcept {
  for (Op op : kAllOps)
    if (to_string(op) == name) return op;
  return std::nullopt;
}

/// The names of every op, in index order (for error messages).
inline constexpr std::array<std::string_view, 5> kOpNames = {to_string(Op::kNone), to_string(Op::kSkipConnect),
                                                             to_string(Op::kConv1x1), to_string(Op::kConv3x3),
                                                             to_string(Op::kAvgPool3x3)};

/// "none, skip_connect, ..." for error messages.
[[nodiscard]] inline std::string op_names() { return detail::join_names(kOpNames); }

/// The op named `name`; throws ParseError naming the valid ops otherwise.
[[nodiscard]] inline Op parse_op(std::string_view name) {
  if (auto op = try_parse_op(name)) return *op;
  throw ParseError(std::string(name), 0, "unknown op " + detail::quoted(name) + expected_one_of(kOpNames));
}

/// One edge of a cell: the op applied to the output of node `input`.
struct Edge {
  Op op;
  int input;
  friend bool operator==(const Edge& a, const Edge& b) { return a.op == b.op && a.input == b.input; }
  friend bool operator!=(const Edge& a, const Edge& b) { return !(a == b); }
};

/// The edges into one node, in the order the architecture string lists them.
using NodeEdges = std::vector<Edge>;

/// A cell (the reference `Structure` / `CellStructure`): node 0 is the input;
/// node j (1 <= j < size()) sums its edges, each from a node < j; the last
/// node is the output.
///
/// @code
/// auto cell = nasbench::Structure::parse(
///     "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
/// cell.size();               // 4 nodes
/// cell.node(2)[1].op;        // Op::kAvgPool3x3
/// cell.check_valid();        // true
/// cell.to_string();          // the same string, byte for byte
/// nasbench::official_index(cell);  // its index in the benchmark
/// @endcode
class Structure {
 public:
  /// Builds a cell from the edges of nodes 1..n. Throws ParseError when a node
  /// has no edge or an edge comes from a node that is not earlier.
  explicit Structure(std::vector<NodeEdges> nodes) : nodes_(std::move(nodes)) {
    if (nodes_.empty()) throw ParseError(to_string(), 0, "a cell needs at least one node");
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].empty())
        throw ParseError(to_string(), 0, "node " + std::to_string(i + 1) + " has no edge");
      for (const Edge& e : nodes_[i])
        if (e.input < 0 || static_cast<std::size_t>(e.input) > i)
          throw ParseError(to_string(), 0,
                           "edge into node " + std::to_string(i + 1) + " comes from node " +
                               std::to_string(e.input) + " (must be < " + std::to_string(i + 1) + ")");
    }
  }

  /// Parses `|op~i|...|+|...|` (Python's `Structure.str2structure`), strictly:
  /// nodes separated by '+', each `|edge|edge|...|`, each edge `op~input` with
  /// a known op and a decimal input index (no sign, no leading zero) below the
  /// node's own index. Anything else throws ParseError naming the position.
  [[nodiscard]] static Structure parse(std::string_view text) {
    const std::string input(text);
    auto fail = [&](std::size_t pos, const std::string& what) -> ParseError {
      return ParseError(input, pos, what);
    };
    if (text.empty()) throw fail(0, "empty architecture string");
    std::vector<NodeEdges> nodes;
    std::size_t pos = 0;
    while (true) {
      const int node = static_cast<int>(nodes.size()) + 1;
      if (pos >= text.size() || text[pos] != '|')
        throw fail(pos, "expected '|' to open node " + std::to_string(node));
      ++pos;
      NodeEdges edges;
      while (true) {
        const std::size_t op_start = pos;
        while (pos < text.size() && text[pos] != '~' && text[pos] != '|' && text[pos] != '+') ++pos;
        const std::string_view name = text.substr(op_start, pos - op_start);
        if (name.empty()) throw fail(op_start, "expected an op name");
        const auto op = try_parse_op(name);
        if (!op)
          throw fail(op_start, "unknown op " + detail::quoted(name) + expected_one_of(kOpNames));
        if (pos >= text.size() || text[pos] != '~')
          throw fail(pos, "expected '~' after op \"" + std::string(name) + "\"");
        ++pos;
        const std::size_t idx_start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        const std::string_view digits = text.substr(idx_start, pos - idx_start);
        if (digits.empty()) throw fail(idx_start, "expected a decimal input node index");
        if (digits.size() > 1 && digits[0] == '0')
          throw fail(idx_start, "input node index \"" + std::string(digits) + "\" has a leading zero");
        if (digits.size() > 6 || std::stoi(std::string(digits)) >= node)
          throw fail(idx_start, "input node " + std::string(digits) + " of an edge into node " +
                                    std::to_string(node) + " must be < " + std::to_string(node));
        edges.push_back(Edge{*op, std::stoi(std::string(digits))});
        if (pos >= text.size() || text[pos] != '|')
          throw fail(pos, "expected '|' after edge \"" +
                              std::string(text.substr(op_start, pos - op_start)) + "\"");
        ++pos;
        if (pos >= text.size() || text[pos] == '+') break;  // node closed
      }
      nodes.push_back(std::move(edges));
      if (pos >= text.size()) break;
      ++pos;  // '+'
      if (pos >= text.size()) throw fail(pos, "expected a node after '+'");
    }
    return Structure(std::move(nodes));
  }

  /// The architecture string (Python's `tostr()`).
  [[nodiscard]] std::string to_string() const {
    std::string out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (i) out += '+';
      out += '|';
      for (const Edge& e : nodes_[i]) {
        out += nasbench::to_string(e.op);
        out += '~';
        out += std::to_string(e.input);
        out += '|';
      }
    }
    return out;
  }

  /// Number of nodes including the input node (Python's `len`).
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size() + 1; }
  /// Same as size() (Python's `node_num`).
  [[nodiscard]] std::size_t node_num() const noexcept { return size(); }

  /// The edges into node `j`, 1 <= j < size(). Throws QueryError otherwise.
  [[nodiscard]] const NodeEdges& node(std::size_t j) const {
    if (j < 1 || j >= size())
      throw QueryError("node " + std::to_string(j) + " out of range (a " + std::to_string(size()) +
                       "-node cell has nodes 1.." + std::to_string(size() - 1) + " with inputs)");
    return nodes_[j - 1];
  }
  /// Python's `__getitem__`: the edges into node i+1 (0-based over non-input nodes).
  [[nodiscard]] const NodeEdges& operator[](std::size_t i) const { return node(i + 1); }
  /// The edges of every non-input node (Python's `nodes`, `str2lists`).
  [[nodiscard]] const std::vector<NodeEdges>& nodes() const noexcept { return nodes_; }

  /// Python's `tolist(remove_str)`: each node's edges sorted by (input, op
  /// name) with edges of op `remove` dropped; nullopt when a node loses all
  /// its edges (Python returns `(None, False)`).
  [[nodiscard]] std::optional<std::vector<NodeEdges>> tolist(std::optional<Op> remove) const {
    std::vector<NodeEdges> out;
    for (NodeEdges edges : nodes_) {
      std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
        if (a.input != b.input) return a.input < b.input;
        return nasbench::to_string(a.op) < nasbench::to_string(b.op);
      });
      if (remove)
        edges.erase(std::remove_if(edges.begin(), edges.end(), [&](const Edge& e) { return e.op == *remove; }),
                    edges.end());
      if (edges.empty()) return std::nullopt;
      out.push_back(std::move(edges));
    }
    return out;
  }

  /// Python's `check_valid()`: does the input reach the output through
  /// edges that are not `none`?
  [[nodiscard]] bool check_valid() const {
    std::vector<bool> reach(size(), false);
    reach[0] = true;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      for (const Edge& e : nodes_[i])
        if (e.op != Op::kNone && reach[static_cast<std::size_t>(e.input)]) reach[i + 1] = true;
    return reach.back();
  }

  /// Python's `to_unique_str(consider_zero)`, a key shared by isomorphic cells:
  /// nullopt (Python None) keeps every op; false folds `skip_connect` into its
  /// input; true also folds `none` and everything fed only by zeros into `#`.
  [[nodiscard]] std::string to_unique_str(std::optional<bool> consider_zero = false) const {
    std::vector<std::string> repr(size());
    repr[0] = "0";
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      std::vector<std::string> terms;
      for (const Edge& e : nodes_[i]) {
        const std::string& in = repr[static_cast<std::size_t>(e.input)];
        const std::string applied = "(" + in + ")@" + std::string(nasbench::to_string(e.op));
        if (!consider_zero.has_value()) {
          terms.push_back(applied);
        } else if (*consider_zero) {
          if (e.op == Op::kNone || in == "#") terms.push_back("#");
          else if (e.op == Op::kSkipConnect) terms.push_back(in);
          else terms.push_back(applied);
        } else {
          terms.push_back(e.op == Op::kSkipConnect ? in : applied);
        }
      }
      std::sort(terms.begin(), terms.end());
      std::string joined;
      for (std::size_t t = 0; t < terms.size(); ++t) {
        if (t) joined += '+';
        joined += terms[t];
      }
      repr[i + 1] = std::move(joined);
    }
    return repr.back();
  }

  /// The op-index matrix of this cell (Python's `str2matrix`): size() x size(),
  /// `matrix[node][input] = op_index(op)`, 0 elsewhere (so `none` and "no edge"
  /// look alike, as in Python).
  [[nodiscard]] std::vector<std::vector<int>> to_matrix() const {
    std::vector<std::vector<int>> m(size(), std::vector<int>(size(), 0));
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      for (const Edge& e : nodes_[i]) m[i + 1][static_cast<std::size_t>(e.input)] = op_index(e.op);
    return m;
  }

  friend bool operator==(const Structure& a, const Structure& b) { return a.nodes_ == b.nodes_; }
  friend bool operator!=(const Structure& a, const Structure& b) { return !(a == b); }

 private:
  std::vector<NodeEdges> nodes_;
};

/// The reference name `CellStructure` for the same type.
using CellStructure = Structure;

/// Python's `str2lists(arch_str)`: per node, the (op, input) edges.
[[nodiscard]] inline std::vector<NodeEdges> str2lists(std::string_view arch) {
  return Structure::parse(arch).nodes();
}

/// Python's `str2matrix(arch_str)`: see Structure::to_matrix().
[[nodiscard]] inline std::vector<std::vector<int>> str2matrix(std::string_view arch) {
  return Structure::parse(arch).to_matrix();
}

/// Number of cells in the NAS-Bench-201 topology space (5^6).
inline constexpr std::size_t kTopologySpaceSize = 15625;
/// Nodes of a topology-space cell, input included.
inline constexpr std::size_t kTopologyNodes = 4;

/// The `index`-th cell of the canonical enumeration (Python's
/// `Structure.gen_all(ops, 4, False)`): node 1's op outermost, within a node the
/// edge from the lowest input first, later edges varying fastest.
[[nodiscard]] inline Structure canonical_arch(std::size_t index) {
  if (index >= kTopologySpaceSize)
    throw out_of_range("canonical index", static_cast<long long>(index), 0, kTopologySpaceSize - 1);
  std::array<int, 6> digits{};
  for (int k = 5; k >= 0; --k) {
    digits[static_cast<std::size_t>(k)] = static_cast<int>(index % 5);
    index /= 5;
  }
  std::vector<NodeEdges> nodes;
  std::size_t k = 0;
  for (int node = 1; node < static_cast<int>(kTopologyNodes); ++node) {
    NodeEdges edges;
    for (int input = 0; input < node; ++input) edges.push_back(Edge{kAllOps[static_cast<std::size_t>(digits[k++])], input});
    nodes.push_back(std::move(edges));
  }
  return Structure(std::move(nodes));
}

/// The position of `cell` in the canonical enumeration, or nullopt when it is
/// not a topology-space cell (4 nodes, node j with edges from 0..j-1 in order).
[[nodiscard]] inline std::optional<std::size_t> canonical_index(const Structure& cell) {
  if (cell.size() != kTopologyNodes) return std::nullopt;
  std::size_t index = 0;
  for (std::size_t j = 1; j < kTopologyNodes; ++j) {
    const NodeEdges& edges = cell.node(j);
    if (edges.size() != j) return std::nullopt;
    for (std::size_t input = 0; input < j; ++input) {
      if (edges[input].input != static_cast<int>(input)) return std::nullopt;
      index = index * 5 + static_cast<std::size_t>(op_index(edges[input].op));
    }
  }
  return index;
}

/// Every cell of the topology space in canonical order.
[[nodiscard]] inline std::vector<Structure> enumerate_topology_space() {
  std::vector<Structure> all;
  all.reserve(kTopologySpaceSize);
  for (std::size_t i = 0; i < kTopologySpaceSize; ++i) all.push_back(canonical_arch(i));
  return all;
}

namespace detail {
/// official -> canonical and canonical -> official index tables. The benchmark
/// ordered its architectures with `random.seed(88); random.shuffle(cells)`.
struct OfficialOrder {
  std::vector<std::uint16_t> to_canonical, to_official;
  OfficialOrder() : to_canonical(kTopologySpaceSize), to_official(kTopologySpaceSize) {
    for (std::size_t i = 0; i < kTopologySpaceSize; ++i) to_canonical[i] = static_cast<std::uint16_t>(i);
    PythonRandom rng(88);
    rng.shuffle(to_canonical);
    for (std::size_t i = 0; i < kTopologySpaceSize; ++i) to_official[to_canonical[i]] = static_cast<std::uint16_t>(i);
  }
};
inline const OfficialOrder& official_order() {
  static const OfficialOrder order;  // thread-safe lazy init; ~0.2 ms
  return order;
}
}  // namespace detail

/// The architecture with official benchmark index `index` (0..15624), the
/// same as `meta_archs[index]` of the benchmark files.
[[nodiscard]] inline Structure official_arch(std::size_t index) {
  if (index >= kTopologySpaceSize)
    throw out_of_range("architecture index", static_cast<long long>(index), 0, kTopologySpaceSize - 1);
  return canonical_arch(detail::official_order().to_canonical[index]);
}

/// The official benchmark index of `cell`, or nullopt when it is not in the topology space.
[[nodiscard]] inline std::optional<std::size_t> official_index(const Structure& cell) {
  const auto canonical = canonical_index(cell);
  if (!canonical) return std::nullopt;
  return detail::official_order().to_official[*canonical];
}

/// The official benchmark index of an architecture string (ParseError when it
/// does not parse, nullopt when it parses but is not in the topology space).
[[nodiscard]] inline std::optional<std::size_t> official_index(std::string_view arch) {
  return official_index(Structure::parse(arch));
}

}  // namespace nasbench
