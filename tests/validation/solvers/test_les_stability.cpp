// LES at Re_tau = 180 on the coarse grid 32 × 33 × 16 (box 4π × 2 × 4π/3, the published
// coarse set) runs stably with each SGS model from a turbulent-like state (Reichardt mean
// profile + random fluctuations, les_test_state.hpp), at the dt of cases/re180/les-*.yaml:
// finite state, CFL below 1, divergence at round-off, bulk velocity held, fluctuation
// energy within a band, Re_tau plausible, total viscosity ν + ν_t ≥ 0, and an eddy
// viscosity that is positive on average away from the walls.
// CI runs 200 steps (IFF_LES_STEPS overrides; bench/les/les_stability.sh runs the full 2,000).
// IFF_LES_RE = 395 or 590 runs the grid, box, bulk velocity and dt of cases/re395|re590/les-*.yaml.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "solvers/channel_diagnostics.hpp"
#include "solvers/sgs_profiles.hpp"
#include "tests/support/test_support.hpp"
#include "tests/validation/solvers/les_test_state.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {
long steps_from_env(long fallback) {
  const char* s = std::getenv("IFF_LES_STEPS");
  return s ? std::atol(s) : fallback;
}
double dt_from_env(double fallback) {
  const char* s = std::getenv("IFF_LES_DT");
  return s ? std::atof(s) : fallback;
}
}  // namespace

class LesStability : public ::testing::TestWithParam<SgsModelKind> {};

TEST_P(LesStability, Re180CoarseGridRunsStably) {
  const char* re_env = std::getenv("IFF_LES_RE");
  const int re = re_env ? std::atoi(re_env) : 180;
  ChannelGrid g;
  ChannelPhysics ph;
  double dt_case = 0.0025;  // cases/re180/les-*.yaml
  g.nx = 32, g.ny = 33, g.nz = 16, g.lx = 4 * M_PI, g.lz = 4 * M_PI / 3, ph.bulk_velocity = 15.68;
  if (re == 395) g.nx = 64, g.ny = 49, g.nz = 24, g.lx = 2 * M_PI, g.lz = M_PI, ph.bulk_velocity = 17.5, dt_case = 0.0005;
  if (re == 590) g.nx = 96, g.ny = 65, g.nz = 48, g.lx = 2 * M_PI, g.lz = M_PI, ph.bulk_velocity = 18.5, dt_case = 0.0004;
  ph.nu = 1.0 / re;
  ph.driving = Driving::bulk_velocity;
  ph.sgs.model = GetParam();
  if (const char* cs = std::getenv("IFF_LES_CS")) ph.sgs.cs = std::atof(cs);  // diagnostics: C_s = 0 is the DNS
  ChannelNSE nse(g, ph, MPI_COMM_WORLD);
  const cvec x0 = iff::test::turbulent_like_state(nse, re, 1.5, 3);
  const double dt = dt_from_env(dt_case);
  const long steps = steps_from_env(200);
  Sbdf s(nse, dt, 3, 8);
  s.start(x0);
  const double e0 = fluctuation_energy(nse, x0);
  double cfl = 0, emin = 1e300, emax = 0;
  while (s.step_count() < steps) {
    s.step();
    const auto& d = nse.last_diagnostics();
    ASSERT_TRUE(std::isfinite(d.kinetic_energy)) << "step " << s.step_count();
    cfl = std::max(cfl, d.cfl_rate * dt);
    if (s.step_count() % 20 == 0) {
      const double e = fluctuation_energy(nse, s.state());
      emin = std::min(emin, e), emax = std::max(emax, e);
      if (std::getenv("IFF_LES_VERBOSE") && iff::test::rank() == 0)
        std::printf("  step %ld: CFL %.3f E' %.4f\n", s.step_count(), d.cfl_rate * dt, e);
    }
  }
  const cvec& x = s.state();
  ASSERT_TRUE(finite(nse, x));
  const double ef = fluctuation_energy(nse, x);
  const double re_tau = std::sqrt(wall_shear(nse, x)) * re;
  const auto p = sgs_profiles(nse, x);
  double nut_core = 0, nmin = 1e300;
  int n_core = 0;
  const auto y = g.y();
  for (int j = 0; j < g.ny; ++j) {
    nmin = std::min(nmin, p.nu_total_min[j]);
    if (std::abs(y[j]) < 0.8) nut_core += p.nu_t[j], ++n_core;
  }
  nut_core /= n_core;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf("Re_tau %d grid %dx%dx%d %s: %ld steps dt %.4g: max CFL %.3f, E' %.3f -> %.3f (range %.3f..%.3f), Re_tau %.1f, "
                "<nu_t>/nu (|y|<0.8) %.3f, min(nu+nu_t)/nu %.3f, max|div| %.1e\n",
                re, g.nx, g.ny, g.nz, to_string(GetParam()).c_str(), steps, dt, cfl, e0, ef, emin, emax, re_tau, nut_core / ph.nu,
                nmin / ph.nu, max_divergence(nse, x));
  EXPECT_LT(cfl, 1.0);
  EXPECT_LT(max_divergence(nse, x), 1e-9);
  EXPECT_NEAR(bulk_velocity(nse, x), ph.bulk_velocity, 1e-9);
  EXPECT_GT(emin, 0.05 * e0);
  EXPECT_LT(emax, 20.0 * e0);
  EXPECT_GT(re_tau, 0.5 * re);
  EXPECT_LT(re_tau, 2.0 * re);
  EXPECT_GE(nmin, 0.0);
  EXPECT_GT(nut_core, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Models, LesStability,
                         ::testing::Values(SgsModelKind::smagorinsky, SgsModelKind::dsm, SgsModelKind::wale),
                         [](const auto& info) { return to_string(info.param); });
