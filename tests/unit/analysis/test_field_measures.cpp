// Volume measures of a snapshot: the kinetic energy is exact for polynomial profiles on
// Gauss-Lobatto points (Clenshaw-Curtis weights) and second-order on any other y grid
// (trapezoid weights); the centre-line mean is the x-z mean at j = ny / 2.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/field_measures.hpp"
#include "io/series.hpp"

namespace an = iff::analysis;

namespace {

iff::SeriesMeta meta(int nx, const std::vector<double>& y, int nz) {
  iff::SeriesMeta m;
  for (int i = 0; i < nx; ++i) m.x.push_back(2.0 * M_PI * i / nx);
  m.y = y;
  for (int k = 0; k < nz; ++k) m.z.push_back(M_PI * k / nz);
  return m;
}

/// u = (1 - y^2) (1 + a cos x) (or (1 + y)(1 + a cos x)), v = 0, w = b. For the first: E = (1/2) <|u|^2> over the box, exactly
/// (1/2) [ (8/15)(1 + a^2/2) + b^2 ] (the y mean of (1 - y^2)^2 is 8/15).
std::vector<double> field(const iff::SeriesMeta& m, double a, double b, bool wall_profile = true) {
  std::vector<double> u(m.snapshot_size(), 0.0);
  for (int i = 0; i < m.nx(); ++i)
    for (int j = 0; j < m.ny(); ++j)
      for (int k = 0; k < m.nz(); ++k) {
        double* p = u.data() + ((static_cast<std::size_t>(i) * m.ny() + j) * m.nz() + k) * 3;
        p[0] = (wall_profile ? 1 - m.y[j] * m.y[j] : 1 + m.y[j]) * (1 + a * std::cos(m.x[i]));
        p[2] = b;
      }
  return u;
}

double exact_energy(double a, double b) { return 0.5 * (8.0 / 15.0 * (1 + 0.5 * a * a) + b * b); }

}  // namespace

TEST(FieldMeasures, KineticEnergyIsExactForAPolynomialProfileOnGaussLobattoPoints) {
  const auto m = meta(8, iff::gauss_lobatto_y(17), 4);
  const an::FieldMeasures measures(m);
  const auto u = field(m, 0.3, 0.2);
  EXPECT_NEAR(measures.kinetic_energy(u.data()), exact_energy(0.3, 0.2), 1e-14);
  EXPECT_NEAR(measures.centre_u(u.data()), 1.0, 1e-14);  // the x mean of 1 + a cos x, y = 0
}

// u = (1 + y)(1 + a cos x): E = (1/2)(4/3)(1 + a^2/2); its |u|^2 has unequal slopes at the
// walls, so the trapezoid rule's h^2 error term (Euler-Maclaurin) does not vanish
TEST(FieldMeasures, KineticEnergyConvergesAtSecondOrderOnAUniformGrid) {
  double previous = 0;
  for (int ny : {17, 33, 65}) {
    std::vector<double> y(ny);
    for (int j = 0; j < ny; ++j) y[j] = -1.0 + 2.0 * j / (ny - 1);
    const auto m = meta(8, y, 4);
    const auto u = field(m, 0.3, 0.0, /*wall_profile=*/false);
    const double error = std::abs(an::FieldMeasures(m).kinetic_energy(u.data()) - 0.5 * 4.0 / 3.0 * (1 + 0.5 * 0.3 * 0.3));
    EXPECT_GT(error, 0.0);
    if (previous > 0) {
      EXPECT_NEAR(previous / error, 4.0, 0.3) << "ny " << ny;  // halved spacing: 4x smaller
    }
    previous = error;
  }
}
