// Wall-unit records of a series (io/series.hpp /wall/u_tau): written collectively by all ranks
// (trajectories split over them), out of order and with gaps, they read back as written, NaN
// where a snapshot has none, with the summary attributes over every record; reopening
// continues them; a series without records (as every file before them) reads as before.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "tests/support/test_support.hpp"

namespace {

iff::SeriesMeta meta() {
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = 3;
  m.nu = 1.0 / 4200;
  for (int i = 0; i < 4; ++i) m.x.push_back(i * 0.5);
  m.y = iff::gauss_lobatto_y(5);
  for (int k = 0; k < 2; ++k) m.z.push_back(k * 0.5);
  m.wall = iff::SeriesWallUnits{"dns", "16x33x16", "bulk_velocity"};
  return m;
}

double record(int traj, int t) { return 0.04 + 0.001 * traj + 0.0001 * t; }

}  // namespace

TEST(SeriesWallUnits, CollectiveRecordsReadBackWithGapsAndSummary) {
  const auto dir = iff::test::temp_dir("series-wall");
  const int rank = iff::test::rank(), size = iff::test::size();
  const auto m = meta();
  const std::string path = dir + "/s.h5";
  const int t0 = rank * m.n_traj / size, t1 = (rank + 1) * m.n_traj / size;
  {
    iff::SeriesWriter w(path, m, MPI_COMM_WORLD);
    std::vector<double> v(std::size_t(t1 - t0) * m.snapshot_size(), 1.0);
    for (int t = 0; t < 5; ++t) w.write(t, 0.5 * t, {t0, t1 - t0, 0, m.nx()}, v.data());
    // time index 3 first (extends over 0..2 with "no record"), then 0 and 4; 1 and 2 stay
    // without records, and trajectory 2 has none at time index 4
    for (int t : {3, 0, 4}) {
      std::vector<double> u;
      const int n = t == 4 ? std::max(0, std::min(t1, 2) - t0) : t1 - t0;
      for (int tr = t0; tr < t0 + n; ++tr) u.push_back(record(tr, t));
      w.write_wall_units(t, 1, {t0, n, 0, m.nx()}, u.data());
    }
    w.close();
  }
  auto r = std::make_unique<iff::SeriesReader>(path);
  ASSERT_TRUE(r->meta().wall);
  const auto wm = *r->meta().wall;
  EXPECT_EQ(wm.measured_by, "dns");
  EXPECT_EQ(wm.grid, "16x33x16");
  EXPECT_EQ(wm.driving, "bulk_velocity");
  const auto rec = r->wall_u_tau();
  ASSERT_EQ(rec.size(), 15u);
  double tau = 0;
  long n = 0;
  for (int tr = 0; tr < 3; ++tr)
    for (int t = 0; t < 5; ++t) {
      const double got = rec[tr * 5 + t];
      const bool recorded = t == 0 || t == 3 || (t == 4 && tr < 2);
      if (recorded) {
        EXPECT_EQ(got, record(tr, t)) << tr << " " << t;
        tau += got * got, ++n;
      } else {
        EXPECT_TRUE(std::isnan(got)) << tr << " " << t << ": " << got;
      }
    }
  EXPECT_EQ(wm.snapshots, n);
  EXPECT_NEAR(wm.u_tau, std::sqrt(tau / n), 1e-15);
  EXPECT_DOUBLE_EQ(wm.t_first, 0.0);
  EXPECT_DOUBLE_EQ(wm.t_last, 2.0);
  EXPECT_NEAR(r->file().attr_double("/", "wall_re_tau"), std::sqrt(tau / n) * 4200, 1e-10);
  r.reset();  // (HDF5 opens a file once per process: closed before it is reopened for writing)

  // reopened (a restarted run): the records continue, the summary follows
  {
    auto w = iff::SeriesWriter::reopen(path, MPI_COMM_WORLD);
    ASSERT_TRUE(w.meta().wall);
    std::vector<double> v(std::size_t(t1 - t0) * m.snapshot_size(), 1.0), u;
    for (int tr = t0; tr < t1; ++tr) u.push_back(record(tr, 5));
    w.write(5, 2.5, {t0, t1 - t0, 0, m.nx()}, v.data());
    w.write_wall_units(5, 1, {t0, t1 - t0, 0, m.nx()}, u.data());
    w.close();
  }
  iff::SeriesReader r2(path);
  EXPECT_EQ(r2.meta().wall->snapshots, n + 3);
  EXPECT_DOUBLE_EQ(r2.meta().wall->t_last, 2.5);
  EXPECT_EQ(r2.wall_u_tau()[2 * 6 + 5], record(2, 5));
}

// Files without records (format_version 1 as written before them, imports) read as before.
TEST(SeriesWallUnits, SeriesWithoutRecordsReads) {
  const auto dir = iff::test::temp_dir("series-nowall");
  auto m = meta();
  m.wall.reset();
  const std::string path = dir + "/old.h5";
  if (iff::test::rank() == 0) {
    iff::SeriesWriter w(path, m);
    std::vector<double> v(m.snapshot_size() * m.n_traj, 1.0);
    w.write(0, 0.0, {0, m.n_traj, 0, m.nx()}, v.data());
    w.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  iff::SeriesReader r(path);
  EXPECT_FALSE(r.meta().wall);
  EXPECT_TRUE(r.wall_u_tau().empty());
  EXPECT_FALSE(r.file().exists("/wall"));
  EXPECT_FALSE(r.file().has_attr("/", "wall_measured_by"));
  EXPECT_EQ(r.file().attr_int("/", "format_version"), 1);
  EXPECT_EQ(r.read_velocity(2, 0), std::vector<double>(m.snapshot_size(), 1.0));
}
