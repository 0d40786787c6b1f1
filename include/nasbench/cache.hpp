#pragma once
/// @file cache.hpp
/// Compatibility header: nasbench/cache/cache.hpp.
#include "nasbench/cache/cache.hpp"
