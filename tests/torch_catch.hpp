// LibTorch, then Catch2, for the tests of nasbench_nn_tests: Debian's LibTorch
// pulls in glog, whose CHECK macro would otherwise replace Catch's. Included
// once per translation unit, so that a unity batch of these files keeps
// Catch's CHECK (a second `#undef CHECK` after Catch would remove it).
#pragma once

#include "nasbench/nn.hpp"
#undef CHECK

#include <catch2/catch.hpp>
