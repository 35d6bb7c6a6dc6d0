// The training-set generator (solvers/channel_dataset.hpp) gives the same file for any rank
// layout, and a run stopped mid-way and resumed gives the file of an uninterrupted run.
// Every run on MPI_COMM_WORLD is compared with the same case run on MPI_COMM_SELF by rank 0.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "solvers/channel_dataset.hpp"
#include "solvers/initial_conditions.hpp"
#include "tests/support/test_support.hpp"

using namespace iff::solvers;

using namespace iff::spectral;

namespace fs = std::filesystem;

namespace {

ChannelGrid tiny_grid() {
  ChannelGrid g;
  g.nx = 12, g.ny = 17, g.nz = 8, g.lx = M_PI, g.lz = 0.3 * M_PI;
  return g;
}

PhysicsParams centreline() {
  PhysicsParams p;
  p.units = Units::centreline;
  p.re = 4200;
  p.driving = Driving::bulk_velocity;
  p.bulk_velocity = 2.0 / 3.0;
  return p;
}

/// A perturbed laminar state advanced a few steps, as a DNS checkpoint (rank 0, serial).
std::string make_initial(const std::string& dir) {
  const std::string path = dir + "/initial.h5";
  if (iff::test::rank() == 0) {
    ChannelNSE nse(tiny_grid(), centreline().channel(), MPI_COMM_SELF);
    cvec x = laminar_state(nse, 1.0);
    add_random_perturbation(nse, x, 0.3, 5);
    Sbdf s(nse, 0.02, 3, 4);
    s.start(x, 1.5);
    for (int i = 0; i < 6; ++i) s.step();
    write_checkpoint(path, nse, s.history(), 0.02, "test initial state");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

DatasetParams tiny_case(const std::string& initial, const std::string& dir) {
  DatasetParams p;
  p.grid = tiny_grid();
  p.physics = centreline();
  p.dt = 0.02;
  p.startup_substeps = 4;
  p.initial_file = initial;
  p.n_traj = 3;
  p.n_time = 5;
  p.snapshot_every = 2;
  p.spinup = 0.08;  // 4 steps
  p.perturbation = 0.05;
  p.seed = 7;
  p.NX = 8, p.NY = 9, p.NZ = 4;
  p.dir = dir;
  p.dtype = iff::h5::DType::f64;
  p.keep_full = true;
  p.checkpoint_every = 2;
  p.progress_seconds = 1e9;
  return p;
}

std::vector<double> read(const std::string& path, const std::string& dataset) {
  auto f = iff::h5::File::open(path);
  return f.read_vector(dataset);
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = a.size() == b.size() ? 0.0 : INFINITY;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

struct Killed {};

class DatasetMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = iff::test::temp_dir("dataset-mpi");
    initial_ = make_initial(dir_);
    // the one-rank reference
    if (iff::test::rank() == 0) ChannelDataset(tiny_case(initial_, dir_ + "/ref"), MPI_COMM_SELF).run();
    MPI_Barrier(MPI_COMM_WORLD);
  }
  std::string ref(const std::string& name) const { return dir_ + "/ref/" + name; }
  std::string dir_, initial_;
};

}  // namespace

TEST_F(DatasetMpi, GroupsOfOneRankGiveTheOneRankFileExactly) {
  auto p = tiny_case(initial_, dir_ + "/groups");
  p.ranks_per_trajectory = 1;  // one group per rank
  ChannelDataset(p, MPI_COMM_WORLD).run();
  if (iff::test::rank() == 0) {
    for (const char* file : {"fdns.h5", "dns.h5"}) {
      const auto a = read(ref(file), "/velocity"), b = read(dir_ + "/groups/" + file, "/velocity");
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(max_abs_diff(a, b), 0.0) << file;
      EXPECT_EQ(read(ref(file), "/time"), read(dir_ + "/groups/" + file, "/time")) << file;
    }
  }
}

TEST_F(DatasetMpi, OneGroupOfAllRanksDiffersOnlyByRoundOff) {
  auto p = tiny_case(initial_, dir_ + "/one");
  p.ranks_per_trajectory = 0;  // every rank in one group: the DNS is slab-decomposed
  ChannelDataset(p, MPI_COMM_WORLD).run();
  if (iff::test::rank() == 0) {
    const auto a = read(ref("fdns.h5"), "/velocity"), b = read(dir_ + "/one/fdns.h5", "/velocity");
    double mag = 0.0;
    for (double v : a) mag = std::max(mag, std::abs(v));
    const double d = max_abs_diff(a, b);
    std::printf("ranks=%d, one group: max |difference| = %.3e (max |u| = %.3f)\n", iff::test::size(), d, mag);
    EXPECT_LE(d, 1e-11 * mag);  // the DNS on 2 ranks sums in another order
    if (iff::test::size() == 1) {
      EXPECT_EQ(d, 0.0);
    }
    EXPECT_EQ(read(ref("fdns.h5"), "/time"), read(dir_ + "/one/fdns.h5", "/time"));
  }
}

TEST_F(DatasetMpi, StoppedAndResumedRunEqualsTheUninterruptedOne) {
  // stop after 4, then after 3 more snapshots (a checkpoint every 2: some snapshots are
  // recomputed and rewritten), then finish; each stop unwinds with the files left as they are
  const std::string dir = dir_ + "/resumed";
  auto p = tiny_case(initial_, dir);
  p.ranks_per_trajectory = 1;
  for (long stop : {4L, 3L}) {
    ChannelDataset d(p, MPI_COMM_WORLD);
    d.set_snapshot_hook([stop](long written) {
      if (written >= stop) throw Killed{};
    });
    EXPECT_THROW(d.run(), Killed);
    MPI_Barrier(MPI_COMM_WORLD);
    EXPECT_FALSE(fs::exists(dir + "/fdns.h5"));
    EXPECT_TRUE(fs::exists(iff::partial_name(dir + "/fdns.h5")));
  }
  const auto sum = ChannelDataset(p, MPI_COMM_WORLD).run();
  EXPECT_GT(sum.snapshots_written, 0);
  EXPECT_LT(sum.snapshots_written, 3 * 5);
  if (iff::test::rank() == 0) {
    for (const char* file : {"fdns.h5", "dns.h5"}) {
      EXPECT_EQ(max_abs_diff(read(ref(file), "/velocity"), read(dir + "/" + file, "/velocity")), 0.0) << file;
      EXPECT_EQ(read(ref(file), "/time"), read(dir + "/" + file, "/time"));
      EXPECT_EQ(read(dir + "/" + file, "/completed"), std::vector<double>(3, 5.0));
    }
    EXPECT_FALSE(fs::exists(iff::partial_name(dir + "/fdns.h5")));
    EXPECT_FALSE(fs::exists(dir + "/trajectories"));
  }
  // a finished data set of the same case is left alone
  EXPECT_TRUE(ChannelDataset(p, MPI_COMM_WORLD).run().already_complete);
}

TEST_F(DatasetMpi, EachTrajectoryIsSeededByItsIndexAlone) {
  if (iff::test::rank() != 0) return;
  // two trajectories: the first two of the three-trajectory reference, bit for bit
  auto p = tiny_case(initial_, dir_ + "/two");
  p.n_traj = 2;
  ChannelDataset(p, MPI_COMM_SELF).run();
  const auto three = read(ref("dns.h5"), "/velocity"), two = read(dir_ + "/two/dns.h5", "/velocity");
  ASSERT_EQ(two.size() * 3, three.size() * 2);
  EXPECT_EQ(max_abs_diff(two, std::vector<double>(three.begin(), three.begin() + two.size())), 0.0);
  // the trajectories differ through their perturbations alone: without one they coincide
  p.dir = dir_ + "/unperturbed";
  p.perturbation = 0.0;
  ChannelDataset(p, MPI_COMM_SELF).run();
  const auto u = read(dir_ + "/unperturbed/dns.h5", "/velocity");
  const std::size_t half = u.size() / 2;
  EXPECT_EQ(max_abs_diff(std::vector<double>(u.begin(), u.begin() + half), std::vector<double>(u.begin() + half, u.end())),
            0.0);
  EXPECT_GT(max_abs_diff(std::vector<double>(two.begin(), two.begin() + half),
                         std::vector<double>(two.begin() + half, two.end())),
            1e-3);
}
