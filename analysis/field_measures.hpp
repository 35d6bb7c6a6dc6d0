// Volume measures of one snapshot [nx][ny][nz][3] of a series, shared by `stats`, `rollout`
// and `compare`:
//   kinetic energy  E = (1/2) <|u|^2> = (1 / (4 nx nz)) sum_ijk w_j |u_ijk|^2
// with w_j the Clenshaw–Curtis weights on Gauss–Lobatto points (exact for polynomials of
// degree <= ny - 1; trapezoid weights on any other y grid), and the centre-line mean
// velocity, the x–z mean of u on the plane j = ny / 2.
#pragma once

#include <vector>

#include "io/series.hpp"

namespace iff::analysis {

class FieldMeasures {
 public:
  explicit FieldMeasures(const SeriesMeta& m);
  double kinetic_energy(const double* u) const;
  double centre_u(const double* u) const;

 private:
  int nx_, ny_, nz_;
  std::vector<double> w_;
};

}  // namespace iff::analysis
