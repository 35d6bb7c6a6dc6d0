// `ifactflow stats` on a laminar Poiseuille series with closed-form answers:
// U = 1 - y^2 (centre-line units, nu = 1/100): u_tau^2 = nu |dU/dy|_wall = 2 nu, so
// u_tau = sqrt(0.02), Re_tau = u_tau / nu; kinetic energy (1/2)<U^2> = 4/15; no
// fluctuations; centre-line velocity 1.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "analysis/wall_units.hpp"
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

struct WallUnitsFile {
  double u_tau = 0, re_tau = 0;
  long samples = 0;
  std::string source;
};

/// wall_units.txt of a stats output directory.
WallUnitsFile wall_units(const std::string& dir) {
  std::ifstream in(dir + "/wall_units.txt");
  WallUnitsFile w;
  std::string key, line;
  while (in >> key) {
    std::getline(in, line);
    line = line.substr(line.find_first_not_of(' '));
    if (key == "u_tau") w.u_tau = std::stod(line);
    if (key == "re_tau") w.re_tau = std::stod(line);
    if (key == "samples") w.samples = std::stol(line);
    if (key == "source") w.source = line;
  }
  return w;
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

  const auto wu = wall_units(dir + "/st");
  EXPECT_NEAR(wu.u_tau, std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(wu.re_tau, std::sqrt(0.02) / 0.01, 1e-9);
  // a series without wall-unit records (as every series before them): its own wall shear
  EXPECT_EQ(wu.source, "measured wall shear of this series (3 snapshots)");
  EXPECT_NE(out.find("from measured wall shear of this series"), std::string::npos) << out;
  EXPECT_EQ(iff::h5::File::open(dir + "/st/stats.h5").attr_string("/", "wall_units_source"), wu.source);

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
  m.nu = 0.01;
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
  // the progress counts the snapshots of every rank (it counted rank 0's: "filter 3/3")
  EXPECT_NE(out.find("filter 6/6"), std::string::npos) << out;
  iff::SeriesReader a(dir + "/c1.h5"), b(dir + "/c2.h5");
  EXPECT_EQ(a.meta().nx(), 4);
  EXPECT_EQ(a.meta().ny(), 9);
  EXPECT_EQ(a.meta().kind, "fdns");
  EXPECT_NE(a.meta().filter.find("sharp"), std::string::npos) << a.meta().filter;
  ASSERT_EQ(a.n_time(), 3);
  for (int tr = 0; tr < 2; ++tr)
    for (int t = 0; t < 3; ++t) EXPECT_EQ(a.read_velocity(tr, t), b.read_velocity(tr, t)) << tr << " " << t;
  // the wall units of every snapshot, measured on the fine input by whichever rank filtered it
  iff::SeriesReader fine(dir + "/fine.h5");
  ASSERT_TRUE(a.meta().wall && b.meta().wall);
  EXPECT_EQ(a.meta().wall->grid, "8x17x6");
  const auto ra = a.wall_u_tau(), rb = b.wall_u_tau();
  ASSERT_EQ(ra.size(), 6u);
  EXPECT_EQ(ra, rb);
  for (int tr = 0; tr < 2; ++tr)
    for (int t = 0; t < 3; ++t)
      EXPECT_EQ(ra[tr * 3 + t], iff::analysis::snapshot_friction_velocity(fine.read_velocity(tr, t).data(), 8, m.y, 6,
                                                                          m.nu))
          << tr << " " << t;
  // a coarse grid finer than the series is refused, naming it, and leaves no output
  EXPECT_NE(iff::test::run(iff::test::exe() + " filter " + dir + "/fine.h5 --grid 16x9x4 -o " + dir + "/bad.h5", &out),
            0);
  EXPECT_NE(out.find("finer than the series"), std::string::npos) << out;
  EXPECT_FALSE(std::ifstream(dir + "/bad.h5").good());
}

// The same snapshots give the same u_tau from `stats` for a DNS series and for its filtered
// copy: the copy carries the DNS's wall units (measured on the fine grid by `filter`), where
// its own wall slope (the coarse Chebyshev projection of a turbulent mean profile) is several
// per cent off. A second filtering copies the records unchanged.
TEST(StatsCommand, FilteredCopyHasTheWallUnitsOfItsDns) {
  const auto dir = iff::test::temp_dir("stats-filtered");
  iff::SeriesMeta m;
  m.kind = "dns";
  m.n_traj = 2;
  m.dtype = iff::h5::DType::f64;
  m.units = "h, U_c";
  m.nu = 1.0 / 4200;
  m.lx = M_PI;
  m.lz = 0.3 * M_PI;
  for (int i = 0; i < 16; ++i) m.x.push_back(m.lx * i / 16);
  m.y = iff::gauss_lobatto_y(33);
  for (int k = 0; k < 8; ++k) m.z.push_back(m.lz * k / 8);
  // a turbulent mean profile (Reichardt's law at u_tau = 0.0425, Re_tau = 178.5) whose
  // u_tau varies a little between snapshots, with fluctuations that vanish at the walls
  auto reichardt = [](double yp) {
    return std::log(1 + 0.4 * yp) / 0.41 + 7.8 * (1 - std::exp(-yp / 11) - yp / 11 * std::exp(-yp / 3));
  };
  {
    iff::SeriesWriter w(dir + "/dns.h5", m);
    std::vector<double> v(m.snapshot_size());
    for (int t = 0; t < 4; ++t)
      for (int tr = 0; tr < 2; ++tr) {
        const double ut = 0.0425 * (1 + 0.01 * (t - 1.5) + 0.005 * tr);
        for (int i = 0; i < 16; ++i)
          for (int j = 0; j < 33; ++j)
            for (int k = 0; k < 8; ++k) {
              const double y = m.y[j], wall = 1 - y * y, ph = m.x[i] * 2 + m.z[k] * 3 + t + tr;
              double* p = &v[((std::size_t(i) * 33 + j) * 8 + k) * 3];
              p[0] = ut * reichardt((1 - std::abs(y)) * ut / m.nu) + 0.1 * wall * std::sin(ph);
              p[1] = 0.05 * wall * wall * std::cos(ph);
              p[2] = 0.07 * wall * std::sin(ph + 1);
            }
        w.write(t, 0.5 * t, {tr, 1, 0, 16}, v.data());
      }
    w.close();
  }
  std::string out;
  const std::string exe = iff::test::exe();
  ASSERT_EQ(iff::test::run(exe + " filter " + dir + "/dns.h5 --grid 8x17x4 -o " + dir + "/fdns.h5", &out), 0) << out;
  ASSERT_EQ(iff::test::run(exe + " filter " + dir + "/fdns.h5 --grid 4x9x4 -o " + dir + "/ffdns.h5", &out), 0) << out;
  for (const char* s : {"dns", "fdns", "ffdns"})
    ASSERT_EQ(iff::test::run(exe + " stats " + dir + "/" + s + ".h5 -o " + dir + "/st_" + s + " --start 1", &out), 0)
        << out;
  const auto dns = wall_units(dir + "/st_dns"), fdns = wall_units(dir + "/st_fdns");
  const auto ffdns = wall_units(dir + "/st_ffdns");
  EXPECT_EQ(dns.samples, 6);
  EXPECT_EQ(fdns.samples, 6);
  EXPECT_NEAR(fdns.u_tau / dns.u_tau, 1.0, 0.01) << "filtered " << fdns.u_tau << " vs DNS " << dns.u_tau;
  EXPECT_NEAR(ffdns.u_tau / dns.u_tau, 1.0, 0.01);
  EXPECT_NEAR(fdns.re_tau, fdns.u_tau * 4200, 1e-9 * fdns.re_tau);
  EXPECT_EQ(dns.source, "measured wall shear of this series (6 snapshots)");
  EXPECT_EQ(fdns.source, "series records (parent DNS at 16x33x8, 6 snapshots)");
  EXPECT_EQ(ffdns.source, fdns.source);
  // the records are the fine snapshots' own, and a second filtering copies them
  iff::SeriesReader fine(dir + "/dns.h5"), coarse(dir + "/fdns.h5"), coarser(dir + "/ffdns.h5");
  EXPECT_EQ(coarse.wall_u_tau(), coarser.wall_u_tau());
  EXPECT_EQ(coarser.meta().wall->grid, "16x33x8");
  EXPECT_EQ(coarser.meta().wall->measured_by, "dns");
  double tau = 0;
  for (int tr = 0; tr < 2; ++tr)
    for (int t = 1; t < 4; ++t) {
      const double u = iff::analysis::snapshot_friction_velocity(fine.read_velocity(tr, t).data(), 16, m.y, 8, m.nu);
      EXPECT_EQ(coarse.wall_u_tau()[tr * 4 + t], u);
      tau += u * u;
    }
  EXPECT_NEAR(fdns.u_tau, std::sqrt(tau / 6), 1e-15);
  // the coarse copy's own wall slope is off: what `stats` used before the records (and what
  // it uses with them stripped, as from an older file)
  std::vector<double> U(17, 0.0);
  for (int tr = 0; tr < 2; ++tr)
    for (int t = 1; t < 4; ++t) {
      const auto v = coarse.read_velocity(tr, t);
      for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 17; ++j)
          for (int k = 0; k < 4; ++k) U[j] += v[((std::size_t(i) * 17 + j) * 4 + k) * 3] / (8 * 4 * 6);
    }
  const double own = iff::analysis::wall_friction_velocity(coarse.meta().y, U, m.nu);
  EXPECT_GT(std::abs(own / dns.u_tau - 1), 0.02) << "the test needs a profile whose coarse projection moves the slope";
  // --re-tau overrides the records
  ASSERT_EQ(iff::test::run(exe + " stats " + dir + "/fdns.h5 -o " + dir + "/st_override --re-tau 180", &out), 0) << out;
  const auto ov = wall_units(dir + "/st_override");
  EXPECT_DOUBLE_EQ(ov.re_tau, 180);
  EXPECT_NEAR(ov.u_tau, 180.0 / 4200, 1e-15);
  EXPECT_EQ(ov.source.rfind("override", 0), 0u) << ov.source;
  EXPECT_NE(out.find("from override"), std::string::npos) << out;
}
