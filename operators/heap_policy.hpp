// How the process's heap treats freed memory, set once at start by the programs that run
// the models (ifactflow, the operator benchmarks).
//
// libtorch's CPU allocator does not cache: each tensor is malloc'd and freed. By default
// glibc gives freed memory at the top of its heap back to the system (above a trim
// threshold of twice its adaptive mmap threshold) and serves large blocks by fresh mappings,
// so the next tensor of the same size is made of fresh pages again, each a page fault and a
// 4 KiB zero fill by the kernel. A forward of IFactFormer-m on 32×33×16, whose layers make
// and free tensors of 6.5 MB, took ~35,000 such faults (~140 MB of fresh pages; measured
// with /usr/bin/time -v and perf's page-fault event, nearly all in the output products).
// keep_freed_heap_memory() makes glibc keep freed memory for reuse: no trimming, blocks up
// to 32 MiB (its largest mmap threshold) from the heap. The resident size stays at its
// high-water mark, as it does for any long-running solver.
#pragma once

namespace iff {

/// Keeps freed heap memory in the process for reuse (glibc; elsewhere nothing).
void keep_freed_heap_memory();

}  // namespace iff
