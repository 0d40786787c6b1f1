#include <nasbench/nasbench.hpp>

#include <cstdio>

int main() {
  const char* arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
  const auto index = nasbench::official_index(arch);
  if (!index || nasbench::official_arch(*index).to_string() != arch) return 1;
  std::printf("nasbench %s: official index %zu\n", nasbench::kVersion, *index);
  return 0;
}
