#pragma once
/// @file results/net_state.hpp
/// `NetState`: the trained weights of a run as the file holds them (a pickle
/// value and its storages). The only results header that needs the pickle
/// reader; the tables hold weights through a pointer to it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nasbench/pickle/container.hpp"
#include "nasbench/pickle/value.hpp"

namespace nasbench {

/// The tensor storages of one torch.save file (where trained weights' bytes are).
struct StorageTable {
  std::string path;
  std::vector<pickle::StorageRecord> records;
  /// The storage with this key, or nullptr.
  [[nodiscard]] const pickle::StorageRecord* find(std::string_view key) const {
    for (const auto& r : records)
      if (r.key == key) return &r;
    return nullptr;
  }
};

/// Trained weights of a run as the file holds them: the state dict (an
/// OrderedDict name -> tensor descriptor) and the storages its tensors live
/// in. nn/weights.hpp turns it into LibTorch tensors.
struct NetState {
  pickle::Value state_dict;
  std::shared_ptr<const StorageTable> storages;
};

}  // namespace nasbench
