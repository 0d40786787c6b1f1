#pragma once
/// @file platform/memory.hpp
/// Allocator calls of the library, in one place.

#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif

namespace nasbench::platform {

/// Returns freed heap memory to the system after a load (glibc keeps it
/// otherwise); nothing elsewhere.
inline void release_free_memory() noexcept {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace nasbench::platform
