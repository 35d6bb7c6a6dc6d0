// The rank of this process and the number of ranks of an MPI communicator, as values, and
// the two small collectives the outputs share: a text broadcast and a gather on rank 0.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

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

/// `text` of rank `root` on every rank of `comm`. Collective.
inline std::string broadcast_text(std::string text, MPI_Comm comm, int root = 0) {
  int n = static_cast<int>(text.size());
  MPI_Bcast(&n, 1, MPI_INT, root, comm);
  text.resize(n);
  MPI_Bcast(text.data(), n, MPI_CHAR, root, comm);
  return text;
}

/// Every rank's `mine` joined in rank order on rank 0 of `comm` (empty elsewhere). Collective.
inline std::vector<double> gather_on_root(const std::vector<double>& mine, MPI_Comm comm) {
  const int ranks = comm_size(comm), count = static_cast<int>(mine.size());
  std::vector<int> counts(ranks), offsets(ranks, 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  std::vector<double> all;
  if (comm_rank(comm) == 0) {
    for (int r = 1; r < ranks; ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
    all.resize(std::size_t(offsets.back()) + counts.back());
  }
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0, comm);
  return all;
}

}  // namespace iff
