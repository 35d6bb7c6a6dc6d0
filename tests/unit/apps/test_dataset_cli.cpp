// `ifactflow dataset` end to end on a tiny channel: a short DNS makes the turbulent-ish
// starting checkpoint, then the command builds a 3-trajectory training set (with the DNS-grid
// snapshots kept, in float64 so that comparisons are exact).
//   - 1 rank, 2 ranks in 2 groups (bit-identical) and 2 ranks in 1 group (round-off);
//   - a job killed by SIGKILL mid-way and resumed (on another rank layout) gives the same file;
//   - every coarse snapshot is the filter of its DNS snapshot; trajectories differ;
//   - bad input fails with one line naming the key or file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "solvers/channel_filter.hpp"
#include "analysis/wall_units.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

const char* kGridPhysics = R"(grid: {nx: 12, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}
physics: {units: centreline, re: 4200, driving: bulk_velocity, bulk_velocity: 0.6666666666666666}
)";

std::string dir_;     // shared by the tests of this file
std::string case_;    // the dataset case
std::string ref_;     // output dir of the one-rank run

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

int dataset(const std::string& launcher, const std::string& out_dir, const std::string& extra, std::string* log) {
  return iff::test::run(launcher + iff::test::exe() + " dataset " + case_ + " --set output.dir=" + out_dir + " " + extra,
                        log);
}

std::vector<double> read(const std::string& path, const std::string& dataset) {
  return iff::h5::File::open(path).read_vector(dataset);
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = a.size() == b.size() ? 0.0 : INFINITY;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

class DatasetCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = iff::test::temp_dir("dataset-cli");
    write(dir_ + "/dns.yaml", std::string(kGridPhysics) + R"(time: {dt: 0.02, steps: 12, startup_substeps: 4}
initial: {type: perturbed, amplitude: 0.3, seed: 3}
output: {csv_every: 4, checkpoint_every: 1000, snapshot_every: 6, snapshot_dtype: f64}
)");
    std::string log;
    ASSERT_EQ(iff::test::run(iff::test::exe() + " dns " + dir_ + "/dns.yaml --set output.dir=" + dir_ + "/dns", &log), 0)
        << log;
    case_ = dir_ + "/dataset.yaml";
    write(case_, std::string(kGridPhysics) + "time: {dt: 0.02, startup_substeps: 4}\ninitial: {file: " + dir_ +
                     R"(/dns/checkpoint.h5}
dataset: {n_traj: 3, n_time: 5, snapshot_every: 2, spinup: 0.08, perturbation: 0.05, seed: 7}
filter: {grid: 8x9x4}
output: {keep_full: true, dtype: f64, checkpoint_every: 2, progress_seconds: 0}
)");
    ref_ = dir_ + "/ref";
    ASSERT_EQ(dataset("", ref_, "", &log), 0) << log;
  }
};

void expect_same_files(const std::string& a, const std::string& b, double tol) {
  for (const char* file : {"fdns.h5", "dns.h5"}) {
    const auto va = read(a + "/" + file, "/velocity"), vb = read(b + "/" + file, "/velocity");
    ASSERT_EQ(va.size(), vb.size()) << file;
    EXPECT_LE(max_abs_diff(va, vb), tol) << b << "/" << file;
    EXPECT_EQ(read(a + "/" + file, "/time"), read(b + "/" + file, "/time")) << file;
    EXPECT_EQ(read(b + "/" + file, "/completed"), std::vector<double>(3, 5.0)) << file;
    // the wall units of every snapshot, as measured by the DNS that took it
    const auto wa = read(a + "/" + file, "/wall/u_tau"), wb = read(b + "/" + file, "/wall/u_tau");
    ASSERT_EQ(wa.size(), 15u) << file;
    ASSERT_EQ(wb.size(), 15u) << file;
    for (std::size_t q = 0; q < wa.size(); ++q) EXPECT_LE(std::abs(wa[q] - wb[q]), tol * wa[q]) << b << "/" << file;
  }
}

}  // namespace

TEST_F(DatasetCommand, OneAndTwoRanksWriteTheSameFile) {
  std::string log;
  ASSERT_EQ(dataset(iff::test::mpirun(2), dir_ + "/groups", "--set dataset.ranks_per_trajectory=1", &log), 0) << log;
  expect_same_files(ref_, dir_ + "/groups", 0.0);  // two groups of one rank: bit for bit
  // the progress counts the snapshots of every group, not rank 0's share
  EXPECT_NE(log.find("dataset 15/15 "), std::string::npos) << log;
  EXPECT_NE(log.find("dataset: done, 15 snapshots written"), std::string::npos) << log;
  ASSERT_EQ(dataset(iff::test::mpirun(2), dir_ + "/slabs", "--set dataset.ranks_per_trajectory=2", &log), 0) << log;
  expect_same_files(ref_, dir_ + "/slabs", 1e-11);  // one group of two: the DNS's round-off
}

TEST_F(DatasetCommand, KilledJobResumesToTheSameFile) {
  const std::string out = dir_ + "/killed";
  std::string log;
  // 2 groups: snapshots are written two at a time, SIGKILL once 5 are on disk (after 6)
  EXPECT_NE(dataset(iff::test::mpirun(2) + "-x IFF_DATASET_KILL_AFTER=5 ", out, "", &log), 0) << log;
  EXPECT_FALSE(fs::exists(out + "/fdns.h5"));
  const std::string partial = iff::partial_name(out + "/fdns.h5");
  ASSERT_TRUE(fs::exists(partial)) << log;
  EXPECT_EQ(read(partial, "/completed"), (std::vector<double>{3, 3, 0}));
  // a second kill on one rank, then the rest on one rank
  EXPECT_NE(iff::test::run("IFF_DATASET_KILL_AFTER=3 " + iff::test::exe() + " dataset " + case_ +
                               " --set output.dir=" + out,
                           &log),
            0);
  ASSERT_EQ(dataset("", out, "", &log), 0) << log;
  EXPECT_NE(log.find("resuming"), std::string::npos) << log;
  expect_same_files(ref_, out, 0.0);
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(fs::exists(out + "/trajectories"));
}

// A job begun on one rank (its files created by a serial writer) and killed twice there is
// finished by two groups of one rank each, writing collectively into those files: the same
// file, bit for bit.
TEST_F(DatasetCommand, JobBegunOnOneRankResumesOnTwo) {
  const std::string out = dir_ + "/regrouped";
  const std::string partial = iff::partial_name(out + "/fdns.h5");
  std::string log;
  for (int kill = 0; kill < 2; ++kill)
    EXPECT_NE(iff::test::run("IFF_DATASET_KILL_AFTER=3 " + iff::test::exe() + " dataset " + case_ +
                                 " --set output.dir=" + out,
                             &log),
              0);
  ASSERT_TRUE(fs::exists(partial)) << log;
  EXPECT_EQ(read(partial, "/completed"), (std::vector<double>{5, 0, 0}));
  ASSERT_EQ(dataset(iff::test::mpirun(2), out, "--set dataset.ranks_per_trajectory=1", &log), 0) << log;
  EXPECT_NE(log.find("resuming"), std::string::npos) << log;
  expect_same_files(ref_, out, 0.0);
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(fs::exists(out + "/trajectories"));
}

// SIGTERM reaching rank 0 alone (IFF_DATASET_SIGNAL_AFTER) stops every rank after the same
// snapshot with exit status 75, the unfinished trajectories checkpointed there; the same
// command resumes to the uninterrupted file, at 1 and 2 ranks.
TEST_F(DatasetCommand, SignalledJobStopsCleanlyAndResumesToTheSameFile) {
  // 1 rank: after trajectory 0's 2nd snapshot; 2 groups: after the 2nd snapshot of 0 and 1,
  // the round whose count (two snapshots a round) reaches 4 or passes 3
  const struct {
    int ranks, after;
  } runs[] = {{1, 2}, {2, 4}, {2, 3}};
  for (const auto& run : runs) {
    const int ranks = run.ranks;
    const std::string out = dir_ + "/signalled" + std::to_string(ranks) + "_" + std::to_string(run.after);
    const std::string launch = ranks == 1 ? std::string() : iff::test::mpirun(ranks);
    const std::string var = "IFF_DATASET_SIGNAL_AFTER=" + std::to_string(run.after) + " ";
    const std::string env = ranks == 1 ? var : launch + "-x " + var;
    SCOPED_TRACE(std::to_string(ranks) + " rank(s), " + var);
    std::string log;
    EXPECT_EQ(dataset(env, out, "", &log), 75) << log;
    EXPECT_NE(log.find("ifactflow: interrupted: dataset: stopped by"), std::string::npos) << log;
    EXPECT_NE(log.find("rerun the same command to resume"), std::string::npos) << log;
    EXPECT_EQ(log.find("MPI_ABORT"), std::string::npos) << log;
    const std::string partial = iff::partial_name(out + "/fdns.h5");
    ASSERT_TRUE(fs::exists(partial)) << log;
    EXPECT_FALSE(fs::exists(out + "/fdns.h5"));
    EXPECT_EQ(read(partial, "/completed"), ranks == 1 ? (std::vector<double>{2, 0, 0}) : (std::vector<double>{2, 2, 0}));
    // each stopped trajectory has its checkpoint at the snapshot it stopped after
    for (int i = 0; i < ranks; ++i) {
      const std::string cp = out + "/trajectories/traj_000" + std::to_string(i) + ".h5";
      ASSERT_TRUE(fs::exists(cp)) << cp;
      EXPECT_EQ(iff::h5::File::open(cp).attr_int("/", "step"), 4 + 2 * 1) << cp;  // spin-up 4, then 2 per snapshot
    }
    ASSERT_EQ(dataset(launch, out, "", &log), 0) << log;
    EXPECT_NE(log.find("resuming"), std::string::npos) << log;
    expect_same_files(ref_, out, 0.0);
    EXPECT_FALSE(fs::exists(partial));
  }
}

TEST_F(DatasetCommand, SnapshotsAreTheFilteredDnsAndTrajectoriesDiffer) {
  iff::SeriesReader fine(ref_ + "/dns.h5"), coarse(ref_ + "/fdns.h5");
  const auto& m = coarse.meta();
  EXPECT_EQ(m.kind, "fdns");
  EXPECT_NE(m.filter.find("sharp"), std::string::npos);
  EXPECT_NE(m.config.find("n_traj: 3"), std::string::npos);
  ASSERT_EQ(m.n_traj, 3);
  ASSERT_EQ(coarse.n_time(), 5);
  ASSERT_EQ(m.nx(), 8);
  ASSERT_EQ(m.ny(), 9);
  ASSERT_EQ(m.nz(), 4);
  // time axis: t0 + (spin-up 4 + 2 s) dt
  const double t0 = iff::h5::File::open(dir_ + "/dns/checkpoint.h5").attr_double("/", "time");
  for (int s = 0; s < 5; ++s) EXPECT_NEAR(coarse.times()[s], t0 + (4 + 2 * s) * 0.02, 1e-12);

  iff::solvers::FilterSpec spec;
  spec.nx = 12, spec.ny = 17, spec.nz = 8, spec.NX = 8, spec.NY = 9, spec.NZ = 4;
  spec.lx = M_PI, spec.lz = 0.3 * M_PI;
  iff::solvers::ChannelFilter filter(spec);
  std::vector<double> want(m.snapshot_size());
  for (int i = 0; i < 3; ++i)
    for (int s = 0; s < 5; ++s) {
      filter.apply(fine.read_velocity(i, s).data(), want.data(), 3);
      EXPECT_EQ(max_abs_diff(coarse.read_velocity(i, s), want), 0.0) << "trajectory " << i << " snapshot " << s;
    }
  // each trajectory has its own perturbation (rms 0.05 against |u| ~ 1)
  for (int a = 0; a < 3; ++a)
    for (int b = a + 1; b < 3; ++b) {
      const auto ua = fine.read_velocity(a, 0), ub = fine.read_velocity(b, 0);
      double d2 = 0.0, n2 = 0.0;
      for (std::size_t q = 0; q < ua.size(); ++q) d2 += (ua[q] - ub[q]) * (ua[q] - ub[q]), n2 += ua[q] * ua[q];
      EXPECT_GT(std::sqrt(d2 / n2), 1e-3) << "trajectories " << a << " and " << b;
    }
}

// Each snapshot records the u_tau of its DNS state (both outputs alike), equal to a direct
// computation from the DNS-grid snapshot; `stats` of the filtered set and of the DNS-grid
// snapshots therefore agree, from the records.
TEST_F(DatasetCommand, SnapshotsRecordTheWallUnitsOfTheirDnsState) {
  iff::SeriesReader fine(ref_ + "/dns.h5"), coarse(ref_ + "/fdns.h5");
  for (const auto* r : {&fine, &coarse}) {
    ASSERT_TRUE(r->meta().wall) << r->path();
    EXPECT_EQ(r->meta().wall->measured_by, "dns");
    EXPECT_EQ(r->meta().wall->grid, "12x17x8");
    EXPECT_EQ(r->meta().wall->driving, "bulk_velocity");
    EXPECT_EQ(r->meta().wall->snapshots, 15);
  }
  const auto rf = fine.wall_u_tau(), rc = coarse.wall_u_tau();
  EXPECT_EQ(rf, rc);
  const auto& fm = fine.meta();
  double tau = 0;
  for (int i = 0; i < 3; ++i)
    for (int s = 0; s < 5; ++s) {
      const double direct = iff::analysis::snapshot_friction_velocity(fine.read_velocity(i, s).data(), fm.nx(), fm.y,
                                                                      fm.nz(), fm.nu);
      EXPECT_GT(direct, 0.0);
      EXPECT_NEAR(rc[i * 5 + s], direct, 1e-11 * direct) << "trajectory " << i << " snapshot " << s;
      tau += rc[i * 5 + s] * rc[i * 5 + s];
    }
  EXPECT_NEAR(coarse.meta().wall->u_tau, std::sqrt(tau / 15), 1e-15);
  EXPECT_DOUBLE_EQ(coarse.meta().wall->t_first, coarse.times().front());
  EXPECT_DOUBLE_EQ(coarse.meta().wall->t_last, coarse.times().back());
  std::string log;
  for (const char* f : {"fdns", "dns"})
    ASSERT_EQ(iff::test::run(iff::test::exe() + " stats " + ref_ + "/" + f + ".h5 -o " + dir_ + "/stats_" + f, &log), 0)
        << log;
  auto u_tau_of = [](const std::string& d) {
    std::ifstream in(d + "/wall_units.txt");
    std::string key;
    double u = 0;
    in >> key >> u;
    return u;
  };
  const double uf = u_tau_of(dir_ + "/stats_fdns"), ud = u_tau_of(dir_ + "/stats_dns");
  EXPECT_NEAR(uf / ud, 1.0, 0.01);
  EXPECT_NEAR(uf, std::sqrt(tau / 15), 1e-15);
  EXPECT_NE(log.find("series records (this DNS at 12x17x8, 15 snapshots)"), std::string::npos) << log;
}

TEST_F(DatasetCommand, StartsFromASeriesSnapshotAsFromTheCheckpoint) {
  // the DNS's last snapshot (float64, on the DNS grid) is its final checkpoint's state: the
  // spectral interpolation onto the same grid reproduces it to round-off
  std::string log;
  ASSERT_EQ(dataset("", dir_ + "/series", "--set initial.file=" + dir_ + "/dns/snapshots.h5", &log), 0) << log;
  EXPECT_NE(log.find("series snapshot"), std::string::npos) << log;
  expect_same_files(ref_, dir_ + "/series", 1e-11);
}

TEST_F(DatasetCommand, FinishedDataSetIsLeftAloneAndAnotherCaseIsRefused) {
  std::string log;
  ASSERT_EQ(dataset("", ref_, "", &log), 0) << log;
  EXPECT_NE(log.find("nothing to do"), std::string::npos) << log;
  EXPECT_NE(dataset("", ref_, "--set dataset.seed=8", &log), 0);
  EXPECT_NE(log.find("holds another data set"), std::string::npos) << log;
  EXPECT_NE(log.find("seed"), std::string::npos) << log;
}

TEST_F(DatasetCommand, BadInputFailsWithOneLineNamingTheProblem) {
  struct Bad {
    std::string launcher, extra, expect;
  };
  const Bad cases[] = {
      {"", "--set dataset.n_trajectories=3", "dataset.n_trajectories"},
      {"", "--set initial.file=" + dir_ + "/missing.h5", dir_ + "/missing.h5 does not exist"},
      {"", "--set dataset.n_traj=0", "dataset.n_traj"},
      {"", "--set filter.grid=16x9x4", "filter.grid"},
      {iff::test::mpirun(2), "--set dataset.ranks_per_trajectory=3", "ranks_per_trajectory = 3 does not divide"},
  };
  for (const auto& c : cases) {
    std::string log;
    EXPECT_NE(dataset(c.launcher, dir_ + "/bad", c.extra, &log), 0) << c.extra;
    EXPECT_NE(log.find(c.expect), std::string::npos) << c.extra << "\n" << log;
  }
}

TEST_F(DatasetCommand, ShippedCasesHaveOnlyKnownKeys) {
  // every key is read and checked before the initial file is opened
  for (const char* c : {"cases/demo/dataset.yaml", "cases/re180/dataset.yaml", "cases/re395/dataset.yaml",
                        "cases/re590/dataset.yaml"}) {
    std::string log;
    EXPECT_NE(iff::test::run(iff::test::exe() + " dataset " + IFF_SOURCE_DIR + "/" + c + " --set output.dir=" + dir_ +
                                 "/cases --set dataset.ranks_per_trajectory=1 --set initial.file=" + dir_ + "/none.h5",
                             &log),
              0);
    EXPECT_NE(log.find(dir_ + "/none.h5 does not exist"), std::string::npos) << c << "\n" << log;
  }
}
