// Chebyshev transforms, derivative, integral and the tau Helmholtz solver converge
// spectrally on manufactured solutions (error near round-off at modest N).
#include <gtest/gtest.h>

#include <cmath>

#include "spectral/chebyshev.hpp"


using namespace iff::spectral;


namespace {
double u_exact(double y) { return std::exp(y) * std::cos(3.0 * y); }
double du_exact(double y) { return std::exp(y) * (std::cos(3.0 * y) - 3.0 * std::sin(3.0 * y)); }
double d2u_exact(double y) { return std::exp(y) * (-8.0 * std::cos(3.0 * y) - 6.0 * std::sin(3.0 * y)); }
double int_exact() {  // integral of e^y cos 3y on [-1, 1]
  auto F = [](double y) { return std::exp(y) * (std::cos(3.0 * y) + 3.0 * std::sin(3.0 * y)) / 10.0; };
  return F(1.0) - F(-1.0);
}

std::vector<double> coeffs_of(double (*f)(double), int n) {
  auto y = chebyshev_points(n);
  std::vector<double> a(n);
  for (int j = 0; j < n; ++j) a[j] = f(y[j]);
  ChebyshevTransform(n).to_coefficients(a.data());
  return a;
}
}  // namespace

TEST(Chebyshev, PointsAreGaussLobatto) {
  auto y = chebyshev_points(9);
  EXPECT_DOUBLE_EQ(y[0], 1.0);
  EXPECT_DOUBLE_EQ(y[8], -1.0);
  EXPECT_NEAR(y[4], 0.0, 1e-16);
  EXPECT_NEAR(y[1], std::cos(M_PI / 8), 1e-15);
}

TEST(Chebyshev, TransformRoundTripAndSingleMode) {
  const int n = 17;
  auto y = chebyshev_points(n);
  std::vector<double> v(n);
  for (int j = 0; j < n; ++j) v[j] = std::cos(5.0 * std::acos(y[j]));  // T_5
  ChebyshevTransform t(n);
  t.to_coefficients(v.data());
  for (int k = 0; k < n; ++k) EXPECT_NEAR(v[k], k == 5 ? 1.0 : 0.0, 1e-14) << "k=" << k;
  t.to_values(v.data());
  for (int j = 0; j < n; ++j) EXPECT_NEAR(v[j], std::cos(5.0 * std::acos(y[j])), 1e-14);
}

TEST(Chebyshev, DerivativeAndIntegralConvergeSpectrally) {
  double prev = 1e300;
  for (int n : {9, 17, 33}) {
    auto a = coeffs_of(u_exact, n);
    std::vector<double> b(n);
    chebyshev_derivative(a.data(), b.data(), n);
    double err = 0.0;
    for (double y : {-1.0, -0.7, 0.1, 0.5, 1.0}) err = std::max(err, std::abs(chebyshev_eval(b.data(), n, y) - du_exact(y)));
    EXPECT_LT(err, prev / 100.0) << "n=" << n;  // at least 100x per doubling
    prev = err;
    if (n == 33) {
      EXPECT_LT(err, 1e-12);
      EXPECT_NEAR(chebyshev_integral(a.data(), n), int_exact(), 1e-14);
      auto w = clenshaw_curtis_weights(n);
      auto y = chebyshev_points(n);
      double q = 0.0;
      for (int j = 0; j < n; ++j) q += w[j] * u_exact(y[j]);
      EXPECT_NEAR(q, int_exact(), 1e-14);
      EXPECT_NEAR(chebyshev_slope_top(a.data(), n), du_exact(1.0), 1e-11);
      EXPECT_NEAR(chebyshev_slope_bottom(a.data(), n), du_exact(-1.0), 1e-11);
      // aliasing in place
      chebyshev_derivative(a.data(), a.data(), n);
      for (int k = 0; k < n; ++k) EXPECT_EQ(a[k], b[k]);
    }
  }
}

class HelmholtzConvergence : public ::testing::TestWithParam<double> {};

TEST_P(HelmholtzConvergence, ManufacturedSolutionToRoundOff) {
  const double lambda = GetParam();
  double prev = 1e300;
  for (int n : {9, 17, 33, 65}) {
    auto y = chebyshev_points(n);
    std::vector<double> f(n);
    for (int j = 0; j < n; ++j) f[j] = d2u_exact(y[j]) - lambda * u_exact(y[j]);
    ChebyshevTransform(n).to_coefficients(f.data());
    ChebyshevHelmholtz h(n, lambda);
    std::vector<double> u(n);
    h.solve(f.data(), u.data(), u_exact(1.0), u_exact(-1.0));
    EXPECT_LT(h.residual(f.data(), u.data(), u_exact(1.0), u_exact(-1.0)), 1e-10 * (1.0 + lambda));
    double err = 0.0;
    for (int j = 0; j < n; ++j) err = std::max(err, std::abs(chebyshev_eval(u.data(), n, y[j]) - u_exact(y[j])));
    if (n <= 17) {
      EXPECT_LT(err, prev / 50.0) << "n=" << n;
    }
    prev = err;
    if (n >= 33) {  // round-off grows mildly with the stiffness of the operator
      EXPECT_LT(err, lambda > 1e6 ? 2e-12 : 1e-13) << "n=" << n << " lambda=" << lambda;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Lambdas, HelmholtzConvergence, ::testing::Values(0.0, 1.0, 37.5, 1e4, 1e8));

TEST(ChebyshevHelmholtz, ComplexMatchesRealParts) {
  const int n = 33;
  ChebyshevHelmholtz h(n, 12.0);
  std::vector<cplx> f(n);
  std::vector<double> fr(n), fi(n), ur(n), ui(n);
  for (int k = 0; k < n; ++k) {
    fr[k] = 1.0 / (1 + k * k);
    fi[k] = std::sin(k);
    f[k] = cplx(fr[k], fi[k]);
  }
  std::vector<cplx> u(n);
  h.solve(f.data(), u.data(), cplx(1, 2), cplx(-3, 0.5));
  h.solve(fr.data(), ur.data(), 1.0, -3.0);
  h.solve(fi.data(), ui.data(), 2.0, 0.5);
  for (int k = 0; k < n; ++k) {
    EXPECT_DOUBLE_EQ(u[k].real(), ur[k]);
    EXPECT_DOUBLE_EQ(u[k].imag(), ui[k]);
  }
}
