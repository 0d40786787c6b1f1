#pragma once
/// @file space.hpp
/// The space layer: cells of the topology space (`Structure`, ops, the
/// enumeration and official order of the 15,625 cells) and the datasets.
/// No dependency but the standard library.
#include "nasbench/space/dataset.hpp"
#include "nasbench/space/topology.hpp"
