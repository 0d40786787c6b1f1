// The `nasbench` command-line program. Torch-free: it starts in milliseconds.
// Exit status: 0 success, 1 bad value (unparsable architecture, index out of
// range, unreadable file), 2 usage error.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nasbench/nasbench.hpp"

namespace {

using nlohmann::json;

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// An INDEX (decimal) or an architecture STRING.
nasbench::Structure resolve_arch(const std::string& arg) {
  if (all_digits(arg)) {
    if (arg.size() > 9)
      throw nasbench::QueryError("architecture index " + arg + " out of range (0.." +
                                 std::to_string(nasbench::kTopologySpaceSize - 1) + ")");
    return nasbench::official_arch(std::stoul(arg));
  }
  return nasbench::Structure::parse(arg);
}

json edges_json(const nasbench::NodeEdges& edges) {
  json out = json::array();
  for (const auto& e : edges) out.push_back({std::string(nasbench::to_string(e.op)), e.input});
  return out;
}

json arch_json(const nasbench::Structure& cell) {
  const auto index = nasbench::official_index(cell);
  json lists = json::array();
  for (const auto& node : cell.nodes()) lists.push_back(edges_json(node));
  return {{"index", index ? json(*index) : json(nullptr)},
          {"arch", cell.to_string()},
          {"valid", cell.check_valid()},
          {"unique_str",
           {{"none", cell.to_unique_str(std::nullopt)},
            {"false", cell.to_unique_str(false)},
            {"true", cell.to_unique_str(true)}}},
          {"matrix", cell.to_matrix()},
          {"lists", lists}};
}

void print_arch_text(const nasbench::Structure& cell) {
  const auto index = nasbench::official_index(cell);
  std::cout << "index:          " << (index ? std::to_string(*index) : "-1 (not in the topology space)") << '\n'
            << "arch:           " << cell.to_string() << '\n'
            << "valid:          " << (cell.check_valid() ? "true" : "false") << '\n'
            << "unique (None):  " << cell.to_unique_str(std::nullopt) << '\n'
            << "unique (False): " << cell.to_unique_str(false) << '\n'
            << "unique (True):  " << cell.to_unique_str(true) << '\n'
            << "matrix (op index; rows: node, columns: input):\n";
  for (const auto& row : cell.to_matrix()) {
    std::cout << "   ";
    for (int v : row) std::cout << ' ' << v;
    std::cout << '\n';
  }
  std::cout << "nodes:\n";
  for (std::size_t j = 1; j < cell.size(); ++j) {
    std::cout << "  node " << j << " <-";
    const auto& edges = cell.node(j);
    for (std::size_t k = 0; k < edges.size(); ++k)
      std::cout << (k ? ", " : " ") << '(' << nasbench::to_string(edges[k].op) << ", " << edges[k].input << ')';
    std::cout << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nasbench: NAS-Bench-201 cells and benchmark queries, without Python"};
  app.set_version_flag("--version", std::string("nasbench ") + nasbench::kVersion);
  app.require_subcommand(1);

  std::vector<std::string> arch_args;
  bool arch_json_out = false;
  auto* arch = app.add_subcommand("arch", "Describe architectures given as strings or official indexes");
  arch->add_option("ARCH", arch_args, "an architecture string |op~i|+|...| or an official index 0..15624")
      ->required();
  arch->add_flag("--json", arch_json_out, "print one JSON object per architecture");
  arch->footer("Example:\n  nasbench arch 0 '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'");

  bool list_canonical = false;
  auto* list = app.add_subcommand("list", "Print the 15,625 topology-space architectures, one per line, in official index order");
  list->add_flag("--canonical", list_canonical, "use the canonical enumeration order instead");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  try {
    if (*arch) {
      bool first = true;
      for (const auto& a : arch_args) {
        const auto cell = resolve_arch(a);
        if (arch_json_out) {
          std::cout << arch_json(cell).dump() << '\n';
        } else {
          if (!first) std::cout << '\n';
          print_arch_text(cell);
        }
        first = false;
      }
    } else if (*list) {
      std::string out;
      for (std::size_t i = 0; i < nasbench::kTopologySpaceSize; ++i) {
        out += (list_canonical ? nasbench::canonical_arch(i) : nasbench::official_arch(i)).to_string();
        out += '\n';
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  } catch (const nasbench::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
