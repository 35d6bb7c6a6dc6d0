#include "analysis/field_errors.hpp"

#include <vector>

#include "analysis/relative_l2.hpp"

namespace iff::analysis {

FieldErrors field_errors(const double* a, const double* b, int nx, int ny, int nz) {
  return field_errors(a, b, nx, ny, nz, MPI_COMM_SELF);
}

FieldErrors field_errors(const double* a, const double* b, int nx_local, int ny, int nz, MPI_Comm slab_comm) {
  const bool split = slab_comm != MPI_COMM_SELF;
  int nx = nx_local;
  if (split) MPI_Allreduce(&nx_local, &nx, 1, MPI_INT, MPI_SUM, slab_comm);
  // plane means of the reference, <b_c>_xz(y_j)
  std::vector<double> mean(static_cast<std::size_t>(ny) * 3, 0.0);
  for (int i = 0; i < nx_local; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k)
        for (int c = 0; c < 3; ++c) mean[j * 3 + c] += b[((static_cast<std::size_t>(i) * ny + j) * nz + k) * 3 + c];
  if (split) MPI_Allreduce(MPI_IN_PLACE, mean.data(), static_cast<int>(mean.size()), MPI_DOUBLE, MPI_SUM, slab_comm);
  for (double& m : mean) m /= static_cast<double>(nx) * nz;
  double sums[7] = {0, 0, 0, 0, 0, 0, 0};  // err_sq[3], ref_sq[3], fluct_sq
  double *err_sq = sums, *ref_sq = sums + 3, &fluct_sq = sums[6];
  for (int i = 0; i < nx_local; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) {
        const std::size_t p = ((static_cast<std::size_t>(i) * ny + j) * nz + k) * 3;
        for (int c = 0; c < 3; ++c) {
          const double d = a[p + c] - b[p + c], f = b[p + c] - mean[j * 3 + c];
          err_sq[c] += d * d;
          ref_sq[c] += b[p + c] * b[p + c];
          fluct_sq += f * f;
        }
      }
  if (split) MPI_Allreduce(MPI_IN_PLACE, sums, 7, MPI_DOUBLE, MPI_SUM, slab_comm);
  FieldErrors e;
  for (int c = 0; c < 3; ++c) e.uvw[c] = relative_l2_from_sums(err_sq[c], ref_sq[c]);
  const double err_all = err_sq[0] + err_sq[1] + err_sq[2];
  e.total = relative_l2_from_sums(err_all, ref_sq[0] + ref_sq[1] + ref_sq[2]);
  e.fluct = relative_l2_from_sums(err_all, fluct_sq);
  return e;
}

}  // namespace iff::analysis
