// Memory before allocation: a command that allocates per grid estimates its memory per rank
// first and refuses, in one line with the estimate, a grid the node cannot hold (instead of
// failing inside an allocator or FFTW's planner, or being killed).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

namespace iff {

/// Bytes this rank may use: the node's available memory (MemAvailable, or the cgroup's
/// limit less its usage when lower) shared evenly by the ranks of `comm` on this node, and
/// at most the address-space limit (ulimit -v). Collective over `comm`.
std::size_t available_memory_per_rank(MPI_Comm comm);

/// Throws InputError on every rank (the same message) when the largest estimate of any rank
/// exceeds the smallest availability: "`what` needs about X GB per rank (`how`); Y GB are
/// available per rank on this node (N ranks): ...". Collective over `comm`.
/// IFF_MEMORY_AVAILABLE (bytes) overrides the availability, for tests.
void require_memory(double bytes_per_rank, const std::string& what, const std::string& how, MPI_Comm comm);

/// "1.2 GB"-style text.
std::string memory_text(double bytes);

}  // namespace iff
