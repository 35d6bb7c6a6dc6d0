#include "operators/heap_policy.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace iff {

void keep_freed_heap_memory() {
#if defined(__GLIBC__)
  // a fixed mmap threshold also switches glibc's adaptive one (and the trim threshold tied
  // to it) off; 32 MiB is the largest it accepts on 64-bit systems
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, -1);  // never give the heap's top back (the value is unsigned: maximum)
#endif
}

}  // namespace iff
