#pragma once
/// @file load.hpp
/// Compatibility header: nasbench/io/load.hpp.
#include "nasbench/io/load.hpp"
