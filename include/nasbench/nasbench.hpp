#pragma once
/// @file nasbench.hpp
/// Umbrella header for the torch-free part of nasbench: cell structures,
/// the pickle/torch.save reader, the typed result tables, the API and loading.

#include "nasbench/api.hpp"
#include "nasbench/cache.hpp"
#include "nasbench/error.hpp"
#include "nasbench/genotype.hpp"
#include "nasbench/load.hpp"
#include "nasbench/pickle.hpp"
#include "nasbench/protocol.hpp"
#include "nasbench/results.hpp"
#include "nasbench/version.hpp"
