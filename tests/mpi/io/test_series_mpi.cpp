// A series written collectively by all ranks (each holding x slabs, or trajectories) holds
// exactly the data of the same series written by one rank alone.
#include <gtest/gtest.h>

#include <cmath>

#include "io/series.hpp"
#include "tests/support/test_support.hpp"

namespace {

iff::SeriesMeta meta(int n_traj) {
  iff::SeriesMeta m;
  m.n_traj = n_traj;
  m.dtype = iff::h5::DType::f64;
  m.has_pressure = true;
  for (int i = 0; i < 6; ++i) m.x.push_back(i * 0.5);
  m.y = iff::gauss_lobatto_y(7);
  for (int k = 0; k < 4; ++k) m.z.push_back(k * 0.25);
  m.lx = 3;
  m.lz = 1;
  return m;
}

double value(int traj, int t, int i, int j, int k, int c) {
  return std::sin(0.1 * traj + 0.7 * t + 1.1 * i + 0.3 * j + 0.9 * k + 0.45 * c);
}

/// Fills the block's velocity and pressure.
void fill(const iff::SeriesMeta& m, const iff::SeriesBlock& b, int t, std::vector<double>& v, std::vector<double>& p) {
  v.assign(static_cast<std::size_t>(b.n_traj) * b.nx * m.ny() * m.nz() * 3, 0);
  p.assign(v.size() / 3, 0);
  std::size_t q = 0;
  for (int tr = 0; tr < b.n_traj; ++tr)
    for (int i = 0; i < b.nx; ++i)
      for (int j = 0; j < m.ny(); ++j)
        for (int k = 0; k < m.nz(); ++k, ++q) {
          for (int c = 0; c < 3; ++c) v[3 * q + c] = value(b.traj0 + tr, t, b.x0 + i, j, k, c);
          p[q] = value(b.traj0 + tr, t, b.x0 + i, j, k, 3);
        }
}

void write_series(const std::string& path, MPI_Comm comm, bool split_x) {
  const auto m = meta(3);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  iff::SeriesWriter w(path, m, comm);
  std::vector<double> v, p;
  for (int t = 0; t < 4; ++t) {
    iff::SeriesBlock b;
    if (split_x) {  // every trajectory, x planes split over ranks (uneven on purpose)
      const int x0 = rank * m.nx() / size, x1 = (rank + 1) * m.nx() / size;
      b = {0, m.n_traj, x0, x1 - x0};
    } else {  // trajectories split over ranks
      const int t0 = rank * m.n_traj / size, t1 = (rank + 1) * m.n_traj / size;
      b = {t0, t1 - t0, 0, m.nx()};
    }
    fill(m, b, t, v, p);
    w.write(t, 0.1 * t, b, v.data(), p.data());
  }
  w.close();
}

void expect_identical(const std::string& a, const std::string& b) {
  iff::SeriesReader ra(a), rb(b);
  ASSERT_EQ(ra.n_time(), rb.n_time());
  EXPECT_EQ(ra.times(), rb.times());
  const auto& m = ra.meta();
  const std::size_t n = m.snapshot_size();
  for (int tr = 0; tr < m.n_traj; ++tr)
    for (int t = 0; t < ra.n_time(); ++t) {
      std::vector<double> va(n), vb(n), pa(n / 3), pb(n / 3);
      ra.read(t, {tr, 1, 0, m.nx()}, va.data(), pa.data());
      rb.read(t, {tr, 1, 0, m.nx()}, vb.data(), pb.data());
      ASSERT_EQ(va, vb) << "trajectory " << tr << " time " << t;
      ASSERT_EQ(pa, pb);
    }
}

}  // namespace

TEST(SeriesMpi, SlabAndTrajectoryDistributionsMatchOneRank) {
  const auto dir = iff::test::temp_dir("series-mpi");
  write_series(dir + "/slabs.h5", MPI_COMM_WORLD, true);
  write_series(dir + "/trajs.h5", MPI_COMM_WORLD, false);
  if (iff::test::rank() == 0) {
    write_series(dir + "/serial.h5", MPI_COMM_SELF, true);
    expect_identical(dir + "/serial.h5", dir + "/slabs.h5");
    expect_identical(dir + "/serial.h5", dir + "/trajs.h5");
    // and the values are the intended ones (not merely equal to each other)
    iff::SeriesReader r(dir + "/serial.h5");
    auto v = r.read_velocity(2, 3);
    EXPECT_EQ(v[3 * ((5 * 7 + 6) * 4 + 3) + 1], value(2, 3, 5, 6, 3, 1));
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(SeriesMpi, ParallelReadOfSlabs) {
  const auto dir = iff::test::temp_dir("series-mpi-read");
  write_series(dir + "/s.h5", MPI_COMM_WORLD, true);
  iff::SeriesReader r(dir + "/s.h5", MPI_COMM_WORLD);
  const auto& m = r.meta();
  const int rank = iff::test::rank(), size = iff::test::size();
  const int x0 = rank * m.nx() / size, x1 = (rank + 1) * m.nx() / size;
  iff::SeriesBlock b{1, 1, x0, x1 - x0};
  std::vector<double> v(static_cast<std::size_t>(b.nx) * m.ny() * m.nz() * 3), want, p;
  r.read(2, b, v.data());
  fill(m, b, 2, want, p);
  EXPECT_EQ(v, want);
}
