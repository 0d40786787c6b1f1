#pragma once
/// @file pickle.hpp
/// Umbrella header of nasbench's torch-free reader of Python pickles and
/// torch.save containers: Value (object model), Source (byte streams),
/// Reader (the unpickler) and open() (container detection).

#include <nasbench/pickle/container.hpp>
#include <nasbench/pickle/reader.hpp>
#include <nasbench/pickle/source.hpp>
#include <nasbench/pickle/value.hpp>
