// `ifactflow stats` on a laminar Poiseuille series with closed-form answers:
// U = 1 - y^2 (centre-line units, nu = 1/100): u_tau^2 = nu |dU/dy|_wall = 2 nu, so
// u_tau = sqrt(0.02), Re_tau = u_tau / nu; kinetic energy (1/2)<U^2> = 4/15; no
// fluctuations; centre-line velocity 1.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/series.hpp"
#include "tests/support/test_support.hpp"

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST(StatsCommand, LaminarPoiseuilleClosedForms) {
  const auto dir = iff::test::temp_dir("stats");
  iff::SeriesMeta m;
  m.kind = "dns";
  m.dtype = iff::h5::DType::f64;
  m.units = "h, U_c";
  m.nu = 0.01;
  m.lx = 2.0;
  m.lz = 1.0;
  for (int i = 0; i < 8; ++i) m.x.push_back(m.lx * i / 8);
  m.y = iff::gauss_lobatto_y(17);
  for (int k = 0; k < 4; ++k) m.z.push_back(m.lz * k / 4);
  {
    iff::SeriesWriter w(dir + "/lam.h5", m);
    std::vector<double> v(m.snapshot_size(), 0.0);
    for (int i = 0; i < m.nx(); ++i)
      for (int j = 0; j < m.ny(); ++j)
        for (int k = 0; k < m.nz(); ++k) v[((i * m.ny() + j) * m.nz() + k) * 3] = 1 - m.y[j] * m.y[j];
    for (int t = 0; t < 3; ++t) w.append(0.5 * t, {0, 1, 0, m.nx()}, v.data());
    w.close();
  }
  std::string out;
  ASSERT_EQ(iff::test::run(iff::test::exe() + " stats " + dir + "/lam.h5 -o " + dir + "/st", &out), 0) << out;

  std::ifstream wu(dir + "/st/wall_units.txt");
  std::string key;
  double u_tau = 0, re_tau = 0;
  wu >> key >> u_tau >> key >> re_tau;
  EXPECT_NEAR(u_tau, std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(re_tau, std::sqrt(0.02) / 0.01, 1e-9);

  auto ts = read_csv(dir + "/st/timeseries.csv");
  ASSERT_EQ(ts.size(), 4u);
  for (int r = 1; r <= 3; ++r) {
    EXPECT_NEAR(std::stod(ts[r][2]), 4.0 / 15.0, 1e-13) << "kinetic energy";
    EXPECT_NEAR(std::stod(ts[r][3]), 1.0, 1e-14) << "centre-line velocity";
  }
  auto prof = read_csv(dir + "/st/profiles.csv");
  ASSERT_EQ(prof.size(), 18u);
  const auto& h = prof[0];
  const int iU = std::find(h.begin(), h.end(), "U") - h.begin();
  const int iu = std::find(h.begin(), h.end(), "u_rms") - h.begin();
  const int iUp = std::find(h.begin(), h.end(), "U_plus") - h.begin();
  ASSERT_LT(iUp, static_cast<int>(h.size()));
  for (int j = 0; j < 17; ++j) {
    const double y = m.y[j];
    EXPECT_NEAR(std::stod(prof[j + 1][iU]), 1 - y * y, 1e-12);
    EXPECT_NEAR(std::stod(prof[j + 1][iu]), 0.0, 1e-7);
    EXPECT_NEAR(std::stod(prof[j + 1][iUp]), (1 - y * y) / std::sqrt(0.02), 1e-10);
  }
}

TEST(StatsCommand, EmptySeriesIsAnError) {
  const auto dir = iff::test::temp_dir("stats-empty");
  iff::SeriesMeta m;
  m.x = {0, 1};
  m.y = iff::gauss_lobatto_y(5);
  m.z = {0, 1};
  iff::SeriesWriter w(dir + "/e.h5", m);
  w.close();
  std::string out;
  EXPECT_NE(iff::test::run(iff::test::exe() + " stats " + dir + "/e.h5 -o " + dir + "/st", &out), 0);
  EXPECT_NE(out.find("no snapshot"), std::string::npos) << out;
}

// `ifactflow filter` on 1 and on 2 ranks writes the same file, and the filter is recorded.
TEST(FilterCommand, OneAndTwoRanksGiveTheSameSeries) {
  const auto dir = iff::test::temp_dir("filter");
  iff::SeriesMeta m;
  m.kind = "dns";
  m.n_traj = 2;
  m.dtype = iff::h5::DType::f64;
  m.lx = 2.0;
  m.lz = 1.0;
  for (int i = 0; i < 8; ++i) m.x.push_back(m.lx * i / 8);
  m.y = iff::gauss_lobatto_y(17);
  for (int k = 0; k < 6; ++k) m.z.push_back(m.lz * k / 6);
  {
    iff::SeriesWriter w(dir + "/fine.h5", m);
    std::vector<double> v(m.snapshot_size());
    for (int t = 0; t < 3; ++t)
      for (int tr = 0; tr < 2; ++tr) {
        for (std::size_t p = 0; p < v.size(); ++p) v[p] = std::sin(0.1 * p + t + 3.0 * tr);
        w.write(t, 0.5 * t, {tr, 1, 0, 8}, v.data());
      }
    w.close();
  }
  std::string out;
  ASSERT_EQ(iff::test::run(iff::test::exe() + " filter " + dir + "/fine.h5 --grid 4x9x4 -o " + dir + "/c1.h5", &out), 0)
      << out;
  ASSERT_EQ(iff::test::run(iff::test::mpirun(2) + iff::test::exe() + " filter " + dir +
                               "/fine.h5 --grid 4x9x4 -o " + dir + "/c2.h5",
                           &out),
            0)
      << out;
  iff::SeriesReader a(dir + "/c1.h5"), b(dir + "/c2.h5");
  EXPECT_EQ(a.meta().nx(), 4);
  EXPECT_EQ(a.meta().ny(), 9);
  EXPECT_EQ(a.meta().kind, "fdns");
  EXPECT_NE(a.meta().filter.find("sharp"), std::string::npos) << a.meta().filter;
  ASSERT_EQ(a.n_time(), 3);
  for (int tr = 0; tr < 2; ++tr)
    for (int t = 0; t < 3; ++t) EXPECT_EQ(a.read_velocity(tr, t), b.read_velocity(tr, t)) << tr << " " << t;
  // a coarse grid finer than the series is refused, naming it, and leaves no output
  EXPECT_NE(iff::test::run(iff::test::exe() + " filter " + dir + "/fine.h5 --grid 16x9x4 -o " + dir + "/bad.h5", &out),
            0);
  EXPECT_NE(out.find("finer than the series"), std::string::npos) << out;
  EXPECT_FALSE(std::ifstream(dir + "/bad.h5").good());
}
