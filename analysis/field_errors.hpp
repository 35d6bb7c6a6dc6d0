// Errors of a velocity snapshot against a reference snapshot of the same grid, both
// [nx][ny][nz][3] (u, v, w), in the one relative L2 of analysis/relative_l2.hpp:
//
//   total    ||a − b|| / ||b||                 all points and components
//   u, v, w  the same with the sums restricted to one component
//   fluct    ||a − b|| / ||b − <b>_xz||       against the reference's fluctuations about its
//                                             own plane-averaged profile <b>_xz(y) (per
//                                             component, this snapshot)
//
// The total is dominated by the mean flow U(y) (in a channel ||U|| ≫ ||u'||): a prediction
// can have a total error of 3 % while its v and w are 30 % off. The fluctuation error
// measures the error against the size of the turbulence itself; its numerator is the
// total's (the reference's mean is subtracted from both fields).
//
// Of snapshots split in x-slabs over the ranks of a communicator, each rank passes its own
// planes and every rank gets the errors of the whole snapshots (the plane means and the sums
// added by MPI_Allreduce); on MPI_COMM_SELF the result is the serial one, bit for bit.
#pragma once

#include <mpi.h>

#include <array>
#include <cstddef>
#include <string>

namespace iff::analysis {

struct FieldErrors {
  double total = 0;                ///< all components
  std::array<double, 3> uvw{};     ///< per component u, v, w
  double fluct = 0;                ///< against the reference's fluctuations
  /// Names in the order of values(): total, u, v, w, fluct.
  static constexpr std::array<const char*, 5> kNames = {"total", "u", "v", "w", "fluct"};
  std::array<double, 5> values() const { return {total, uvw[0], uvw[1], uvw[2], fluct}; }
};

/// Errors of `a` against `b`, both [nx][ny][nz][3].
FieldErrors field_errors(const double* a, const double* b, int nx, int ny, int nz);
/// Errors of snapshots split over the ranks of `slab_comm`: a and b hold this rank's
/// `nx_local` planes, [nx_local][ny][nz][3]. Collective over `slab_comm`.
FieldErrors field_errors(const double* a, const double* b, int nx_local, int ny, int nz, MPI_Comm slab_comm);

}  // namespace iff::analysis
