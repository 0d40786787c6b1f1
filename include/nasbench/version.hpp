#pragma once
/// @file version.hpp
/// nasbench's version. CMakeLists.txt reads the project version from here.

#define NASBENCH_VERSION_MAJOR 0
#define NASBENCH_VERSION_MINOR 1
#define NASBENCH_VERSION_PATCH 0

namespace nasbench {
/// The library version as "MAJOR.MINOR.PATCH".
inline constexpr const char* kVersion = "0.1.0";
}  // namespace nasbench
