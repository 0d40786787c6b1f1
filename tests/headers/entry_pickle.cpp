// nasbench/pickle.hpp with nasbench::pickle alone.
#include "nasbench/pickle.hpp"

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) return 0;
  const auto doc = nasbench::pickle::open(argv[1]);
  std::printf("%s: a %s\n", argv[1], std::string(doc.root.type_name()).c_str());
  return doc.root.is_dict() ? 0 : 1;
}
