#pragma once
// The main() of every nasbench program: no exception reaches std::terminate.
// What a command does not expect (out of memory, a library error) becomes a
// message on stderr and exit status 1.
#include <cstdio>
#include <exception>
#include <new>

template <typename Main>
int guarded_main(const char* program, Main&& run, int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: out of memory\n", program);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected error: %s\n", program, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: unexpected error\n", program);
  }
  return 1;
}
