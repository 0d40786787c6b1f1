// Walk the NAS-Bench-201 topology space with nasbench::core alone (no data
// file, no LibTorch): parse a cell, find its official index, and count the
// distinct cells up to isomorphism.
#include <iostream>
#include <set>

#include "nasbench/nasbench.hpp"

int main() {
  const auto cell = nasbench::Structure::parse(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  std::cout << cell.to_string() << " has official index " << nasbench::official_index(cell).value() << '\n';

  std::size_t valid = 0;
  std::set<std::string> unique;
  for (const auto& c : nasbench::enumerate_topology_space()) {
    valid += c.check_valid();
    unique.insert(c.to_unique_str(true));
  }
  std::cout << nasbench::kTopologySpaceSize << " cells, " << valid << " valid, " << unique.size()
            << " distinct up to isomorphism\n";
  std::cout << "official index 0 is " << nasbench::official_arch(0).to_string() << '\n';
}
