// The LES gives the same result on any number of ranks: for each SGS model a short run on
// MPI_COMM_WORLD is compared with the same run on MPI_COMM_SELF inside this process (fields,
// diagnostics, SGS force and the SGS plane profiles); a checkpoint restart of an LES
// continues bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "solvers/channel_diagnostics.hpp"
#include "solvers/channel_dns.hpp"
#include "solvers/initial_conditions.hpp"
#include "solvers/sgs_profiles.hpp"
#include "tests/support/test_support.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {
struct RunResult {
  std::vector<double> field;  // gathered [nx][ny][nz][3] on rank 0
  double ke = 0, ub = 0;
  SgsProfiles prof;
};

ChannelPhysics les_physics(SgsModelKind model) {
  ChannelPhysics ph;
  ph.nu = 1.0 / 4200.0;
  ph.driving = Driving::bulk_velocity;
  ph.bulk_velocity = 2.0 / 3.0;
  ph.sgs.model = model;
  ph.sgs.van_driest_a_plus = 25.0;
  return ph;
}

RunResult run(MPI_Comm comm, const ChannelGrid& g, SgsModelKind model, int steps) {
  ChannelNSE nse(g, les_physics(model), comm);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.3, 11);
  Sbdf s(nse, 0.02, 3, 4);
  s.start(x);
  while (s.step_count() < steps) s.step();
  RunResult r;
  r.field = gather_velocity(nse, s.state());
  r.ke = nse.last_diagnostics().kinetic_energy;
  r.ub = bulk_velocity(nse, s.state());
  r.prof = sgs_profiles(nse, s.state());
  return r;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}
double max_abs(const std::vector<double>& a) {
  double d = 0;
  for (double v : a) d = std::max(d, std::abs(v));
  return d;
}
}  // namespace

class LesMpi : public ::testing::TestWithParam<SgsModelKind> {};

TEST_P(LesMpi, RanksGiveTheSameFieldsAndProfiles) {
  ChannelGrid g;
  g.nx = 16, g.ny = 33, g.nz = 12, g.lx = M_PI, g.lz = 0.3 * M_PI;
  const RunResult par = run(MPI_COMM_WORLD, g, GetParam(), 20);
  const RunResult ser = run(MPI_COMM_SELF, g, GetParam(), 20);
  const int rank = iff::test::rank(), size = iff::test::size();
  if (rank == 0) {
    ASSERT_EQ(par.field.size(), ser.field.size());
    const double diff = max_abs_diff(par.field, ser.field), mag = max_abs(ser.field);
    std::printf("%s ranks=%d: max |u_par - u_ser| = %.3e (max |u| = %.3f)\n", to_string(GetParam()).c_str(), size,
                diff, mag);
    EXPECT_LE(diff, 1e-12 * mag);
    EXPECT_GT(mag, 0.5);
  }
  EXPECT_NEAR(par.ke, ser.ke, 1e-13 * ser.ke);
  EXPECT_NEAR(par.ub, ser.ub, 1e-14);
  const double nmag = max_abs(ser.prof.nu_t);
  EXPECT_GT(nmag, 0.0);
  EXPECT_LE(max_abs_diff(par.prof.nu_t, ser.prof.nu_t), 1e-10 * nmag);
  EXPECT_LE(max_abs_diff(par.prof.dissipation, ser.prof.dissipation), 1e-10 * max_abs(ser.prof.dissipation));
  EXPECT_LE(max_abs_diff(par.prof.coefficient, ser.prof.coefficient), 1e-10 * max_abs(ser.prof.coefficient));
  for (double v : par.prof.nu_total_min) EXPECT_GE(v, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Models, LesMpi,
                         ::testing::Values(SgsModelKind::smagorinsky, SgsModelKind::dsm, SgsModelKind::wale),
                         [](const auto& info) { return to_string(info.param); });

TEST(LesMpi, SgsForceIndependentOfRanks) {
  ChannelGrid g;
  g.nx = 16, g.ny = 25, g.nz = 12, g.lx = M_PI, g.lz = 0.3 * M_PI;
  auto force = [&](MPI_Comm comm) {
    ChannelNSE nse(g, les_physics(SgsModelKind::dsm), comm);
    cvec x = laminar_state(nse, 1.0);
    add_random_perturbation(nse, x, 0.3, 5);
    std::vector<cplx> f(std::size_t(nse.nm_local()) * g.ny * 3);
    nse.sgs_force(x, f.data());
    // gather the modes to rank 0 of comm in mode order
    int size = 1, r = 0;
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &r);
    const int mine = int(f.size()) * 2;
    std::vector<int> counts(size), displs(size);
    MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
    for (int q = 1; q < size; ++q) displs[q] = displs[q - 1] + counts[q - 1];
    std::vector<double> all(std::size_t(g.nmodes()) * g.ny * 3 * 2);
    MPI_Gatherv(f.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, comm);
    return all;
  };
  const auto par = force(MPI_COMM_WORLD), ser = force(MPI_COMM_SELF);
  if (iff::test::rank() == 0) {
    const double mag = max_abs(ser);
    EXPECT_GT(mag, 0.0);
    EXPECT_LE(max_abs_diff(par, ser), 1e-12 * mag);
  }
}

TEST(LesMpi, CheckpointRestartContinuesBitForBit) {
  ChannelGrid g;
  g.nx = 8, g.ny = 25, g.nz = 8, g.lx = M_PI, g.lz = 0.3 * M_PI;
  const auto ph = les_physics(SgsModelKind::dsm);
  const std::string path = iff::test::temp_dir("les_restart") + "/checkpoint.h5";
  cvec reference;
  {
    ChannelNSE nse(g, ph, MPI_COMM_WORLD);
    cvec x = laminar_state(nse, 1.0);
    add_random_perturbation(nse, x, 0.3, 5);
    Sbdf s(nse, 0.02, 3, 4);
    s.start(x);
    while (s.step_count() < 10) s.step();
    write_checkpoint(path, nse, s.history(), 0.02, "test: les");
    while (s.step_count() < 25) s.step();
    reference = s.state();
  }
  ChannelNSE nse(g, ph, MPI_COMM_WORLD);
  double dt = 0.0;
  const SbdfHistory h = read_checkpoint(path, nse, &dt);
  Sbdf s(nse, dt, 3, 4);
  s.resume(h);
  while (s.step_count() < 25) s.step();
  long differ = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) differ += (s.state()[i] != reference[i]);
  EXPECT_EQ(differ, 0) << "LES restart is not bit-for-bit";
}
