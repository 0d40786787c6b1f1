#pragma once
/// @file search.hpp
/// The search layer: NAS algorithms on the benchmark, torch-free. The two
/// search spaces as values (search/space.hpp), what a run searches for
/// (search/task.hpp), a run's trace and its only door to the benchmark,
/// simulate_train_eval with the run's own time account (search/trace.hpp), and
/// the algorithms of the NATS-Bench paper: random search and regularized
/// evolution replaying the reference scripts (search/algorithms.hpp), REINFORCE
/// (search/reinforce.hpp; its LibTorch policy, search/reinforce_torch.hpp, is
/// not included here) and BOHB (search/bohb.hpp), many runs over threads.
#include "nasbench/search/algorithms.hpp"
#include "nasbench/search/bohb.hpp"
#include "nasbench/search/reinforce.hpp"
#include "nasbench/search/space.hpp"
#include "nasbench/search/task.hpp"
#include "nasbench/search/trace.hpp"
