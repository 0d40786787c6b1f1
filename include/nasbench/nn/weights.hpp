#pragma once
/// @file nn/weights.hpp
/// Trained weights: tensors decoded by the pickle reader (legacy and zip
/// torch.save containers) as LibTorch tensors, views sharing their storages,
/// and a strict load_state_dict.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "nasbench/error.hpp"
#include "nasbench/pickle.hpp"
#include "nasbench/results/net_state.hpp"

namespace nasbench::nn {

/// An ordered name -> tensor map (what Python's `state_dict()` is).
using StateDict = torch::OrderedDict<std::string, torch::Tensor>;

/// The LibTorch dtype of a storage element type.
[[nodiscard]] inline torch::ScalarType to_torch(pickle::ScalarType t) {
  switch (t) {
    case pickle::ScalarType::kFloat64: return torch::kFloat64;
    case pickle::ScalarType::kFloat32: return torch::kFloat32;
    case pickle::ScalarType::kFloat16: return torch::kFloat16;
    case pickle::ScalarType::kBFloat16: return torch::kBFloat16;
    case pickle::ScalarType::kInt64: return torch::kInt64;
    case pickle::ScalarType::kInt32: return torch::kInt32;
    case pickle::ScalarType::kInt16: return torch::kInt16;
    case pickle::ScalarType::kInt8: return torch::kInt8;
    case pickle::ScalarType::kUInt8: return torch::kUInt8;
    case pickle::ScalarType::kBool: return torch::kBool;
    default: break;
  }
  throw LoadError("tensor element type " + std::string(pickle::to_string(t)) + " has no LibTorch equivalent");
}

/// Builds LibTorch tensors from tensor descriptors, reading each storage once
/// so that views of one storage share it, as in Python.
class TensorReader {
 public:
  explicit TensorReader(std::shared_ptr<const StorageTable> storages) : storages_(std::move(storages)) {}

  /// The tensor a descriptor (Kind::kTensor value) describes, on the CPU.
  [[nodiscard]] torch::Tensor operator()(const pickle::Value& v) {
    if (!v.is_tensor()) throw LoadError("expected a tensor, got " + std::string(v.type_name()));
    const pickle::TensorInfo& t = v.as_tensor();
    const pickle::StorageInfo& s = t.storage_info();
    torch::Tensor base = storage(s.key);
    if (t.sizes.size() != t.strides.size())
      throw LoadError("tensor of storage \"" + s.key + "\" has " + std::to_string(t.sizes.size()) + " sizes but " +
                      std::to_string(t.strides.size()) + " strides");
    // Every element must lie inside the storage: as_strided does not check.
    std::int64_t last = t.storage_offset;
    bool empty = false;
    for (std::size_t i = 0; i < t.sizes.size(); ++i) {
      if (t.sizes[i] < 0 || t.strides[i] < 0)
        throw LoadError("tensor of storage \"" + s.key + "\" has a negative size or stride");
      if (t.sizes[i] == 0) empty = true;
      else last += (t.sizes[i] - 1) * t.strides[i];
    }
    if (t.storage_offset < 0 || (!empty && last >= base.numel()))
      throw LoadError("tensor of storage \"" + s.key + "\" reaches element " + std::to_string(last) +
                      " of a storage of " + std::to_string(base.numel()));
    torch::Tensor out = base.as_strided(t.sizes, t.strides, t.storage_offset);
    if (t.is_parameter) out.set_requires_grad(t.requires_grad);
    return out;
  }

  /// Every tensor of a dict (name -> tensor), in order.
  [[nodiscard]] StateDict state_dict(const pickle::Value& dict) {
    if (!dict.is_dict()) throw LoadError("expected a state dict, got " + std::string(dict.type_name()));
    StateDict out;
    for (const auto& [k, v] : dict.dict_items()) {
      if (!k.is_str()) throw LoadError("state dict key " + k.repr(pickle::kMessageRepr) + " is not a str");
      try {
        std::string name(k.as_str());
        torch::Tensor t = (*this)(v);
        // A key given twice keeps its first position and its last value, as a
        // Python dict does (torch's OrderedDict::insert would throw c10::Error).
        if (torch::Tensor* seen = out.find(name)) {
          *seen = std::move(t);
        } else {
          out.insert(std::move(name), std::move(t));
        }
      } catch (const LoadError& e) {
        throw LoadError(e.message(), LoadError::kNoOffset, "[" + k.repr(pickle::kMessageRepr) + "]");
      } catch (const c10::Error& e) {  // anything LibTorch refuses is the file's fault
        throw LoadError(std::string("LibTorch refused the tensor: ") + e.what_without_backtrace(), LoadError::kNoOffset,
                        "[" + k.repr(pickle::kMessageRepr) + "]");
      }
    }
    return out;
  }

 private:
  torch::Tensor storage(const std::string& key) {
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    const pickle::StorageRecord* rec = storages_ ? storages_->find(key) : nullptr;
    if (!rec)
      throw LoadError("no data for tensor storage \"" + key + "\"" +
                      (storages_ && !storages_->path.empty() ? " in \"" + storages_->path + "\"" : std::string()));
    torch::Tensor t = torch::empty({static_cast<std::int64_t>(rec->numel)}, torch::TensorOptions().dtype(to_torch(rec->dtype)));
    pickle::read_storage_into(*rec, t.data_ptr());
    cache_.emplace(key, t);
    return t;
  }

  std::shared_ptr<const StorageTable> storages_;
  std::map<std::string, torch::Tensor> cache_;
};

/// The trained weights of a run (API `get_net_param`) as tensors; empty for nullptr.
[[nodiscard]] inline StateDict to_state_dict(const NetState* weights) {
  if (!weights) return StateDict();
  return TensorReader(weights->storages).state_dict(weights->state_dict);
}

/// A torch.save file (legacy or zip) decoded, with its storages, so its tensors
/// can be read with TensorReader.
struct TorchFile {
  pickle::Document document;
  std::shared_ptr<const StorageTable> storages;
  /// TensorReader over this file's storages.
  [[nodiscard]] TensorReader tensors() const { return TensorReader(storages); }
};

/// Opens a torch.save file (or any pickle) by content.
[[nodiscard]] inline TorchFile open_torch_file(const std::string& path) {
  TorchFile f;
  f.document = pickle::open(path);
  auto table = std::make_shared<StorageTable>();
  table->path = f.document.path;
  table->records = f.document.storages;
  f.storages = std::move(table);
  return f;
}

/// The state dict stored in `path`: the file's root when it is a dict of
/// tensors, else its `'state_dict'` entry.
[[nodiscard]] inline StateDict load_state_dict_file(const std::string& path) {
  TorchFile f = open_torch_file(path);
  const pickle::Value& root = f.document.root;
  if (!root.is_dict()) throw LoadError("\"" + path + "\" holds a " + std::string(root.type_name()) + ", not a state dict");
  if (const pickle::Value* sd = root.find("state_dict")) return f.tensors().state_dict(*sd);
  return f.tensors().state_dict(root);
}

/// Copies `state_dict` into `net`'s parameters and buffers (dtype and device
/// converted). Strict: every key must match by name and shape; otherwise an
/// Error lists the missing, unexpected and mismatched keys and nothing is copied.
inline void load_state_dict(torch::nn::Module& net, const StateDict& state_dict, bool strict = true) {
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : net.named_parameters(true)) targets.emplace_back(p.key(), p.value());
  for (const auto& b : net.named_buffers(true)) targets.emplace_back(b.key(), b.value());
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, tensor] : targets) {
    const torch::Tensor* src = state_dict.find(name);
    if (!src) missing.push_back(name);
    else if (src->sizes() != tensor.sizes())
      mismatched.push_back(name + " (file " + c10::str(src->sizes()) + ", network " + c10::str(tensor.sizes()) + ")");
  }
  for (const auto& item : state_dict)
    if (std::none_of(targets.begin(), targets.end(), [&](const auto& t) { return t.first == item.key(); }))
      unexpected.push_back(item.key());
  if (!mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()))) {
    auto list = [](const std::vector<std::string>& xs) {
      std::string out;
      for (std::size_t i = 0; i < xs.size() && i < 20; ++i) out += (i ? ", " : "") + xs[i];
      if (xs.size() > 20) out += ", ... (" + std::to_string(xs.size()) + " in all)";
      return out.empty() ? std::string("none") : out;
    };
    throw Error("state dict does not fit the network: missing keys: " + list(missing) +
                "; unexpected keys: " + list(unexpected) + "; shape mismatches: " + list(mismatched));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : targets)
    if (const torch::Tensor* src = state_dict.find(name)) tensor.copy_(*src);
}

}  // namespace nasbench::nn
