#pragma once
/// @file api.hpp
/// The API layer with what it needs to open files: `BasicAPI`
/// (`NASBench201API`), its option and result types, and `load` / `reload`
/// from the io layer, so that a program including only this header can call
/// `NASBench201API::load(path)` or nats_bench's `create(path, space, fast_mode)`.
/// The Python dicts of the results are in
/// nasbench/json/records.hpp.

#include "nasbench/api/basic_api.hpp"
#include "nasbench/api/options.hpp"
#include "nasbench/api/types.hpp"
#include "nasbench/io/load.hpp"
#include "nasbench/io/nats.hpp"
