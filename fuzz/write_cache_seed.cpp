// fuzz/make_corpus.py's helper: `fuzz_write_cache_seed IN OUT [float]` loads
// a benchmark and writes it as a cache file (the seeds of fuzz_cache).
#include <cstdio>
#include <exception>
#include <string>

#include "nasbench/io.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::string(argv[3]) != "float")) {
    std::fprintf(stderr, "usage: %s IN OUT [float]\n", argv[0]);
    return 2;
  }
  try {
    if (argc == 4)
      nasbench::write_cache(nasbench::load_api<float>(argv[1]), argv[2]);
    else
      nasbench::write_cache(nasbench::load_api<double>(argv[1]), argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
