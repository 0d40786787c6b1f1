#pragma once
/// @file nn.hpp
/// Umbrella header of the LibTorch part: the benchmark's network and trained
/// weights, and REINFORCE on LibTorch (search/reinforce_torch.hpp). The only
/// part of nasbench that includes torch.

#include "nasbench/nasbench.hpp"
#include "nasbench/nn/ops.hpp"
#include "nasbench/nn/tiny_network.hpp"
#include "nasbench/nn/weights.hpp"
#include "nasbench/search/reinforce_torch.hpp"
