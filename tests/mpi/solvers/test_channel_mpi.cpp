// The slab-decomposed DNS gives the same fields on any number of ranks: the run on
// MPI_COMM_WORLD is compared with the same run on MPI_COMM_SELF inside this process.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "solvers/channel_diagnostics.hpp"
#include "solvers/channel_dns.hpp"
#include "solvers/initial_conditions.hpp"
#include "tests/support/test_support.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {
struct RunResult {
  std::vector<double> field;  // gathered [nx][ny][nz][3] on rank 0
  double ke = 0, ub = 0, tau = 0, div = 0;
};

RunResult run(MPI_Comm comm, const ChannelGrid& g, int steps) {
  ChannelPhysics ph;
  ph.nu = 1.0 / 4200.0;
  ph.driving = Driving::bulk_velocity;
  ph.bulk_velocity = 2.0 / 3.0;
  ChannelNSE nse(g, ph, comm);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.3, 11);
  Sbdf s(nse, 0.02, 3, 4);
  s.start(x);
  while (s.step_count() < steps) s.step();
  RunResult r;
  r.field = gather_velocity(nse, s.state());
  r.ke = nse.last_diagnostics().kinetic_energy;
  r.ub = bulk_velocity(nse, s.state());
  r.tau = wall_shear(nse, s.state());
  r.div = max_divergence(nse, s.state());
  return r;
}
}  // namespace

TEST(ChannelMpi, RanksGiveTheSameFields) {
  ChannelGrid g;
  g.nx = 16, g.ny = 33, g.nz = 12, g.lx = M_PI, g.lz = 0.3 * M_PI;
  const RunResult par = run(MPI_COMM_WORLD, g, 30);
  const RunResult ser = run(MPI_COMM_SELF, g, 30);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0) {
    ASSERT_EQ(par.field.size(), ser.field.size());
    double diff = 0.0, mag = 0.0;
    for (std::size_t i = 0; i < par.field.size(); ++i) {
      diff = std::max(diff, std::abs(par.field[i] - ser.field[i]));
      mag = std::max(mag, std::abs(ser.field[i]));
    }
    std::printf("ranks=%d: max |u_par - u_ser| = %.3e (max |u| = %.3f)\n", size, diff, mag);
    EXPECT_LE(diff, 1e-13 * mag);
    EXPECT_GT(mag, 0.5);
  }
  EXPECT_NEAR(par.ke, ser.ke, 1e-14 * ser.ke);
  EXPECT_NEAR(par.ub, ser.ub, 1e-14);
  EXPECT_NEAR(par.tau, ser.tau, 1e-11 * std::abs(ser.tau));  // wall derivative amplifies round-off
  EXPECT_LT(par.div, 1e-11);
}

TEST(ChannelMpi, CheckpointRestartContinuesBitForBit) {
  ChannelGrid g;
  g.nx = 8, g.ny = 25, g.nz = 8, g.lx = M_PI, g.lz = 0.3 * M_PI;
  ChannelPhysics ph;
  ph.nu = 1.0 / 4200.0;
  ph.driving = Driving::bulk_velocity;
  const std::string path = iff::test::temp_dir("dns_restart") + "/checkpoint.h5";
  cvec reference;
  {
    ChannelNSE nse(g, ph, MPI_COMM_WORLD);
    cvec x = laminar_state(nse, 1.0);
    add_random_perturbation(nse, x, 0.3, 5);
    Sbdf s(nse, 0.02, 3, 4);
    s.start(x);
    while (s.step_count() < 10) s.step();
    write_checkpoint(path, nse, s.history(), 0.02, "test: config");
    while (s.step_count() < 25) s.step();
    reference = s.state();
  }
  ChannelNSE nse(g, ph, MPI_COMM_WORLD);
  double dt = 0.0;
  const SbdfHistory h = read_checkpoint(path, nse, &dt);
  EXPECT_EQ(dt, 0.02);
  EXPECT_EQ(h.step, 10);
  EXPECT_EQ(h.x.size(), 3u);
  EXPECT_EQ(h.n.size(), 2u);
  Sbdf s(nse, dt, 3, 4);
  s.resume(h);
  while (s.step_count() < 25) s.step();
  ASSERT_EQ(s.state().size(), reference.size());
  long differ = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) differ += (s.state()[i] != reference[i]);
  EXPECT_EQ(differ, 0) << "restart is not bit-for-bit";
  // a checkpoint of another grid is refused with a clear message
  ChannelGrid other = g;
  other.ny = 33;
  ChannelNSE nse2(other, ph, MPI_COMM_WORLD);
  EXPECT_THROW(read_checkpoint(path, nse2, &dt), iff::InputError);
}

TEST(ChannelMpi, PhysicalFieldRoundTripAndSpectralInterpolation) {
  ChannelGrid g;
  g.nx = 8, g.ny = 17, g.nz = 8, g.lx = M_PI, g.lz = 0.3 * M_PI;
  ChannelPhysics ph;
  ph.nu = 1.0 / 4200.0;
  ChannelNSE nse(g, ph, MPI_COMM_WORLD);
  cvec x = laminar_state(nse, 1.0);
  add_random_perturbation(nse, x, 0.3, 9);
  const auto field = gather_velocity(nse, x);  // rank 0: [nx][ny][nz][3], y ascending
  cvec back;
  state_from_physical(nse, field, g.nx, g.ny, g.nz, back);
  double err = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) err = std::max(err, std::abs(back[i] - x[i]));
  EXPECT_LT(err, 1e-14);
  // onto a finer, nested grid (every other point): the same function at the common points
  ChannelGrid fine = g;
  fine.nx = 16, fine.ny = 33, fine.nz = 16;
  ChannelNSE nf(fine, ph, MPI_COMM_WORLD);
  cvec xf;
  state_from_physical(nf, field, g.nx, g.ny, g.nz, xf);
  EXPECT_NEAR(bulk_velocity(nf, xf), bulk_velocity(nse, x), 1e-14);
  EXPECT_LT(max_divergence(nf, xf), 1e-13);
  const auto ff = gather_velocity(nf, xf);
  if (!ff.empty()) {
    double diff = 0.0;
    for (int i = 0; i < g.nx; ++i)
      for (int j = 0; j < g.ny; ++j)
        for (int k = 0; k < g.nz; ++k)
          for (int c = 0; c < 3; ++c)
            diff = std::max(diff, std::abs(ff[((std::size_t(2 * i) * fine.ny + 2 * j) * fine.nz + 2 * k) * 3 + c] -
                                           field[((std::size_t(i) * g.ny + j) * g.nz + k) * 3 + c]));
    EXPECT_LT(diff, 1e-14);
  }
}
