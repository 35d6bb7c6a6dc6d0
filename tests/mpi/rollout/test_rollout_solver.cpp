// `ifactflow rollout` with rollout.solver: a dynamic-Smagorinsky LES case advanced by the
// rollout engine, one snapshot interval per step, writes the snapshots that `ifactflow dns`
// of the same case writes from the same initial snapshot, to 1e-12 of the velocity scale,
// with either command at 1 or 2 ranks (the rollout holds both trajectories on one rank at 1
// rank, so each keeps its own solver state); `compare` takes it as a candidate beside the
// dns run. Step 0 is the series' own snapshot in the rollout and its divergence-free
// projection in the dns run, so the comparison starts at step 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "io/series.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Two perturbed laminar states (centre-line units) on the demo's coarse grid 8 x 17 x 8 of
/// the minimal box, snapshots 0.1 apart (5 LES steps of 0.02).
void make_series(const std::string& path) {
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = 2;
  m.dtype = iff::h5::DType::f64;
  m.lx = M_PI;
  m.lz = 0.3 * M_PI;
  for (int i = 0; i < 8; ++i) m.x.push_back(m.lx * i / 8);
  m.y = iff::gauss_lobatto_y(17);
  for (int k = 0; k < 8; ++k) m.z.push_back(m.lz * k / 8);
  m.nu = 1.0 / 4200;
  m.units = "h, U_c";
  iff::SeriesWriter w(path, m);
  for (int s = 0; s < 2; ++s)
    for (int tr = 0; tr < 2; ++tr) {
      std::vector<double> v(m.snapshot_size());
      for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 17; ++j)
          for (int k = 0; k < 8; ++k) {
            const double y = m.y[j], wall = 1 - y * y, ax = 2 * M_PI * m.x[i] / m.lx, az = 2 * M_PI * m.z[k] / m.lz;
            double* u = &v[3 * ((std::size_t(i) * 17 + j) * 8 + k)];
            u[0] = wall + 0.3 * wall * std::sin(ax + tr) * std::cos(az);
            u[1] = 0.1 * wall * wall * std::cos(ax + 2 * az + tr);
            u[2] = 0.2 * wall * std::sin(az + 0.5 * tr) * std::cos(ax);
          }
      w.write(s, 0.1 * s, {tr, 1, 0, 8}, v.data());
    }
  w.close();
}

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

}  // namespace

TEST(RolloutSolver, LesThroughTheRolloutEqualsTheDnsCommand) {
  if (iff::test::rank() != 0) return;  // the commands run in their own processes
  const auto dir = iff::test::temp_dir("rollout-solver");
  make_series(dir + "/s.h5");
  const int steps = 6;
  std::ofstream(dir + "/les.yaml")
      << std::setprecision(17) << "grid: {nx: 8, ny: 17, nz: 8, lx: " << M_PI << ", lz: " << 0.3 * M_PI << "}\n"
      << "physics: {units: centreline, re: 4200, driving: bulk_velocity, bulk_velocity: 0.6666666666666666}\n"
      << "sgs: {model: dsm, dsm: {test_filter: sharp}}\n"
      << "time: {dt: 0.02, t_end: " << 0.1 * steps << "}\n"
      << "initial: {type: series, file: " << dir << "/s.h5, trajectory: 1, time_index: 0}\n"
      << "output: {dir: " << dir << "/les, csv_every: 5, snapshot_every: 5, snapshot_dtype: f64, checkpoint_every: 1000, "
      << "progress_seconds: 0}\n";
  std::ofstream(dir + "/roll.yaml") << "rollout:\n  solver: " << dir << "/les.yaml\n  series: " << dir
                                    << "/s.h5\n  initial: all\n  steps: " << steps << "\n  energy_band: 0\n"
                                    << "output:\n  vtk_every: 0\n  progress_seconds: 0\n";
  const std::string exe = iff::test::exe();
  std::string log;
  for (int dns_ranks : {1, 2}) {
    const std::string dns_dir = dir + "/dns" + std::to_string(dns_ranks);
    ASSERT_EQ(iff::test::run((dns_ranks > 1 ? iff::test::mpirun(dns_ranks) : std::string()) + exe + " dns " + dir +
                                 "/les.yaml --set output.dir=" + dns_dir,
                             &log),
              0)
        << log;
  }
  for (int ranks : {1, 2}) {
    const std::string out = dir + "/roll" + std::to_string(ranks), what = std::to_string(ranks) + " rank(s)";
    ASSERT_EQ(iff::test::run((ranks > 1 ? iff::test::mpirun(ranks) : std::string()) + exe + " rollout " + dir +
                                 "/roll.yaml --set output.dir=" + out,
                             &log),
              0)
        << what << "\n" << log;
    const iff::SeriesReader pred(out + "/prediction.h5");
    ASSERT_EQ(pred.n_time(), steps + 1) << what;
    EXPECT_EQ(pred.meta().dtype, iff::h5::DType::f64) << what << ": the solver case's snapshot_dtype";
    EXPECT_NE(pred.meta().model.find("les-dsm"), std::string::npos) << pred.meta().model;
    EXPECT_NE(slurp(out + "/cost.csv").find("les-dsm"), std::string::npos) << what;
    for (int dns_ranks : {1, 2}) {
      const iff::SeriesReader les(dir + "/dns" + std::to_string(dns_ranks) + "/snapshots.h5");
      ASSERT_EQ(les.n_time(), steps + 1);
      for (int s = 1; s <= steps; ++s) {
        const auto a = pred.read_velocity(1, s), b = les.read_velocity(0, s);
        double diff = 0;
        for (std::size_t p = 0; p < a.size(); ++p) diff = std::max(diff, std::abs(a[p] - b[p]));
        EXPECT_LE(diff, 1e-12 * max_abs(b)) << what << ", dns at " << dns_ranks << " rank(s), step " << s;
        EXPECT_NEAR(pred.times()[s], les.times()[s], 1e-12) << s;
      }
    }
    // trajectory 0 advanced beside trajectory 1 (on the same rank at 1 rank) equals its own dns run
    if (ranks == 1) {
      const std::string dns0 = dir + "/dns-traj0";
      ASSERT_EQ(iff::test::run(exe + " dns " + dir + "/les.yaml --set output.dir=" + dns0 +
                                   " --set initial.trajectory=0",
                               &log),
                0)
          << log;
      const iff::SeriesReader les0(dns0 + "/snapshots.h5");
      const auto a = pred.read_velocity(0, steps), b = les0.read_velocity(0, steps);
      double diff = 0;
      for (std::size_t p = 0; p < a.size(); ++p) diff = std::max(diff, std::abs(a[p] - b[p]));
      EXPECT_LE(diff, 1e-12 * max_abs(b)) << "trajectory 0";
      EXPECT_GT(max_abs(a), 0.5);
      // and the two trajectories differ: each kept its own state
      EXPECT_GT(max_abs([&] {
                  auto d = pred.read_velocity(1, steps);
                  for (std::size_t p = 0; p < d.size(); ++p) d[p] -= a[p];
                  return d;
                }()),
                1e-3);
    }
  }
  // compare: the solver rollout beside the dns run, against the series
  std::ofstream(dir + "/compare.yaml") << "reference: {file: " << dir << "/s.h5, label: reference}\n"
                                       << "candidates:\n  - {label: rollout LES, file: " << dir << "/roll1/prediction.h5}\n"
                                       << "  - {label: dns LES, file: " << dir << "/dns1/snapshots.h5}\n"
                                       << "horizons: [1]\nre_tau: 180\nspectra_y_plus: [15]\nslice: {step: 1}\n"
                                       << "output: {dir: " << dir << "/compare, plot: false}\n";
  ASSERT_EQ(iff::test::run(exe + " compare " + dir + "/compare.yaml", &log), 0) << log;
  const std::string summary = slurp(dir + "/compare/summary.csv");
  EXPECT_NE(summary.find("rollout LES"), std::string::npos) << summary;
  EXPECT_NE(summary.find("dns LES"), std::string::npos) << summary;

  // refused in one line: a CFL-controlled case (no fixed interval), another interval, held_out
  std::string les = slurp(dir + "/les.yaml");
  std::string adaptive = les;
  adaptive.insert(adaptive.find("time: {") + 7, "adaptive: true, ");
  std::ofstream(dir + "/adaptive.yaml") << adaptive;
  auto refused = [&](const std::string& extra, const std::string& want) {
    EXPECT_EQ(iff::test::run(exe + " rollout " + dir + "/roll.yaml --set output.dir=" + dir + "/refused " + extra, &log), 1)
        << extra << "\n" << log;
    EXPECT_NE(log.find(want), std::string::npos) << extra << "\n" << log;
    EXPECT_FALSE(fs::exists(dir + "/refused/prediction.h5")) << extra;
  };
  refused("--set rollout.solver=" + dir + "/adaptive.yaml", "CFL-controlled case");
  std::ofstream(dir + "/other.yaml") << les.substr(0, les.find("output:")) << "output: {snapshot_every: 4}\n";
  refused("--set rollout.solver=" + dir + "/other.yaml", "differs from the series' snapshot interval 0.1");
  refused("--set rollout.initial=held_out", "with rollout.solver give initial: all or list");
  refused("--set rollout.checkpoint=" + dir + "/x.ckpt", "not both");
}
