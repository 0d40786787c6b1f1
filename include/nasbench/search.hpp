#pragma once
/// @file search.hpp
/// The search layer: NAS algorithms on the benchmark, torch-free. The two
/// search spaces as values (search/space.hpp), a run's trace and its only
/// door to the benchmark, simulate_train_eval with the run's own time account
/// (search/trace.hpp), and random search and regularized evolution replaying
/// the NATS-Bench reference scripts, many runs over threads (search/algorithms.hpp).
#include "nasbench/search/algorithms.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/trace.hpp"
