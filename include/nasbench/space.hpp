#pragma once
/// @file space.hpp
/// The space layer: cells of the topology space (`Structure`, ops, the
/// enumeration and official order of the 15,625 cells), the size space's
/// channels strings (`Channels`, the 32,768 configurations), the two NATS-Bench
/// search spaces as a type (`SearchSpace`) and the datasets.
/// No dependency but the standard library.
#include "nasbench/space/dataset.hpp"
#include "nasbench/space/search_space.hpp"
#include "nasbench/space/size.hpp"
#include "nasbench/space/topology.hpp"
