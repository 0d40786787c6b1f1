// nasbench/io.hpp with nasbench::io alone: load a file, write and reopen a cache.
#include "nasbench/io.hpp"

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  if (argc < 2) return 0;
  const auto api = nasbench::NASBench201API::load(argv[1]);
  const auto cache = (std::filesystem::temp_directory_path() / "nasbench-header-entry-io.cache").string();
  nasbench::write_cache(api, cache);
  const auto reopened = nasbench::NASBench201API::load(cache);
  std::filesystem::remove(cache);
  std::printf("%s -> cache -> %s\n", api.repr().c_str(), reopened.repr().c_str());
  return reopened.evaluated_indexes() == api.evaluated_indexes() ? 0 : 1;
}
