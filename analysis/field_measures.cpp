#include "analysis/field_measures.hpp"

#include <cmath>

#include "spectral/chebyshev.hpp"

namespace iff::analysis {

FieldMeasures::FieldMeasures(const SeriesMeta& m) : FieldMeasures(m, m.nx(), MPI_COMM_SELF) {}

FieldMeasures::FieldMeasures(const SeriesMeta& m, int nx_local, MPI_Comm slab_comm)
    : nx_(m.nx()), ny_(m.ny()), nz_(m.nz()), nx_local_(nx_local), comm_(slab_comm) {
  if (on_gauss_lobatto_y(m.y)) {
    w_ = spectral::clenshaw_curtis_weights(ny_);  // symmetric: the order of y does not matter
  } else {
    w_.assign(ny_, 0.0);
    for (int j = 0; j < ny_; ++j)
      w_[j] = 0.5 * ((j + 1 < ny_ ? m.y[j + 1] - m.y[j] : 0.0) + (j > 0 ? m.y[j] - m.y[j - 1] : 0.0));
  }
}

double FieldMeasures::slab_sum(double s) const {
  if (comm_ != MPI_COMM_SELF) MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_SUM, comm_);
  return s;
}

double FieldMeasures::kinetic_energy(const double* u) const {
  double e = 0;
  for (int i = 0; i < nx_local_; ++i)
    for (int j = 0; j < ny_; ++j) {
      double plane = 0;
      for (int k = 0; k < nz_; ++k) {
        const double* p = u + ((static_cast<std::size_t>(i) * ny_ + j) * nz_ + k) * 3;
        plane += p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
      }
      e += w_[j] * plane;
    }
  return 0.25 * slab_sum(e) / (static_cast<double>(nx_) * nz_);
}

double FieldMeasures::centre_u(const double* u) const {
  double s = 0;
  for (int i = 0; i < nx_local_; ++i)
    for (int k = 0; k < nz_; ++k) s += u[((static_cast<std::size_t>(i) * ny_ + ny_ / 2) * nz_ + k) * 3];
  return slab_sum(s) / (static_cast<double>(nx_) * nz_);
}

}  // namespace iff::analysis
