// Volume measures of one snapshot [nx][ny][nz][3] of a series, shared by `stats`, `rollout`
// and `compare`:
//   kinetic energy  E = (1/2) <|u|^2> = (1 / (4 nx nz)) sum_ijk w_j |u_ijk|^2
// with w_j the Clenshaw–Curtis weights on Gauss–Lobatto points (exact for polynomials of
// degree <= ny - 1; trapezoid weights on any other y grid), and the centre-line mean
// velocity, the x–z mean of u on the plane j = ny / 2.
//
// Of a snapshot split in x-slabs over the ranks of a communicator (a rollout's
// ranks_per_trajectory), each rank passes its own planes and every rank of the communicator
// gets the measure of the whole snapshot: the sums over the slabs are added by MPI_Allreduce
// (collective over it). On MPI_COMM_SELF, with every plane, the result is the serial one,
// bit for bit.
#pragma once

#include <mpi.h>

#include <vector>

#include "io/series.hpp"

namespace iff::analysis {

class FieldMeasures {
 public:
  /// Measures of whole snapshots of the series `m`.
  explicit FieldMeasures(const SeriesMeta& m);
  /// Measures of snapshots split over the ranks of `slab_comm`, this rank holding
  /// `nx_local` of the series' x planes (u: [nx_local][ny][nz][3]).
  FieldMeasures(const SeriesMeta& m, int nx_local, MPI_Comm slab_comm);
  double kinetic_energy(const double* u) const;
  double centre_u(const double* u) const;

 private:
  double slab_sum(double s) const;
  int nx_, ny_, nz_;
  int nx_local_;
  MPI_Comm comm_ = MPI_COMM_SELF;
  std::vector<double> w_;
};

}  // namespace iff::analysis
