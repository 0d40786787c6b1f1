// nasbench/results.hpp with nasbench::results alone.
#include "nasbench/results.hpp"

#include <cstdio>

int main() {
  nasbench::Series<double> s;
  s.set(0, 1.5);
  s.set(1, 2.5);
  nasbench::ArchResults<double> arch;
  std::printf("series of %zu epochs, running total %.1f; %zu datasets\n", s.count(), *s.running_total(1),
              arch.get_dataset_names().size());
  return s.count() == 2 ? 0 : 1;
}
