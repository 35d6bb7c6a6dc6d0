// The SGS models inside the channel solver (ChannelNSE with physics.sgs):
//  - Smagorinsky's plane-averaged ν_t of a Couette field U = a y + b, W = c y equals
//    (C_s Δ)² (a² + c²)^(1/2) and, with van Driest damping, that of Poiseuille flow equals
//    (C_s D Δ)² |2 U_c y| with u_τ from the wall shear;
//  - WALE gives ν_t = 0 and no force for Poiseuille flow (a pure shear at every y);
//  - the SGS force ∂_j(2 ν_t S_ij) converges spectrally to its analytic value: for
//    u = A (e1 sin φ + e2 cos φ), φ = k·x, e1, e2, k orthogonal, |S| = A|k| is constant, so
//    with Smagorinsky (Δ = (Δx Δz)^(1/2), no damping) f = (C_s Δ)² A|k| ∇²u = −(C_s Δ)² A |k|³ u;
//  - an LES with C_s = 0 has the DNS's explicit terms (to round-off), and the DSM keeps the
//    total viscosity non-negative on a perturbed channel state;
//  - the profiles are the plane sums of ChannelNSE::evaluate_sgs, which a DNS does not have.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "io/error.hpp"
#include "solvers/initial_conditions.hpp"
#include "solvers/sgs_profiles.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {

ChannelGrid grid(int nx, int ny, int nz, double lx, double lz) {
  ChannelGrid g;
  g.nx = nx, g.ny = ny, g.nz = nz, g.lx = lx, g.lz = lz;
  return g;
}

ChannelPhysics physics(SgsModelKind model, double nu, double a_plus = 0.0) {
  ChannelPhysics ph;
  ph.nu = nu;
  ph.sgs.model = model;
  ph.sgs.cs = 0.17;
  ph.sgs.van_driest_a_plus = a_plus;
  return ph;
}

/// Sets the mean mode (U, W Chebyshev coefficients) on the rank that holds it.
void set_mean(const ChannelNSE& nse, cvec& x, std::vector<double> U, std::vector<double> W) {
  x.assign(nse.state_size(), 0.0);
  if (nse.m0() != 0 || nse.nm_local() == 0) return;
  for (std::size_t k = 0; k < U.size(); ++k) x[nse.index(0, 0, int(k))] = U[k];
  for (std::size_t k = 0; k < W.size(); ++k) x[nse.index(0, 1, int(k))] = W[k];
}

}  // namespace

TEST(LesChannel, SmagorinskyCouetteProfile) {
  auto g = grid(8, 17, 8, 2 * M_PI, M_PI);
  const double nu = 1e-3, a = 2.0, b = 0.5, c = -0.7;
  ChannelNSE nse(g, physics(SgsModelKind::smagorinsky, nu), MPI_COMM_WORLD);
  cvec x;
  set_mean(nse, x, {b, a}, {0.0, c});  // U = b + a y, W = c y
  const auto p = sgs_profiles(nse, x);
  const auto d = les_filter_width(g, FilterWidth::cube_root);
  for (int j = 0; j < g.ny; ++j) {
    EXPECT_NEAR(p.nu_t[j], std::pow(0.17 * d[j], 2) * std::hypot(a, c), 1e-15) << j;
    EXPECT_NEAR(p.coefficient[j], 0.17 * 0.17, 1e-16);
    // ε = 2 ν_t S_ij S_ij = ν_t (a² + c²)
    EXPECT_NEAR(p.dissipation[j], p.nu_t[j] * (a * a + c * c), 1e-14);
    EXPECT_GE(p.nu_total_min[j], nu);
  }
  // the field itself is uniform on each plane
  const auto nut = eddy_viscosity(nse, x);
  const std::size_t P = std::size_t(g.nxp()) * g.nzp();
  for (std::size_t q = 0; q < nut.size(); ++q) {
    const int J = nse.transform().y0() + int(q / P);
    EXPECT_NEAR(nut[q], p.nu_t[J], 1e-15);
  }
}

TEST(LesChannel, SmagorinskyVanDriestPoiseuilleProfile) {
  auto g = grid(8, 33, 8, 2 * M_PI, M_PI);
  const double nu = 1.0 / 180, uc = 90.0;  // wall units: U = 90 (1 - y²), u_τ = 1
  ChannelNSE nse(g, physics(SgsModelKind::smagorinsky, nu, 25.0), MPI_COMM_WORLD);
  const cvec x = laminar_state(nse, uc);
  const double u_tau = std::sqrt(nu * 2 * uc);
  const auto p = sgs_profiles(nse, x);
  const auto d = les_filter_width(g, FilterWidth::cube_root);
  const auto y = g.y();
  for (int j = 0; j < g.ny; ++j) {
    const double D = 1 - std::exp(-(1 - std::abs(y[j])) * u_tau / nu / 25.0);
    EXPECT_NEAR(p.coefficient[j], std::pow(0.17 * D, 2), 1e-14) << j;
    EXPECT_NEAR(p.nu_t[j], std::pow(0.17 * D * d[j], 2) * std::abs(2 * uc * y[j]), 1e-12 * uc) << j;
  }
  // near the wall the damping makes ν_t ~ y+² smaller than undamped
  EXPECT_LT(p.coefficient[1], 0.01 * 0.17 * 0.17);
}

TEST(LesChannel, WaleVanishesForPoiseuilleFlow) {
  auto g = grid(8, 25, 8, 2 * M_PI, M_PI);
  ChannelNSE nse(g, physics(SgsModelKind::wale, 1e-3), MPI_COMM_WORLD);
  const cvec x = laminar_state(nse, 1.0);
  const auto nut = eddy_viscosity(nse, x);
  for (double v : nut) EXPECT_EQ(v, 0.0);
  std::vector<cplx> f(std::size_t(nse.nm_local()) * g.ny * 3);
  nse.sgs_force(x, f.data());
  for (auto v : f) EXPECT_EQ(std::abs(v), 0.0);
}

namespace {
/// Max over coefficients of |f - expected(u)| / max|f| for the circularly polarised wave.
double force_error(int ny, bool mean_mode) {
  const double lx = 2 * M_PI, lz = M_PI, A = 0.8, beta = 1.3, cs = 0.2;
  auto g = grid(8, ny, 8, lx, lz);
  ChannelPhysics ph = physics(SgsModelKind::smagorinsky, 1e-3);
  ph.sgs.cs = cs;
  ph.sgs.filter_width = FilterWidth::wall_parallel;
  ChannelNSE nse(g, ph, MPI_COMM_WORLD);
  // k = (kx, β, kz); e1 ⟂ k, e2 = k × e1 / |k|
  const double k[3] = {mean_mode ? 0.0 : 2 * M_PI / lx, beta, mean_mode ? 0.0 : 2 * M_PI / lz};
  const double kn = std::sqrt(k[0] * k[0] + k[1] * k[1] + k[2] * k[2]);
  double e1[3] = {k[1], -k[0], 0.0};
  if (mean_mode) e1[0] = 1.0, e1[1] = 0.0;
  const double n1 = std::sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  for (double& v : e1) v /= n1;
  const double e2[3] = {(k[1] * e1[2] - k[2] * e1[1]) / kn, (k[2] * e1[0] - k[0] * e1[2]) / kn,
                        (k[0] * e1[1] - k[1] * e1[0]) / kn};
  std::vector<double> field;  // rank 0: [nx][ny][nz][3], y ascending
  auto y = g.y();
  std::reverse(y.begin(), y.end());
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    field.resize(std::size_t(g.nx) * ny * g.nz * 3);
    for (int i = 0; i < g.nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int l = 0; l < g.nz; ++l) {
          const double phase = k[0] * lx * i / g.nx + k[1] * y[j] + k[2] * lz * l / g.nz;
          for (int c = 0; c < 3; ++c)
            field[((std::size_t(i) * ny + j) * g.nz + l) * 3 + c] = A * (e1[c] * std::sin(phase) + e2[c] * std::cos(phase));
        }
  }
  cvec x;
  state_from_physical(nse, field, g.nx, ny, g.nz, x);
  std::vector<cplx> f(std::size_t(nse.nm_local()) * ny * 3), u(f.size());
  nse.sgs_force(x, f.data());
  nse.velocity_coefficients(x, u.data());
  const double delta2 = lx / g.nx * lz / g.nz;
  const double factor = -cs * cs * delta2 * A * kn * kn * kn;
  double err = 0, mag = 0;
  for (std::size_t q = 0; q < f.size(); ++q) {
    err = std::max(err, std::abs(f[q] - factor * u[q]));
    mag = std::max(mag, std::abs(f[q]));
  }
  MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &mag, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_GT(mag, 0.1 * std::abs(factor) * A);
  return err / mag;
}
}  // namespace

TEST(LesChannel, SgsForceConvergesSpectrallyToTheAnalyticDivergence) {
  // exponential convergence down to the round-off plateau of two Chebyshev derivatives
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (bool mean : {false, true}) {
    double prev = 1.0, best = 1.0, last = 1.0;
    if (rank == 0) std::printf("%s wave: ", mean ? "mean-mode" : "oblique");
    for (int ny : {9, 13, 17, 25, 33}) {
      const double e = force_error(ny, mean);
      if (rank == 0) std::printf("ny=%d rel.err %.2e  ", ny, e);
      if (prev > 1e-10) {
        EXPECT_LT(e, 1e-2 * prev) << "ny = " << ny;
      }
      prev = e, best = std::min(best, e), last = e;
    }
    if (rank == 0) std::printf("\n");
    EXPECT_LT(best, 1e-11);
    EXPECT_LT(last, 1e-9);
  }
}

TEST(LesChannel, ZeroSmagorinskyConstantGivesTheDnsExplicitTerms) {
  auto g = grid(16, 25, 12, M_PI, 0.3 * M_PI);
  ChannelPhysics dns;
  dns.nu = 1.0 / 4200;
  ChannelPhysics les = physics(SgsModelKind::smagorinsky, dns.nu);
  les.sgs.cs = 0.0;
  ChannelNSE a(g, dns, MPI_COMM_WORLD), b(g, les, MPI_COMM_WORLD);
  cvec x = laminar_state(a, 1.0);
  add_random_perturbation(a, x, 0.3, 4);
  cvec na, nb;
  a.explicit_terms(x, na);
  b.explicit_terms(x, nb);
  ASSERT_EQ(na.size(), nb.size());
  double err = 0, mag = 0;
  for (std::size_t q = 0; q < na.size(); ++q) err = std::max(err, std::abs(na[q] - nb[q])), mag = std::max(mag, std::abs(na[q]));
  EXPECT_LE(err, 1e-13 * mag);
  EXPECT_EQ(a.last_diagnostics().kinetic_energy, b.last_diagnostics().kinetic_energy);
  // and a non-zero constant changes them
  les.sgs.cs = 0.1;
  ChannelNSE c(g, les, MPI_COMM_WORLD);
  cvec nc;
  c.explicit_terms(x, nc);
  double diff = 0;
  for (std::size_t q = 0; q < na.size(); ++q) diff = std::max(diff, std::abs(na[q] - nc[q]));
  MPI_Allreduce(MPI_IN_PLACE, &diff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_GT(diff, 1e-6 * mag);
}

TEST(LesChannel, DsmTotalViscosityNonNegativeOnAPerturbedState) {
  auto g = grid(16, 33, 12, M_PI, 0.3 * M_PI);
  ChannelPhysics ph = physics(SgsModelKind::dsm, 1.0 / 4200);
  ChannelNSE nse(g, ph, MPI_COMM_WORLD);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.4, 2);
  const auto p = sgs_profiles(nse, x);
  for (int j = 0; j < g.ny; ++j) EXPECT_GE(p.nu_total_min[j], 0.0) << j;
  EXPECT_EQ(p.coefficient[0], 0.0);
  EXPECT_EQ(p.coefficient[g.ny - 1], 0.0);
}

TEST(LesChannel, ProfilesAreTheEvaluationsPlaneSums) {
  auto g = grid(8, 17, 8, 2 * M_PI, M_PI);
  const double nu = 1.0 / 4200;
  ChannelNSE nse(g, physics(SgsModelKind::smagorinsky, nu, 25.0), MPI_COMM_WORLD);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.3, 3);
  const auto p = sgs_profiles(nse, x);
  const auto nut = eddy_viscosity(nse, x);
  const SgsEvaluation& e = nse.evaluate_sgs(x);
  const int y0 = nse.transform().y0(), nyl = nse.transform().ny_local();
  ASSERT_EQ(e.nu_t, nut);
  ASSERT_EQ(int(e.plane_nu_t.size()), nyl);
  const std::size_t P = nse.transform().phys_plane();
  for (int jl = 0; jl < nyl; ++jl) {
    EXPECT_EQ(p.nu_t[y0 + jl], e.plane_nu_t[jl]) << jl;
    EXPECT_EQ(p.dissipation[y0 + jl], e.plane_dissipation[jl]) << jl;
    EXPECT_EQ(p.coefficient[y0 + jl], e.coefficient[jl]) << jl;
    EXPECT_EQ(p.nu_total_min[y0 + jl], e.plane_nu_total_min[jl]) << jl;
    const double lo = *std::min_element(nut.begin() + jl * P, nut.begin() + (jl + 1) * P);
    EXPECT_EQ(e.plane_nu_total_min[jl], nu + lo) << jl;
  }
  EXPECT_GT(*std::max_element(p.nu_t.begin(), p.nu_t.end()), 0.0);
}

TEST(LesChannel, DnsHasNoSgsEvaluation) {
  auto g = grid(8, 17, 8, 2 * M_PI, M_PI);
  ChannelNSE nse(g, physics(SgsModelKind::none, 1e-3), MPI_COMM_WORLD);
  const cvec x = laminar_state(nse, 1.0);
  EXPECT_THROW(nse.evaluate_sgs(x), iff::InputError);
  EXPECT_TRUE(eddy_viscosity(nse, x).empty());
  const auto p = sgs_profiles(nse, x);
  for (int j = 0; j < g.ny; ++j) {
    EXPECT_EQ(p.nu_t[j], 0.0);
    EXPECT_EQ(p.nu_total_min[j], 1e-3);
  }
}
