// The rank of this process and the number of ranks of an MPI communicator, as values.
#pragma once

#include <mpi.h>

namespace iff {

/// This process's rank in `comm`.
inline int comm_rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

/// The number of ranks of `comm`.
inline int comm_size(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}

}  // namespace iff
