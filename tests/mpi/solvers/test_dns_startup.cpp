// The snapshots a DNS writes during SBDF3's self-starting steps hold the state of their
// step: with output.snapshot_every 1 (and 2), the snapshot of step k equals the state that
// k steps of the time stepper reach from the same initial state, at t = k dt, and the time
// series has a row for every step. A checkpoint taken within the self-starting steps (the
// one a 1-step run ends with) restarts into the same states as the uninterrupted run.
//
// The comparisons are exact: the run and the reference are the same operations in the same
// order on the same ranks in this process (the diagnostics the run adds change no state).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/config.hpp"
#include "io/series.hpp"
#include "solvers/channel_diagnostics.hpp"
#include "solvers/channel_dns.hpp"
#include "solvers/initial_conditions.hpp"
#include "tests/support/test_support.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {

constexpr double kDt = 0.02;

std::string case_text(const std::string& dir, int steps, int snapshot_every) {
  std::ostringstream s;
  s << "grid: {nx: 8, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}\n"
    << "physics: {units: centreline, re: 4200, driving: bulk_velocity}\n"
    << "time: {dt: " << kDt << ", steps: " << steps << ", order: 3, startup_substeps: 4}\n"
    << "initial: {type: perturbed, amplitude: 0.3, seed: 3}\n"
    << "output: {dir: " << dir << ", csv_every: 1, snapshot_every: " << snapshot_every
    << ", snapshot_dtype: f64, checkpoint_every: 1000, progress_seconds: 0}\n";
  return s.str();
}

DnsParams params(const std::string& dir, int steps, int snapshot_every) {
  auto cfg = iff::Config::from_string(case_text(dir, steps, snapshot_every), "test");
  auto p = DnsParams::from(cfg);
  cfg.reject_unknown();
  p.resolved_config = cfg.resolved_yaml();
  return p;
}

/// Velocity (gathered on rank 0) after each of `steps` steps of the time stepper alone.
std::vector<std::vector<double>> stepper_states(const DnsParams& p, int steps) {
  ChannelPhysics ph = p.physics.channel();
  ChannelNSE nse(p.grid, ph, MPI_COMM_WORLD);
  cvec x = laminar_state(nse, p.physics.laminar_centre_velocity());
  add_random_perturbation(nse, x, p.initial.amplitude, p.initial.seed);
  Sbdf s(nse, p.time.dt, p.time.order, p.time.startup_substeps);
  s.start(x);
  std::vector<std::vector<double>> out = {gather_velocity(nse, s.state())};
  for (int k = 1; k <= steps; ++k) {
    s.step();
    EXPECT_EQ(s.step_count(), k);
    out.push_back(gather_velocity(nse, s.state()));
  }
  return out;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

std::vector<long> csv_steps(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<long> steps;
  while (std::getline(in, line))
    if (!line.empty()) steps.push_back(std::stol(line.substr(0, line.find(','))));
  return steps;
}

}  // namespace

class DnsStartup : public ::testing::TestWithParam<int> {};

TEST_P(DnsStartup, SnapshotsOfTheSelfStartingStepsHoldTheirStepsState) {
  const int every = GetParam(), steps = 6;
  const auto dir = iff::test::temp_dir("dns-startup") + "/run";
  const auto p = params(dir, steps, every);
  ChannelDns(p, MPI_COMM_WORLD).run();
  const auto reference = stepper_states(p, steps);
  if (iff::test::rank() == 0) {
    iff::SeriesReader r(dir + "/snapshots.h5");
    ASSERT_EQ(r.n_time(), steps / every + 1);
    for (int i = 0; i < r.n_time(); ++i) {
      const int k = i * every;
      EXPECT_NEAR(r.times()[i], k * kDt, 1e-12) << "snapshot " << i;
      const auto u = r.read_velocity(0, i);
      double mag = 0;
      for (double v : u) mag = std::max(mag, std::abs(v));
      EXPECT_GT(mag, 0.1) << "snapshot " << i << " (step " << k << ") is empty";
      EXPECT_EQ(max_diff(u, reference[k]), 0.0) << "snapshot " << i << " is not the state of step " << k;
    }
    std::vector<long> all(steps + 1);
    for (int k = 0; k <= steps; ++k) all[k] = k;
    EXPECT_EQ(csv_steps(dir + "/timeseries.csv"), all) << "a row for every step, once";
  }
}

INSTANTIATE_TEST_SUITE_P(SnapshotEvery, DnsStartup, ::testing::Values(1, 2));

TEST(DnsStartup, ARestartFromWithinTheSelfStartingStepsContinuesBitForBit) {
  const auto base = iff::test::temp_dir("dns-startup-restart");
  // one step: the run ends inside the self-starting phase
  auto one = params(base + "/one", 1, 0);
  ChannelDns(one, MPI_COMM_WORLD).run();
  auto resumed = params(base + "/resumed", 4, 0);
  resumed.initial.type = iff::solvers::InitialType::restart;
  resumed.initial.file = base + "/one/checkpoint.h5";
  const auto rs = ChannelDns(resumed, MPI_COMM_WORLD).run();
  const auto straight = ChannelDns(params(base + "/straight", 4, 0), MPI_COMM_WORLD).run();
  EXPECT_EQ(rs.steps, 4);
  EXPECT_EQ(straight.steps, 4);
  ChannelNSE nse(one.grid, one.physics.channel(), MPI_COMM_WORLD);
  double dt = 0;
  const auto a = read_checkpoint(base + "/resumed/checkpoint.h5", nse, &dt);
  const auto b = read_checkpoint(base + "/straight/checkpoint.h5", nse, &dt);
  ASSERT_EQ(a.x.size(), b.x.size());
  EXPECT_EQ(a.step, 4);
  for (std::size_t i = 0; i < a.x.size(); ++i) EXPECT_TRUE(a.x[i] == b.x[i]) << "state x" << i;
  for (std::size_t i = 0; i < a.n.size(); ++i) EXPECT_TRUE(a.n[i] == b.n[i]) << "explicit terms n" << i;
}
