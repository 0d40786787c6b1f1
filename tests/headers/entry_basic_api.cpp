// nasbench/api/basic_api.hpp with nasbench::api alone: queries on tables
// built in memory (loading files is the io layer's).
#include "nasbench/api/basic_api.hpp"

#include <cstdio>

int main() {
  nasbench::NASBench201API api;
  api.set_meta_archs({nasbench::official_arch(0).to_string(), nasbench::official_arch(1).to_string()});
  std::printf("%s\n", api.repr().c_str());
  return api.size() == 2 && api.query_index_by_arch(nasbench::official_arch(1)) == 1 ? 0 : 1;
}
