#pragma once
/// @file nasbench.hpp
/// Umbrella header for the torch-free part of nasbench, one umbrella per
/// layer (dependencies point down this list):
///   space.hpp    cells of the topology space, datasets
///   results.hpp  typed tables of one architecture's runs
///   api.hpp      BasicAPI: every query of the Python APIs (with io's load)
///   pickle.hpp   the reader of Python pickles and torch.save files
///   io.hpp       files and caches into tables (cache/, io/)
///   json.hpp     Python dicts of the results; the `nasbench query` protocol
///   search.hpp   NAS algorithms on the benchmark (random search, regularized evolution)
/// The LibTorch part is nasbench/nn.hpp.

#include "nasbench/api.hpp"
#include "nasbench/error.hpp"
#include "nasbench/io.hpp"
#include "nasbench/json.hpp"
#include "nasbench/pickle.hpp"
#include "nasbench/random.hpp"
#include "nasbench/results.hpp"
#include "nasbench/results/net_state.hpp"
#include "nasbench/search.hpp"
#include "nasbench/space.hpp"
#include "nasbench/version.hpp"
