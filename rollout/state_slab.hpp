// The part of every state a rank holds in a rollout: its x planes [x0, x0 + nx) of the
// series' nx_total. Whole states (a trajectory on one rank): all planes, on MPI_COMM_SELF.
// States split in x-slabs over a group of ranks (rollout.ranks_per_trajectory): the ranks of
// `comm` hold the slabs in rank order, every rank of the group advances, measures and writes
// the same trajectories, and the collectives over `comm` join their planes.
#pragma once

#include <mpi.h>

#include <cstddef>

#include "io/comm.hpp"

namespace iff::rollout {

struct StateSlab {
  int x0 = 0, nx = 0;             ///< this rank's planes
  int nx_total = 0;               ///< the planes of a whole state
  MPI_Comm comm = MPI_COMM_SELF;  ///< the ranks that share each state

  /// All `nx` planes on this rank alone.
  static StateSlab whole(int nx) { return {0, nx, nx, MPI_COMM_SELF}; }
  bool split() const { return comm != MPI_COMM_SELF; }
  /// The group's first rank: the one that writes what is per trajectory (rows, VTK, cost).
  bool leader() const { return comm_rank(comm) == 0; }
  /// Values of this rank's part of a state of ny x nz points and `components` components.
  std::size_t size(int ny, int nz, int components = 3) const {
    return static_cast<std::size_t>(nx) * ny * nz * components;
  }
};

}  // namespace iff::rollout
