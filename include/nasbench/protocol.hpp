#pragma once
/// @file protocol.hpp
/// Compatibility header: nasbench/json/protocol.hpp.
#include "nasbench/json/protocol.hpp"
