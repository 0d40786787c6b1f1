#pragma once
/// @file io.hpp
/// The io layer: benchmark files (NAS-Bench-201 .pth, NATS-Bench files and
/// directories, caches) into the API's tables, and back out as a cache.
#include "nasbench/cache/cache.hpp"
#include "nasbench/io/load.hpp"
#include "nasbench/io/nats.hpp"
#include "nasbench/io/progress.hpp"
