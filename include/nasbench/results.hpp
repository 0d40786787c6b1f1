#pragma once
/// @file results.hpp
/// The results layer: typed in-memory tables of benchmark results.
/// `ResultsCount` (one training run, results/run.hpp) and `ArchResults` (all
/// runs of one architecture under one schedule, results/arch.hpp) answer the
/// queries of the Python classes of the same names; `Series` (results/series.hpp)
/// holds a per-epoch series; results/records.hpp has what the queries return.
/// `Real` is the storage type of per-epoch values (double, or float to halve
/// memory); every computation is done in double. Torch-free; needs neither
/// nlohmann (the Python dicts are in nasbench/json/records.hpp) nor the pickle
/// reader (trained weights, `NetState`, are in results/net_state.hpp).

#include "nasbench/results/arch.hpp"
#include "nasbench/results/records.hpp"
#include "nasbench/results/run.hpp"
#include "nasbench/results/series.hpp"
