// SGS model kernels and models on synthetic planes (solvers/sgs_model.hpp):
//  - WALE vanishes for pure shear; for solid-body rotation it does not (S = 0 but
//    S^d_ij S^d_ij = (Ω_ij Ω_ij)²/6, Nicoud & Ducros 1999): the exact value is checked, and
//    Smagorinsky vanishes there instead; WALE matches a by-hand value for pure strain.
//  - Smagorinsky equals (C_s D Δ)² |S| for a linear velocity field, with and without van
//    Driest damping, with Δ from the Gauss–Lobatto spacing written out by hand.
//  - The DSM test filter keeps/removes single modes exactly (sharp), multiplies by the sinc
//    product (box), and is idempotent (sharp).
//  - The DSM coefficient of a two-scale field equals an independent direct evaluation of the
//    Germano–Lilly formula (analytic gradients, naive DFT test filter); it is invariant to
//    the velocity amplitude; the total viscosity ν + ν_t is never negative (clipping active).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "io/config.hpp"
#include "solvers/sgs_model.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {

ChannelGrid grid(int nx, int ny, int nz, double lx, double lz) {
  ChannelGrid g;
  g.nx = nx, g.ny = ny, g.nz = nz, g.lx = lx, g.lz = lz;
  return g;
}

/// Δ at Gauss–Lobatto index j written out: (Δx · sin(π/M) sin(π j/M) · Δz)^(1/3).
double delta_by_hand(const ChannelGrid& g, int j) {
  const int M = g.ny - 1;
  const double dy = (std::cos(M_PI * (j - 1) / M) - std::cos(M_PI * (j + 1) / M)) / 2;  // (y_{j-1} - y_{j+1})/2
  return std::cbrt(g.lx / g.nx * (j == 0 || j == M ? 0.0 : dy) * g.lz / g.nz);
}

/// Slab arrays [ny][nzp][nxp] of a ResolvedFields, filled from a function of (x, y, z).
struct Slab {
  ChannelGrid g;
  std::size_t P, N;
  std::vector<std::vector<double>> a;  // u(3), omega(3), s(5)
  explicit Slab(const ChannelGrid& gr) : g(gr), P(std::size_t(gr.nxp()) * gr.nzp()), N(P * gr.ny), a(11) {
    for (auto& v : a) v.assign(N, 0.0);
  }
  /// fn(x, y, z, u[3], G[9]) with G[3i+j] = ∂u_i/∂x_j.
  template <class F>
  void fill(F&& fn) {
    const auto y = g.y();
    for (int J = 0; J < g.ny; ++J)
      for (int k = 0; k < g.nzp(); ++k)
        for (int i = 0; i < g.nxp(); ++i) {
          const std::size_t q = J * P + std::size_t(k) * g.nxp() + i;
          double u[3], G[9];
          fn(g.lx * i / g.nxp(), y[J], g.lz * k / g.nzp(), u, G);
          for (int c = 0; c < 3; ++c) a[c][q] = u[c];
          a[3][q] = G[7] - G[5], a[4][q] = G[2] - G[6], a[5][q] = G[3] - G[1];
          a[6][q] = G[0], a[7][q] = G[4], a[8][q] = 0.5 * (G[1] + G[3]), a[9][q] = 0.5 * (G[2] + G[6]);
          a[10][q] = 0.5 * (G[5] + G[7]);
        }
  }
  ResolvedFields fields(double u_tau = 0.0) const {
    ResolvedFields f;
    for (int c = 0; c < 3; ++c) f.u[c] = a[c].data(), f.omega[c] = a[3 + c].data();
    for (int c = 0; c < 5; ++c) f.s[c] = a[6 + c].data();
    f.u_tau = u_tau;
    return f;
  }
  SgsGeometry geometry(double nu) const {
    SgsGeometry geo;
    geo.grid = g, geo.y0 = 0, geo.ny_local = g.ny, geo.nu = nu;
    return geo;
  }
};

}  // namespace

// ------------------------------------------------------------------------------ WALE kernel

TEST(Wale, ZeroForPureShear) {
  for (double a : {1.0, -3.5, 1e-3}) {
    double g[9] = {0, a, 0, 0, 0, 0, 0, 0, 0};  // u = (a y, 0, 0)
    EXPECT_EQ(wale_operator(g), 0.0);
    EXPECT_GT(strain_rate_magnitude(g), 0.0);
    double h[9] = {0, 0, 0, 0, 0, 0, 0, a, 0};  // w = a y
    EXPECT_EQ(wale_operator(h), 0.0);
    // any simple shear u = a (n·x) e with e ⟂ n: g = a e nᵀ, g² = 0
    const double e[3] = {0.6, 0.0, 0.8}, n[3] = {0.0, 1.0, 0.0};
    double s[9];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) s[3 * i + j] = a * e[i] * n[j];
    EXPECT_NEAR(wale_operator(s), 0.0, 1e-14 * std::abs(a));
  }
}

TEST(Wale, SolidBodyRotationHasTheExactNonZeroValueAndSmagorinskyVanishes) {
  // u = w (-y, x, 0): g = [[0,-w,0],[w,0,0],[0,0,0]], S = 0, g² = diag(-w²,-w²,0),
  // S^d = diag(-w²/3, -w²/3, 2w²/3), S^d:S^d = 2w⁴/3 -> OP = (S^d:S^d)^(3/2)/(S^d:S^d)^(5/4) = (2/3)^(1/4)|w|
  for (double w : {1.0, -2.5}) {
    double g[9] = {0, -w, 0, w, 0, 0, 0, 0, 0};
    EXPECT_NEAR(wale_operator(g), std::pow(2.0 / 3.0, 0.25) * std::abs(w), 1e-14 * std::abs(w));
    EXPECT_EQ(strain_rate_magnitude(g), 0.0);  // Smagorinsky's ν_t = (C_s Δ)²|S| = 0
  }
}

TEST(Wale, PureStrainByHand) {
  // g = diag(a, -a, 0): S:S = 2a², g² = diag(a², a², 0), S^d = diag(a²/3, a²/3, -2a²/3), S^d:S^d = 2a⁴/3
  const double a = 1.7;
  double g[9] = {a, 0, 0, 0, -a, 0, 0, 0, 0};
  const double sd = 2 * std::pow(a, 4) / 3, ss = 2 * a * a;
  EXPECT_NEAR(wale_operator(g), std::pow(sd, 1.5) / (std::pow(ss, 2.5) + std::pow(sd, 1.25)), 1e-14);
  EXPECT_NEAR(strain_rate_magnitude(g), 2 * a, 1e-14);
  double zero[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(wale_operator(zero), 0.0);
}

TEST(Wale, ModelOnAShearSlabIsZeroEverywhere) {
  auto g = grid(8, 9, 8, 2 * M_PI, M_PI);
  Slab s(g);
  s.fill([](double, double y, double, double* u, double* G) {
    u[0] = 1 - y * y, u[1] = u[2] = 0;
    for (int i = 0; i < 9; ++i) G[i] = 0;
    G[1] = -2 * y;
  });
  SgsParams p;
  p.model = SgsModelKind::wale;
  auto m = make_sgs_model(p, s.geometry(1e-3));
  std::vector<double> nut(s.N, 1.0), c(g.ny);
  m->eddy_viscosity(s.fields(), nut.data(), c.data());
  for (double v : nut) EXPECT_EQ(v, 0.0);
  for (double v : c) EXPECT_EQ(v, 0.325 * 0.325);
}

// ------------------------------------------------------------------------------ filter width

TEST(FilterWidth, GaussLobattoSpacingFormula) {
  auto g = grid(32, 33, 16, 4 * M_PI, 4 * M_PI / 3);
  const auto d = les_filter_width(g, FilterWidth::cube_root);
  ASSERT_EQ(int(d.size()), g.ny);
  for (int j = 0; j < g.ny; ++j) EXPECT_NEAR(d[j], delta_by_hand(g, j), 1e-14) << j;
  EXPECT_EQ(d[0], 0.0);
  EXPECT_EQ(d[g.ny - 1], 0.0);
  const auto w = les_filter_width(g, FilterWidth::wall_parallel);
  for (double v : w) EXPECT_NEAR(v, std::sqrt(g.lx / g.nx * g.lz / g.nz), 1e-15);
  EXPECT_NEAR(test_filter_width_ratio_squared(FilterWidth::cube_root), std::cbrt(16.0), 1e-14);
  EXPECT_EQ(test_filter_width_ratio_squared(FilterWidth::wall_parallel), 4.0);
}

// ------------------------------------------------------------------------------ Smagorinsky

TEST(Smagorinsky, LinearFieldWithAndWithoutDamping) {
  auto g = grid(8, 17, 6, 3.0, 1.5);
  // a linear velocity field u_i = G_ij x_j with a traceless constant gradient
  const double G[9] = {0.3, 1.2, -0.4, 0.5, -0.7, 0.9, 0.2, -1.1, 0.4};
  Slab s(g);
  s.fill([&](double x, double y, double z, double* u, double* Gq) {
    const double X[3] = {x, y, z};
    for (int i = 0; i < 3; ++i) u[i] = G[3 * i] * X[0] + G[3 * i + 1] * X[1] + G[3 * i + 2] * X[2];
    for (int i = 0; i < 9; ++i) Gq[i] = G[i];
  });
  double ss = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) ss += std::pow(0.5 * (G[3 * i + j] + G[3 * j + i]), 2);
  const double absS = std::sqrt(2 * ss);
  const double nu = 1.0 / 180, u_tau = 1.3, cs = 0.13;
  const auto y = g.y();
  for (double a_plus : {0.0, 25.0}) {
    SgsParams p;
    p.model = SgsModelKind::smagorinsky;
    p.cs = cs;
    p.van_driest_a_plus = a_plus;
    auto m = make_sgs_model(p, s.geometry(nu));
    EXPECT_EQ(m->needs_friction_velocity(), a_plus > 0);
    std::vector<double> nut(s.N), c(g.ny);
    m->eddy_viscosity(s.fields(u_tau), nut.data(), c.data());
    double worst = 0;
    for (int J = 0; J < g.ny; ++J) {
      const double yp = (1 - std::abs(y[J])) * u_tau / nu;
      const double D = a_plus > 0 ? 1 - std::exp(-yp / a_plus) : 1.0;
      const double expect = std::pow(cs * D * delta_by_hand(g, J), 2) * absS;
      EXPECT_NEAR(c[J], std::pow(cs * D, 2), 1e-15);
      for (std::size_t q = J * s.P; q < (J + 1) * s.P; ++q) worst = std::max(worst, std::abs(nut[q] - expect));
    }
    EXPECT_LT(worst, 1e-15) << "A+ = " << a_plus;
  }
  EXPECT_NEAR(van_driest_damping(25.0, 25.0), 1 - std::exp(-1.0), 1e-15);
  EXPECT_EQ(van_driest_damping(3.0, 0.0), 1.0);
}

// ------------------------------------------------------------------------------ test filter

namespace {
/// A single padded-grid Fourier mode cos(2π(i x/lx + j z/lz) + phase) on every plane.
std::vector<double> mode_field(const ChannelGrid& g, int planes, int i, int j, double phase = 0.3) {
  std::vector<double> f(std::size_t(planes) * g.nzp() * g.nxp());
  for (int p = 0; p < planes; ++p)
    for (int k = 0; k < g.nzp(); ++k)
      for (int ix = 0; ix < g.nxp(); ++ix)
        f[(std::size_t(p) * g.nzp() + k) * g.nxp() + ix] =
            (1.0 + p) * std::cos(2 * M_PI * (double(i) * ix / g.nxp() + double(j) * k / g.nzp()) + phase);
  return f;
}
double max_diff(const std::vector<double>& a, const std::vector<double>& b, double s = 1.0) {
  double d = 0;
  for (std::size_t q = 0; q < a.size(); ++q) d = std::max(d, std::abs(a[q] - s * b[q]));
  return d;
}
}  // namespace

TEST(TestFilter, SharpKeepsHalfTheResolvedBandExactly) {
  auto g = grid(16, 5, 12, 2.0, 1.0);  // keeps |i| < 4, |j| < 3
  TestFilter f(g, 3, TestFilterKind::sharp);
  for (auto [i, j, kept] : std::vector<std::tuple<int, int, bool>>{
           {0, 0, true}, {1, 0, true}, {3, 2, true}, {3, -2, true}, {4, 0, false}, {0, 3, false}, {2, -3, false},
           {7, 5, false}, {11, 0, false}}) {
    auto in = mode_field(g, 3, i, j), out = in;
    f.apply(out.data());
    EXPECT_LT(max_diff(out, in, kept ? 1.0 : 0.0), 1e-13) << i << "," << j;
    EXPECT_EQ(f.transfer(i, j), kept ? 1.0 : 0.0);
  }
  // idempotent on a mixture
  auto a = mode_field(g, 3, 1, 1), b = mode_field(g, 3, 5, 2), c = mode_field(g, 3, 2, -4);
  for (std::size_t q = 0; q < a.size(); ++q) a[q] += b[q] + c[q];
  auto once = a;
  f.apply(once.data());
  auto twice = once;
  f.apply(twice.data());
  EXPECT_LT(max_diff(once, twice), 1e-14);
}

TEST(TestFilter, BoxMultipliesEachModeBySincProduct) {
  auto g = grid(16, 5, 12, 2.0, 1.0);
  TestFilter f(g, 2, TestFilterKind::box);
  for (auto [i, j] : std::vector<std::pair<int, int>>{{0, 0}, {1, 0}, {3, 2}, {5, -4}, {8, 1}}) {
    auto in = mode_field(g, 2, i, j), out = in;
    f.apply(out.data());
    const double t = std::sin(2 * M_PI * i / 16) / (2 * M_PI * i / 16);
    const double s = std::sin(2 * M_PI * j / 12) / (2 * M_PI * j / 12);
    const double gain = (i == 0 ? 1.0 : t) * (j == 0 ? 1.0 : s);
    EXPECT_LT(max_diff(out, in, gain), 1e-13) << i << "," << j;
    EXPECT_NEAR(f.transfer(i, j), gain, 1e-15);
  }
}

// ------------------------------------------------------------------------------ dynamic model

namespace {
/// Two-scale divergence-free field: mean shear U(y), W(y) plus streamfunctions
/// ψ(x, y) (u = ψ_y, v = -ψ_x) and χ(y, z) (v += χ_z, w = -χ_y), each with one mode that
/// passes the test filter (index 1) and one it removes (index 3 of nx = nz = 8).
struct TwoScale {
  double amp = 1.0, lx = 2 * M_PI, lz = M_PI;
  void operator()(double x, double y, double z, double* u, double* G) const {
    const double a = 2 * M_PI / lx, b = 2 * M_PI / lz;
    // ψ = A1 sin(a x) (1 - y²) + A2 cos(3 a x) y (1 - y²)
    const double A1 = 0.8, A2 = 0.35, B1 = 0.6, B2 = 0.3;
    const double f1 = 1 - y * y, f1y = -2 * y, f1yy = -2;
    const double f2 = y - y * y * y, f2y = 1 - 3 * y * y, f2yy = -6 * y;
    const double s1 = std::sin(a * x), c1 = std::cos(a * x), s3 = std::sin(3 * a * x), c3 = std::cos(3 * a * x);
    const double psi_y = A1 * s1 * f1y + A2 * c3 * f2y;
    const double psi_x = A1 * a * c1 * f1 - A2 * 3 * a * s3 * f2;
    const double psi_xy = A1 * a * c1 * f1y - A2 * 3 * a * s3 * f2y;
    const double psi_yy = A1 * s1 * f1yy + A2 * c3 * f2yy;
    const double psi_xx = -A1 * a * a * s1 * f1 - A2 * 9 * a * a * c3 * f2;
    // χ = B1 cos(b z) (1 - y²) + B2 sin(3 b z) y²
    const double g1 = f1, g1y = f1y, g1yy = f1yy, g2 = y * y, g2y = 2 * y, g2yy = 2;
    const double cz = std::cos(b * z), sz = std::sin(b * z), c3z = std::cos(3 * b * z), s3z = std::sin(3 * b * z);
    const double chi_z = -B1 * b * sz * g1 + B2 * 3 * b * c3z * g2;
    const double chi_y = B1 * cz * g1y + B2 * s3z * g2y;
    const double chi_zz = -B1 * b * b * cz * g1 - B2 * 9 * b * b * s3z * g2;
    const double chi_zy = -B1 * b * sz * g1y + B2 * 3 * b * c3z * g2y;
    const double chi_yy = B1 * cz * g1yy + B2 * s3z * g2yy;
    const double U = 1.5 * y + 0.4 * y * y, Uy = 1.5 + 0.8 * y, W = -0.3 * y, Wy = -0.3;
    u[0] = amp * (U + psi_y);
    u[1] = amp * (-psi_x + chi_z);
    u[2] = amp * (W - chi_y);
    const double g[9] = {psi_xy, psi_yy + Uy, 0.0, -psi_xx, -psi_xy + chi_zy, chi_zz, 0.0, Wy - chi_yy, -chi_zy};
    for (int i = 0; i < 9; ++i) G[i] = amp * g[i];
  }
};

/// Independent evaluation of C(y) = <L_ij M_ij>/<M_ij M_ij>: analytic fields at the padded
/// points, test filter by a direct DFT over the plane.
std::vector<double> dsm_by_direct_evaluation(const ChannelGrid& g, const TwoScale& fld) {
  const int nxp = g.nxp(), nzp = g.nzp(), P = nxp * nzp;
  const auto y = g.y();
  const double alpha2 = std::cbrt(16.0);
  auto filter = [&](const std::vector<double>& f) {
    std::vector<double> out(P, 0.0);
    for (int i = -(nxp / 2); i <= nxp / 2; ++i)
      for (int j = -(nzp / 2); j <= nzp / 2; ++j) {
        if (!(4 * std::abs(i) < g.nx && 4 * std::abs(j) < g.nz)) continue;
        std::complex<double> c = 0;
        for (int k = 0; k < nzp; ++k)
          for (int ix = 0; ix < nxp; ++ix)
            c += f[k * nxp + ix] * std::exp(std::complex<double>(0, -2 * M_PI * (double(i) * ix / nxp + double(j) * k / nzp)));
        c /= double(P);
        for (int k = 0; k < nzp; ++k)
          for (int ix = 0; ix < nxp; ++ix)
            out[k * nxp + ix] += (c * std::exp(std::complex<double>(0, 2 * M_PI * (double(i) * ix / nxp + double(j) * k / nzp)))).real();
      }
    return out;
  };
  std::vector<double> C(g.ny, 0.0);
  for (int J = 0; J < g.ny; ++J) {
    const double d = delta_by_hand(g, J), d2 = d * d;
    // per point: u_i, u_i u_j, S_ij, |S| S_ij (full 3x3)
    std::vector<std::vector<double>> U(3, std::vector<double>(P)), UU(9, std::vector<double>(P)),
        S(9, std::vector<double>(P)), AS(9, std::vector<double>(P));
    for (int k = 0; k < nzp; ++k)
      for (int ix = 0; ix < nxp; ++ix) {
        const int q = k * nxp + ix;
        double u[3], G[9];
        fld(g.lx * ix / nxp, y[J], g.lz * k / nzp, u, G);
        double s[9], ss = 0;
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) s[3 * a + b] = 0.5 * (G[3 * a + b] + G[3 * b + a]), ss += s[3 * a + b] * s[3 * a + b];
        const double absS = std::sqrt(2 * ss);
        for (int a = 0; a < 3; ++a) U[a][q] = u[a];
        for (int a = 0; a < 9; ++a) UU[a][q] = u[a / 3] * u[a % 3], S[a][q] = s[a], AS[a][q] = absS * s[a];
      }
    for (auto* v : {&U, &UU, &S, &AS})
      for (auto& f : *v) f = filter(f);
    double lm = 0, mm = 0;
    for (int q = 0; q < P; ++q) {
      double ss = 0;
      for (int a = 0; a < 9; ++a) ss += S[a][q] * S[a][q];
      const double absSh = std::sqrt(2 * ss);
      for (int a = 0; a < 9; ++a) {
        const double L = UU[a][q] - U[a / 3][q] * U[a % 3][q];
        const double M = 2 * d2 * (AS[a][q] - alpha2 * absSh * S[a][q]);
        lm += L * M, mm += M * M;
      }
    }
    C[J] = mm > 0 ? lm / mm : 0.0;
  }
  return C;
}
}  // namespace

TEST(DynamicSmagorinsky, CoefficientEqualsDirectEvaluationForATwoScaleField) {
  auto g = grid(8, 9, 8, 2 * M_PI, M_PI);
  TwoScale fld;
  Slab s(g);
  s.fill(fld);
  SgsParams p;
  p.model = SgsModelKind::dsm;
  const double nu = 1e-3;
  auto m = make_sgs_model(p, s.geometry(nu));
  EXPECT_TRUE(m->needs_velocity());
  std::vector<double> nut(s.N), c(g.ny);
  m->eddy_viscosity(s.fields(), nut.data(), c.data());
  const auto ref = dsm_by_direct_evaluation(g, fld);
  double scale = 0;
  for (double v : ref) scale = std::max(scale, std::abs(v));
  ASSERT_GT(scale, 1e-5);  // a non-trivial coefficient
  int nonzero = 0;
  for (int J = 0; J < g.ny; ++J) {
    EXPECT_NEAR(c[J], ref[J], 1e-12 * scale) << "plane " << J;
    nonzero += std::abs(ref[J]) > 1e-6 * scale;
  }
  EXPECT_GE(nonzero, g.ny - 2);  // all but the wall planes (Δ = 0 there)
  EXPECT_EQ(c[0], 0.0);
  EXPECT_EQ(c[g.ny - 1], 0.0);
  // ν_t = max(C Δ² |S|, -ν) pointwise
  const auto d = les_filter_width(g, FilterWidth::cube_root);
  for (int J = 0; J < g.ny; ++J)
    for (std::size_t q = J * s.P; q < (J + 1) * s.P; ++q) {
      double G[9];
      s.fields().gradient(q, G);
      EXPECT_NEAR(nut[q], std::max(c[J] * d[J] * d[J] * strain_rate_magnitude(G), -nu), 1e-14);
    }
  // the coefficient does not depend on the velocity scale (L and M are both quadratic)
  TwoScale big = fld;
  big.amp = 7.0;
  Slab s7(g);
  s7.fill(big);
  std::vector<double> nut7(s.N), c7(g.ny);
  auto m7 = make_sgs_model(p, s7.geometry(nu));
  m7->eddy_viscosity(s7.fields(), nut7.data(), c7.data());
  for (int J = 0; J < g.ny; ++J) EXPECT_NEAR(c7[J], c[J], 1e-12 * scale);
}

TEST(DynamicSmagorinsky, TotalViscosityNeverNegative) {
  // random resolved fields: some planes get C < 0 (backscatter); the clip must hold ν + ν_t >= 0
  auto g = grid(16, 17, 12, 2 * M_PI, M_PI);
  std::mt19937 rng(7);
  std::normal_distribution<double> N01;
  const double nu = 1e-4;
  int negative_planes = 0, clipped_planes = 0;
  for (int trial = 0; trial < 4; ++trial) {
    // u = Σ random modes of a divergence-free form (ψ(x,y), χ(y,z) as above, several modes)
    struct Mode { int i; double a, ph; int p; };
    std::vector<Mode> modes;
    for (int r = 0; r < 10; ++r) modes.push_back({1 + r % 7, N01(rng), 6.283 * (r * 0.37 + trial), r % 3});
    Slab s(g);
    s.fill([&](double x, double y, double z, double* u, double* G) {
      for (int c = 0; c < 3; ++c) u[c] = 0;
      for (int c = 0; c < 9; ++c) G[c] = 0;
      for (const auto& m : modes) {
        const double k = 2 * M_PI * m.i / g.lx, kz = 2 * M_PI * m.i / g.lz;
        const double py = std::pow(y, m.p), pyy = m.p ? m.p * std::pow(y, m.p - 1) : 0.0;
        const double pyyy = m.p > 1 ? m.p * (m.p - 1) * std::pow(y, m.p - 2) : 0.0;
        // ψ = a sin(k x + ph) y^p: u = ψ_y, v = -ψ_x
        const double s1 = std::sin(k * x + m.ph), c1 = std::cos(k * x + m.ph);
        u[0] += m.a * s1 * pyy, u[1] -= m.a * k * c1 * py;
        G[0] += m.a * k * c1 * pyy, G[1] += m.a * s1 * pyyy, G[3] += m.a * k * k * s1 * py, G[4] -= m.a * k * c1 * pyy;
        // χ = a cos(kz z + ph) y^p: v += χ_z, w = -χ_y
        const double s2 = std::sin(kz * z + m.ph), c2 = std::cos(kz * z + m.ph);
        u[1] -= m.a * kz * s2 * py, u[2] -= m.a * c2 * pyy;
        G[4] -= m.a * kz * s2 * pyy, G[5] -= m.a * kz * kz * c2 * py, G[7] -= m.a * c2 * pyyy, G[8] += m.a * kz * s2 * pyy;
      }
    });
    SgsParams p;
    p.model = SgsModelKind::dsm;
    p.dsm_test_filter = trial % 2 ? TestFilterKind::box : TestFilterKind::sharp;
    auto m = make_sgs_model(p, s.geometry(nu));
    std::vector<double> nut(s.N), c(g.ny);
    m->eddy_viscosity(s.fields(), nut.data(), c.data());
    for (int J = 0; J < g.ny; ++J) {
      double lo = 1e300;
      for (std::size_t q = J * s.P; q < (J + 1) * s.P; ++q) lo = std::min(lo, nu + nut[q]);
      EXPECT_GE(lo, 0.0) << "trial " << trial << " plane " << J;
      negative_planes += c[J] < 0;
      clipped_planes += lo == 0.0;
    }
  }
  EXPECT_GT(negative_planes, 0) << "no backscatter plane: the clip was not exercised";
  EXPECT_GT(clipped_planes, 0) << "the clip never acted";
}

TEST(SgsParams, KeysAndErrors) {
  auto cfg = iff::Config::from_string("sgs: {model: dsm, cs: 0.12, dsm: {test_filter: box}, filter_width: wall_parallel}",
                                      "test");
  auto p = SgsParams::from(cfg.section("sgs"));
  EXPECT_EQ(p.model, SgsModelKind::dsm);
  EXPECT_EQ(p.cs, 0.12);
  EXPECT_EQ(p.cw, 0.325);
  EXPECT_EQ(p.van_driest_a_plus, 25.0);
  EXPECT_EQ(p.dsm_test_filter, TestFilterKind::box);
  EXPECT_EQ(p.filter_width, FilterWidth::wall_parallel);
  EXPECT_NO_THROW(cfg.reject_unknown());
  auto none = SgsParams::from(iff::Config::from_string("grid: {nx: 8}", "test").section("sgs"));
  EXPECT_FALSE(none.active());
  auto bad = iff::Config::from_string("sgs: {model: vreman}", "test");
  try {
    SgsParams::from(bad.section("sgs"));
    FAIL() << "unknown model accepted";
  } catch (const iff::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sgs.model"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("vreman"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("none, smagorinsky, dsm, wale"), std::string::npos) << e.what();
  }
  auto typo = iff::Config::from_string("sgs: {model: wale, cw_typo: 0.5}", "test");
  SgsParams::from(typo.section("sgs"));
  EXPECT_THROW(typo.reject_unknown(), iff::ConfigError);
  EXPECT_THROW(SgsParams::from(iff::Config::from_string("sgs: {cs: -1}", "t").section("sgs")), iff::InputError);
}

// The spellings are those of case files and of outputs (the sgs_model attribute, les-<model> kinds).
TEST(SgsParams, NamesSpellTheCaseKeys) {
  EXPECT_EQ(kSgsModelKindNames.spellings(), (std::vector<std::string>{"none", "smagorinsky", "dsm", "wale"}));
  EXPECT_EQ(to_string(SgsModelKind::smagorinsky), "smagorinsky");
  EXPECT_EQ(kFilterWidthNames.spellings(), (std::vector<std::string>{"cube_root", "wall_parallel"}));
  EXPECT_EQ(kTestFilterKindNames.spellings(), (std::vector<std::string>{"sharp", "box"}));
  EXPECT_EQ(kTestFilterKindNames.name(TestFilterKind::box), "box");
}
