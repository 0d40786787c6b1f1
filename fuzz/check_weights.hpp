#pragma once
/// @file fuzz/check_weights.hpp
/// fuzz_weights' check (LibTorch): bytes as a torch.save file of trained
/// weights through nn::load_state_dict_file, which decodes every tensor
/// (storages, views, strides); success or a nasbench::Error.

#include <cstdint>

#include "nasbench/nn/weights.hpp"
#include "support.hpp"

namespace nasbench_fuzz {

/// Violation unless `data` loads as a state dict, or fails, with nasbench::Error only.
inline void check_weights(const std::uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  nasbench::nn::StateDict sd;
  if (!only_nasbench_errors("nn::load_state_dict_file", [&] { sd = nasbench::nn::load_state_dict_file(file.path()); }))
    return;
  for (const auto& item : sd) {
    only_nasbench_errors("reading a tensor", [&] {
      if (item.value().numel() > 0) (void)item.value().to(torch::kDouble).sum().item<double>();
    });
  }
}

}  // namespace nasbench_fuzz
