#pragma once
/// @file cache/cache.hpp
/// nasbench's own binary cache of a loaded benchmark: `write_cache()` (what
/// `nasbench convert IN OUT` runs) and `open_cache()`, which memory-maps the
/// file and takes each architecture's results from it on first use, so opening
/// costs the architecture list alone and memory grows with what is touched.
/// `load_api()` recognises a cache by its magic number. Torch-free.
/// The layout is in cache/format.hpp.
///
/// @code
/// auto api = nasbench::NASBench201API::load("NAS-Bench-201-v1_1-096897.pth");
/// nasbench::write_cache(api, "nb201.cache");
/// auto fast = nasbench::NASBench201API::load("nb201.cache");  // milliseconds
/// @endcode

#include "nasbench/cache/blocks.hpp"
#include "nasbench/cache/format.hpp"
#include "nasbench/cache/open.hpp"
#include "nasbench/cache/write.hpp"
