// Spectral velocity gradient, vorticity and Q against closed forms: exact to round-off for
// a field band-limited in x, z and polynomial in y.
#include <gtest/gtest.h>

#include <cmath>

#include "io/series.hpp"
#include "spectral/velocity_gradient.hpp"

namespace {
// u = (1 - y^2) sin(2 pi x / lx),  v = y^3 cos(2 pi z / lz),  w = sin(4 pi x / lx) y
struct Field {
  double lx = 2.0, lz = 1.5;
  double kx() const { return 2 * M_PI / lx; }
  double kz() const { return 2 * M_PI / lz; }
  void value(double x, double y, double z, double* u) const {
    u[0] = (1 - y * y) * std::sin(kx() * x);
    u[1] = y * y * y * std::cos(kz() * z);
    u[2] = std::sin(2 * kx() * x) * y;
  }
  void grad(double x, double y, double z, double* G) const {  // G[3 i + j] = du_i/dx_j
    G[0] = (1 - y * y) * kx() * std::cos(kx() * x);
    G[1] = -2 * y * std::sin(kx() * x);
    G[2] = 0;
    G[3] = 0;
    G[4] = 3 * y * y * std::cos(kz() * z);
    G[5] = -kz() * y * y * y * std::sin(kz() * z);
    G[6] = 2 * kx() * std::cos(2 * kx() * x) * y;
    G[7] = std::sin(2 * kx() * x);
    G[8] = 0;
  }
};
}  // namespace

TEST(VelocityGradient, ExactForBandLimitedPolynomialField) {
  const int nx = 8, ny = 9, nz = 6;
  Field f;
  const auto y = iff::gauss_lobatto_y(ny);
  std::vector<double> u(static_cast<std::size_t>(nx) * ny * nz * 3);
  auto X = [&](int i) { return f.lx * i / nx; };
  auto Z = [&](int k) { return f.lz * k / nz; };
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) f.value(X(i), y[j], Z(k), &u[((i * ny + j) * nz + k) * 3]);
  iff::spectral::VelocityGradient vg(nx, ny, nz, f.lx, f.lz);
  std::vector<double> g, w, q;
  vg.gradient(u.data(), g);
  vg.vorticity_and_q(u.data(), w, q);
  double max_err = 0, max_w = 0, max_q = 0;
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) {
        const std::size_t p = (i * ny + j) * nz + k;
        double G[9];
        f.grad(X(i), y[j], Z(k), G);
        for (int a = 0; a < 9; ++a) max_err = std::max(max_err, std::abs(g[9 * p + a] - G[a]));
        const double wx = G[7] - G[5], wy = G[2] - G[6], wz = G[3] - G[1];
        max_w = std::max({max_w, std::abs(w[3 * p] - wx), std::abs(w[3 * p + 1] - wy), std::abs(w[3 * p + 2] - wz)});
        double s2 = 0, o2 = 0;
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) {
            s2 += std::pow(0.5 * (G[3 * a + b] + G[3 * b + a]), 2);
            o2 += std::pow(0.5 * (G[3 * a + b] - G[3 * b + a]), 2);
          }
        max_q = std::max(max_q, std::abs(q[p] - 0.5 * (o2 - s2)));
      }
  EXPECT_LT(max_err, 1e-12);
  EXPECT_LT(max_w, 1e-12);
  EXPECT_LT(max_q, 1e-11);
}

TEST(VelocityGradient, PureShearHasZeroQAndUniformVorticity) {
  // u = (y, 0, 0): |S| = |Omega|, so Q = 0; vorticity (0, 0, -1).
  const int nx = 4, ny = 5, nz = 4;
  const auto y = iff::gauss_lobatto_y(ny);
  std::vector<double> u(static_cast<std::size_t>(nx) * ny * nz * 3, 0.0);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) u[((i * ny + j) * nz + k) * 3] = y[j];
  iff::spectral::VelocityGradient vg(nx, ny, nz, 1.0, 1.0);
  std::vector<double> w, q;
  vg.vorticity_and_q(u.data(), w, q);
  for (std::size_t p = 0; p < q.size(); ++p) {
    EXPECT_NEAR(q[p], 0.0, 1e-13);
    EXPECT_NEAR(w[3 * p + 2], -1.0, 1e-13);
  }
}
