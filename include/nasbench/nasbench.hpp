#pragma once
/// @file nasbench.hpp
/// Umbrella header for the torch-free part of nasbench.

#include "nasbench/error.hpp"
#include "nasbench/genotype.hpp"
#include "nasbench/version.hpp"
