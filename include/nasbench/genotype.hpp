#pragma once
/// @file genotype.hpp
/// Compatibility header: the topology space's cells (nasbench/space/topology.hpp).
#include "nasbench/space.hpp"
