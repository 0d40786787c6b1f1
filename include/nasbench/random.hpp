#pragma once
/// @file random.hpp
/// `Random`: the engine behind every random choice (`is_random`, random
/// architectures): CPython's Mersenne Twister, so `Random(s)` makes the same
/// choices as `random.seed(s)` in Python. No dependency.

#include "nasbench/detail/python_random.hpp"

namespace nasbench {

/// CPython's `random.Random` (see detail/python_random.hpp).
using Random = detail::PythonRandom;

}  // namespace nasbench
