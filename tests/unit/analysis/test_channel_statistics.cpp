// Statistics and spectra of snapshots: Parseval (a single-mode field puts its energy at the
// right kx and kz, and the spectra sum to the variance), and the profiles of known fields.
#include <gtest/gtest.h>

#include <cmath>

#include "io/error.hpp"
#include "analysis/channel_statistics.hpp"

using iff::analysis::ChannelStatistics;

TEST(ChannelStatistics, SingleModeEnergyAtTheRightWavenumbers) {
  const int nx = 16, ny = 5, nz = 12;
  const double lx = 2.0, lz = 3.0, A = 0.7, B = 0.4, c0 = 1.5;
  std::vector<double> y = {-1, -0.5, 0, 0.5, 1};
  std::vector<double> f(std::size_t(nx) * ny * nz * 3);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) {
        const double x = lx * i / nx, z = lz * k / nz;
        double* p = &f[((std::size_t(i) * ny + j) * nz + k) * 3];
        p[0] = c0 + A * std::cos(2 * M_PI * 2 * x / lx + 0.3);  // kx index 2
        p[1] = B * std::sin(2 * M_PI * 3 * z / lz);             // kz index 3
        p[2] = A * B * std::cos(2 * M_PI * (x / lx + 5 * z / lz));  // oblique (1, 5)
      }
  ChannelStatistics s(nx, ny, nz, lx, lz, y, {1, 3});
  s.add(f.data());
  s.add(f.data());
  EXPECT_EQ(s.samples(), 2);
  for (int q = 0; q < 2; ++q) {
    auto ex_u = s.spectrum_x(0, q), ez_u = s.spectrum_z(0, q);
    auto ex_v = s.spectrum_x(1, q), ez_v = s.spectrum_z(1, q);
    auto ex_w = s.spectrum_x(2, q), ez_w = s.spectrum_z(2, q);
    ASSERT_EQ(ex_u.size(), std::size_t(nx / 2 + 1));
    ASSERT_EQ(ez_u.size(), std::size_t(nz / 2 + 1));
    for (int k = 0; k <= nx / 2; ++k) {
      EXPECT_NEAR(ex_u[k], k == 2 ? A * A / 2 : 0.0, 1e-14) << k;
      EXPECT_NEAR(ex_v[k], k == 0 ? B * B / 2 : 0.0, 1e-14) << k;
      EXPECT_NEAR(ex_w[k], k == 1 ? A * A * B * B / 2 : 0.0, 1e-14) << k;
    }
    for (int k = 0; k <= nz / 2; ++k) {
      EXPECT_NEAR(ez_u[k], k == 0 ? A * A / 2 : 0.0, 1e-14) << k;
      EXPECT_NEAR(ez_v[k], k == 3 ? B * B / 2 : 0.0, 1e-14) << k;
      EXPECT_NEAR(ez_w[k], k == 5 ? A * A * B * B / 2 : 0.0, 1e-14) << k;
    }
  }
  const auto U = s.mean(0), ur = s.rms(0), vr = s.rms(1), uv = s.reynolds_shear();
  for (int j = 0; j < ny; ++j) {
    EXPECT_NEAR(U[j], c0, 1e-14);
    EXPECT_NEAR(ur[j], A / std::sqrt(2.0), 1e-14);
    EXPECT_NEAR(vr[j], B / std::sqrt(2.0), 1e-14);
    EXPECT_NEAR(uv[j], 0.0, 1e-14);  // orthogonal modes do not correlate
  }
}

TEST(ChannelStatistics, ReynoldsShearOfCorrelatedField) {
  const int nx = 8, ny = 3, nz = 4;
  std::vector<double> f(std::size_t(nx) * ny * nz * 3, 0.0);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) {
        const double c = std::cos(2 * M_PI * i / nx);
        f[((std::size_t(i) * ny + j) * nz + k) * 3 + 0] = 2.0 + c;
        f[((std::size_t(i) * ny + j) * nz + k) * 3 + 1] = -0.5 * c;
      }
  ChannelStatistics s(nx, ny, nz, 1.0, 1.0, {-1, 0, 1});
  s.add(f.data());
  for (double v : s.reynolds_shear()) EXPECT_NEAR(v, 0.25, 1e-14);  // -<u'v'> = 0.5 <cos²>
  EXPECT_THROW(ChannelStatistics(nx, ny, nz, 1.0, 1.0, {-1, 0, 1}, {7}), iff::InputError);
}

// The spectra locations: the node nearest to each y+ above the lower wall, repeats dropped.
TEST(ChannelStatistics, NearestYPlusIndices) {
  std::vector<double> y;  // Gauss–Lobatto nodes from the lower wall, 17 of them
  for (int j = 16; j >= 0; --j) y.push_back(std::cos(M_PI * j / 16));
  const double re_tau = 180;
  const auto idx = iff::analysis::nearest_y_plus_indices(y, {0, 15, 15.5, 180, 400}, re_tau);
  // y+ = 0 → the wall; y+ = 400 lies beyond the upper wall → the last node
  ASSERT_EQ(idx.size(), 4u);  // 15 and 15.5 share a node
  EXPECT_EQ(idx[0], 0);
  EXPECT_EQ(idx[2], 8);
  EXPECT_EQ(idx[3], 16);
  for (int j = 0; j < 17; ++j)  // no node is nearer to y+ = 15 than the chosen one
    EXPECT_LE(std::abs(y[idx[1]] + 1 - 15 / re_tau), std::abs(y[j] + 1 - 15 / re_tau));
}
