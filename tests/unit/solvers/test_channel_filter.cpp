// The filtered-DNS filter: exact inside the coarse band, idempotent (sharp), commutes with
// the spectral x and z derivatives, never raises the energy, projects polynomials of degree
// < NY exactly, and scales single modes by the box and Gaussian transfer functions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/error.hpp"
#include "io/series.hpp"
#include "solvers/channel_filter.hpp"
#include "spectral/chebyshev.hpp"
#include "spectral/velocity_gradient.hpp"

using iff::solvers::ChannelFilter;
using iff::solvers::FilterKind;
using iff::solvers::FilterSpec;

namespace {

constexpr double kLx = 2.0, kLz = 1.0;

FilterSpec spec(int nx, int ny, int nz, int NX, int NY, int NZ, FilterKind kind = FilterKind::sharp) {
  FilterSpec s;
  s.nx = nx, s.ny = ny, s.nz = nz, s.NX = NX, s.NY = NY, s.NZ = NZ;
  s.lx = kLx, s.lz = kLz;
  s.kind = kind;
  return s;
}

template <class F>
std::vector<double> sample(int nx, int ny, int nz, F f) {
  const auto y = iff::gauss_lobatto_y(ny);
  std::vector<double> u(static_cast<std::size_t>(nx) * ny * nz * 3);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) f(kLx * i / nx, y[j], kLz * k / nz, &u[((i * ny + j) * nz + k) * 3]);
  return u;
}

/// A random field with all modes of the fine grid, smooth enough in y to matter.
std::vector<double> random_field(int nx, int ny, int nz, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<double> u(static_cast<std::size_t>(nx) * ny * nz * 3);
  for (auto& v : u) v = n(gen);
  return u;
}

double energy(const std::vector<double>& u, int nx, int ny, int nz) {
  const auto w = iff::spectral::clenshaw_curtis_weights(ny);
  double e = 0;
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k)
        for (int c = 0; c < 3; ++c) e += w[j] * std::pow(u[((i * ny + j) * nz + k) * 3 + c], 2);
  return e / (nx * nz);
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST(ChannelFilter, IdentityInsideTheCoarseBand) {
  // kx <= 3 < NX/2, kz <= 2 < NZ/2, degree 6 < NY
  auto f = [](double x, double y, double z, double* u) {
    const double ax = 2 * M_PI / kLx, az = 2 * M_PI / kLz;
    u[0] = (1 - y * y) * (1 + 0.3 * std::sin(3 * ax * x) * std::cos(2 * az * z));
    u[1] = std::pow(y, 6) * std::cos(ax * x);
    u[2] = y * std::sin(az * z + ax * x);
  };
  ChannelFilter flt(spec(16, 17, 12, 8, 9, 6));
  const auto fine = sample(16, 17, 12, f), want = sample(8, 9, 6, f);
  std::vector<double> got(want.size());
  flt.apply(fine.data(), got.data());
  EXPECT_LT(max_diff(got, want), 1e-13);
}

TEST(ChannelFilter, SharpFilterIsIdempotent) {
  const auto fine = random_field(16, 17, 12, 1);
  ChannelFilter down(spec(16, 17, 12, 8, 9, 6)), again(spec(8, 9, 6, 8, 9, 6));
  std::vector<double> c1(8 * 9 * 6 * 3), c2(c1.size());
  down.apply(fine.data(), c1.data());
  again.apply(c1.data(), c2.data());
  EXPECT_LT(max_diff(c1, c2), 1e-13);
  // and filtering a coarse field onto its own grid twice is the same as once
  std::vector<double> c3(c1.size());
  again.apply(c2.data(), c3.data());
  EXPECT_LT(max_diff(c2, c3), 1e-13);
}

TEST(ChannelFilter, CommutesWithXAndZDerivatives) {
  for (auto kind : {FilterKind::sharp, FilterKind::box, FilterKind::gaussian}) {
    const auto fine = random_field(16, 9, 12, 2);
    ChannelFilter flt(spec(16, 9, 12, 8, 9, 6, kind));
    iff::spectral::VelocityGradient gf(16, 9, 12, kLx, kLz), gc(8, 9, 6, kLx, kLz);
    std::vector<double> grad_f, grad_c, coarse(8 * 9 * 6 * 3);
    gf.gradient(fine.data(), grad_f);  // [p][9]
    flt.apply(fine.data(), coarse.data());
    gc.gradient(coarse.data(), grad_c);
    // d/dx and d/dz of each component, filtered, against the derivatives of the filtered field
    for (int dir : {0, 2}) {
      std::vector<double> d_fine(16 * 9 * 12 * 3), d_filtered(8 * 9 * 6 * 3);
      for (std::size_t p = 0; p < d_fine.size() / 3; ++p)
        for (int c = 0; c < 3; ++c) d_fine[3 * p + c] = grad_f[9 * p + 3 * c + dir];
      flt.apply(d_fine.data(), d_filtered.data());
      double err = 0;
      for (std::size_t p = 0; p < d_filtered.size() / 3; ++p)
        for (int c = 0; c < 3; ++c) err = std::max(err, std::abs(d_filtered[3 * p + c] - grad_c[9 * p + 3 * c + dir]));
      EXPECT_LT(err, 1e-11) << to_string(kind) << " direction " << dir;
    }
  }
}

TEST(ChannelFilter, NeverRaisesTheEnergy) {
  for (auto kind : {FilterKind::sharp, FilterKind::box, FilterKind::gaussian})
    for (unsigned seed = 3; seed < 8; ++seed) {
      // random in x and z, polynomial of degree < NY in y: the x-z part alone decides
      std::mt19937 gen(seed);
      std::normal_distribution<double> n(0.0, 1.0);
      std::vector<double> amp(16 * 12 * 3 * 4);
      for (auto& a : amp) a = n(gen);
      auto fine = sample(16, 17, 12, [&](double x, double y, double z, double* u) {
        const int i = static_cast<int>(std::lround(x / kLx * 16)) % 16, k = static_cast<int>(std::lround(z / kLz * 12)) % 12;
        for (int c = 0; c < 3; ++c) {
          const double* a = &amp[((i * 12 + k) * 3 + c) * 4];
          u[c] = a[0] + a[1] * y + a[2] * y * y + a[3] * y * y * y;
        }
      });
      ChannelFilter flt(spec(16, 17, 12, 8, 9, 6, kind));
      std::vector<double> coarse(8 * 9 * 6 * 3);
      flt.apply(fine.data(), coarse.data());
      EXPECT_LE(energy(coarse, 8, 9, 6), energy(fine, 16, 17, 12) * (1 + 1e-14)) << to_string(kind) << " " << seed;
    }
  // and a turbulence-like field with all modes, smooth in y
  auto fine = sample(16, 33, 12, [](double x, double y, double z, double* u) {
    double s = 0;
    for (int m = 1; m < 8; ++m) s += std::sin(m * (2 * M_PI * x / kLx) + m * m) * std::cos((m % 5) * 2 * M_PI * z / kLz) / m;
    u[0] = (1 - y * y) * (1 + 0.2 * s);
    u[1] = (1 - y * y) * (1 - y * y) * s;
    u[2] = std::sin(3 * y) * s;
  });
  ChannelFilter flt(spec(16, 33, 12, 8, 17, 6));
  std::vector<double> coarse(8 * 17 * 6 * 3);
  flt.apply(fine.data(), coarse.data());
  EXPECT_LT(energy(coarse, 8, 17, 6), energy(fine, 16, 33, 12));
}

TEST(ChannelFilter, ChebyshevProjectionExactBelowDegreeNY) {
  for (int degree = 0; degree < 9; ++degree) {
    auto f = [degree](double, double y, double, double* u) {
      u[0] = std::pow(y, degree);
      u[1] = -std::pow(y, degree) + 0.5;
      u[2] = std::cos(degree * std::acos(y));  // T_degree
    };
    ChannelFilter flt(spec(4, 33, 4, 4, 9, 4));
    const auto fine = sample(4, 33, 4, f), want = sample(4, 9, 4, f);
    std::vector<double> got(want.size());
    flt.apply(fine.data(), got.data());
    EXPECT_LT(max_diff(got, want), 1e-13) << "degree " << degree;
  }
  // degree NY = 9 is not in the coarse space: T_9 is removed entirely
  ChannelFilter flt(spec(4, 33, 4, 4, 9, 4));
  const auto fine = sample(4, 33, 4, [](double, double y, double, double* u) {
    u[0] = u[1] = u[2] = std::cos(9 * std::acos(y));
  });
  std::vector<double> got(4 * 9 * 4 * 3);
  flt.apply(fine.data(), got.data());
  EXPECT_LT(max_diff(got, std::vector<double>(got.size(), 0.0)), 1e-13);
}

TEST(ChannelFilter, BoxAndGaussianScaleSingleModesByTheirTransferFunction) {
  const int m = 2;  // kx = 2 (2 pi / lx)
  const double k = 2 * M_PI * m / kLx, delta = 2.0 * kLx / 8;
  auto f = [&](double x, double, double, double* u) { u[0] = u[1] = u[2] = std::cos(k * x); };
  const auto fine = sample(16, 5, 4, f), want = sample(8, 5, 4, f);
  for (auto kind : {FilterKind::box, FilterKind::gaussian}) {
    ChannelFilter flt(spec(16, 5, 4, 8, 5, 4, kind));
    std::vector<double> got(want.size());
    flt.apply(fine.data(), got.data());
    const double a = k * delta;
    const double g = kind == FilterKind::box ? std::sin(a / 2) / (a / 2) : std::exp(-a * a / 24);
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], g * want[i], 1e-13) << to_string(kind);
  }
}

TEST(ChannelFilter, RejectsACoarseGridFinerThanTheSeries) {
  EXPECT_THROW(ChannelFilter(spec(8, 9, 6, 16, 9, 6)), iff::InputError);
  EXPECT_THROW(ChannelFilter(spec(8, 9, 6, 8, 17, 6)), iff::InputError);
}
