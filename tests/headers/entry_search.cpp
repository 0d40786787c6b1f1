// nasbench/search.hpp with nasbench::api alone: the search layer needs no
// loader (a run on tables built in memory; here one without results, whose
// first evaluation is a QueryError).
#include "nasbench/search.hpp"

#include <cstdio>
#include <string>

int main() {
  nasbench::NASBench201API api;
  std::vector<std::string> archs;
  for (std::size_t i = 0; i < nasbench::kTopologySpaceSize; ++i) archs.push_back(nasbench::official_arch(i).to_string());
  api.set_meta_archs(std::move(archs));
  nasbench::Random rng(0);
  std::printf("%s\n", nasbench::search::Space::topology().str(nasbench::search::Space::topology().random_arch(rng)).c_str());
  try {
    (void)nasbench::search::run_many(api, nasbench::search::Config{}, 0, 4, 2);
  } catch (const nasbench::QueryError& e) {
    std::printf("%s\n", e.what());
    return 0;
  }
  return 1;
}
