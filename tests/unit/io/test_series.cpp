// The data contract: round trips in float32/float64, appending, resume, validation errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <filesystem>
#include <fstream>

#include "io/error.hpp"
#include "io/series.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

iff::SeriesMeta small_meta(int n_traj, iff::h5::DType dt, bool pressure) {
  iff::SeriesMeta m;
  m.kind = "dns";
  m.n_traj = n_traj;
  m.dtype = dt;
  m.has_pressure = pressure;
  m.x = {0.0, 1.0, 2.0, 3.0};
  m.y = iff::gauss_lobatto_y(5);
  m.z = {0.0, 0.5, 1.0};
  m.lx = 4.0;
  m.lz = 1.5;
  m.re_tau = 180;
  m.nu = 1.0 / 180;
  m.config = "grid:\n  nx: 4\n";
  m.git_commit = "abc";
  return m;
}

std::vector<double> field(const iff::SeriesMeta& m, int traj, int t, int comps) {
  std::vector<double> v(static_cast<std::size_t>(m.nx()) * m.ny() * m.nz() * comps);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37 * i + 1.3 * traj + 0.11 * t) * (1 + traj);
  return v;
}

}  // namespace

TEST(Series, GaussLobattoPointsAreRecognisedToTheirTolerance) {
  for (int n : {2, 3, 33, 65}) {
    auto y = iff::gauss_lobatto_y(n);
    EXPECT_EQ(y.front(), -1.0);
    EXPECT_EQ(y.back(), 1.0);
    EXPECT_TRUE(iff::on_gauss_lobatto_y(y)) << n;
    y[n / 2] += 2e-9;  // beyond the default tolerance, within a looser one
    EXPECT_FALSE(iff::on_gauss_lobatto_y(y)) << n;
    EXPECT_TRUE(iff::on_gauss_lobatto_y(y, 1e-8)) << n;
  }
  std::vector<double> uniform(17);
  for (int j = 0; j < 17; ++j) uniform[j] = -1 + 2.0 * j / 16;
  EXPECT_FALSE(iff::on_gauss_lobatto_y(uniform));
  EXPECT_FALSE(iff::on_gauss_lobatto_y({0.0}));
  EXPECT_FALSE(iff::on_gauss_lobatto_y({-1.0, std::nan("")}));
}

TEST(Series, RoundTripFloat64IsExactWithPressureAndAttributes) {
  const auto dir = iff::test::temp_dir("series");
  auto m = small_meta(2, iff::h5::DType::f64, true);
  {
    iff::SeriesWriter w(dir + "/s.h5", m);
    for (int t = 0; t < 3; ++t)
      for (int traj = 0; traj < 2; ++traj) {
        auto v = field(m, traj, t, 3), p = field(m, traj, t + 10, 1);
        w.write(t, 0.25 * t, iff::SeriesBlock{traj, 1, 0, m.nx()}, v.data(), p.data());
      }
    EXPECT_FALSE(fs::exists(dir + "/s.h5")) << "atomic series visible before close()";
    w.close();
  }
  iff::SeriesReader r(dir + "/s.h5");
  EXPECT_EQ(r.n_time(), 3);
  EXPECT_EQ(r.meta().n_traj, 2);
  EXPECT_EQ(r.meta().kind, "dns");
  EXPECT_EQ(r.meta().config, m.config);
  EXPECT_DOUBLE_EQ(r.meta().re_tau, 180);
  EXPECT_EQ(r.meta().y, m.y);
  EXPECT_DOUBLE_EQ(r.times()[2], 0.5);
  for (int t = 0; t < 3; ++t)
    for (int traj = 0; traj < 2; ++traj) {
      auto v = r.read_velocity(traj, t);
      EXPECT_EQ(v, field(m, traj, t, 3));
      std::vector<double> vv(v.size()), p(v.size() / 3);
      r.read(t, iff::SeriesBlock{traj, 1, 0, m.nx()}, vv.data(), p.data());
      EXPECT_EQ(p, field(m, traj, t + 10, 1));
    }
}

TEST(Series, Float32StoresRoundedValuesAndReadsXSlabs) {
  const auto dir = iff::test::temp_dir("series32");
  auto m = small_meta(1, iff::h5::DType::f32, false);
  iff::SeriesWriter w(dir + "/s.h5", m);
  auto v = field(m, 0, 0, 3);
  w.append(1.0, iff::SeriesBlock{0, 1, 0, m.nx()}, v.data());
  w.close();
  iff::SeriesReader r(dir + "/s.h5");
  EXPECT_EQ(r.meta().dtype, iff::h5::DType::f32);
  const std::size_t plane = static_cast<std::size_t>(m.ny()) * m.nz() * 3;
  std::vector<double> slab(2 * plane);
  r.read(0, iff::SeriesBlock{0, 1, 1, 2}, slab.data());
  for (std::size_t i = 0; i < slab.size(); ++i)
    EXPECT_EQ(slab[i], static_cast<double>(static_cast<float>(v[plane + i])));
}

TEST(Series, InPlaceSeriesKeepsCompletedSnapshotsAndResumes) {
  const auto dir = iff::test::temp_dir("series-resume");
  auto m = small_meta(1, iff::h5::DType::f64, false);
  {
    iff::SeriesWriter w(dir + "/s.h5", m, MPI_COMM_SELF, iff::WriteMode::in_place);
    auto v = field(m, 0, 0, 3);
    w.append(0.0, iff::SeriesBlock{0, 1, 0, m.nx()}, v.data());
    // no close(): as if the run were interrupted after one snapshot
  }
  {
    iff::SeriesReader r(dir + "/s.h5");
    EXPECT_EQ(r.n_time(), 1);
  }
  auto w = iff::SeriesWriter::reopen(dir + "/s.h5");
  EXPECT_EQ(w.n_time(), 1);
  auto v1 = field(m, 0, 1, 3);
  w.append(1.0, iff::SeriesBlock{0, 1, 0, m.nx()}, v1.data());
  w.close();
  iff::SeriesReader r(dir + "/s.h5");
  EXPECT_EQ(r.n_time(), 2);
  EXPECT_EQ(r.read_velocity(0, 1), v1);
  EXPECT_EQ(r.read_velocity(0, 0), field(m, 0, 0, 3));
}

TEST(Series, ResumeCopiesTheCompleteSnapshotsOfASeriesMarkedAsBeingWritten) {
  const auto dir = iff::test::temp_dir("series-resume-mark");
  const std::string path = dir + "/s.h5", mark = iff::series_writing_mark(path);
  EXPECT_EQ(mark, dir + "/.s.h5.writing");
  auto m = small_meta(2, iff::h5::DType::f64, false);
  m.wall = iff::SeriesWallUnits{"dns", "4x5x3", "pressure_gradient"};
  auto write_three = [&] {
    iff::SeriesWriter w(path, m, MPI_COMM_SELF, iff::WriteMode::in_place);
    for (int t = 0; t < 3; ++t) {
      for (int traj = 0; traj < 2; ++traj) {
        auto v = field(m, traj, t, 3);
        w.write(t, 0.5 * t, iff::SeriesBlock{traj, 1, 0, m.nx()}, v.data());
      }
      const double u_tau[2] = {1.0 + t, 2.0 + t};
      w.write_wall_units(t, 1, iff::SeriesBlock{0, 2, 0, m.nx()}, u_tau);
      w.write_record("/completed_steps", {double(t), double(t)});
      EXPECT_FALSE(fs::exists(mark)) << "the mark outlives a flushed change";
    }
    // no close(): as if the run were killed
  };
  // unmarked: reopened as it is, every snapshot kept
  write_three();
  EXPECT_EQ(iff::SeriesWriter::resume(path, 2, {"/completed_steps"}).n_time(), 3);
  // marked: only the complete snapshots, their wall units and the records, in a fresh file
  write_three();
  std::ofstream(mark) << "being changed\n";
  {
    auto w = iff::SeriesWriter::resume(path, 2, {"/completed_steps", "/absent"});
    EXPECT_EQ(w.n_time(), 2);
    EXPECT_FALSE(fs::exists(mark));
    auto v = field(m, 1, 2, 3);
    w.write(2, 1.0, iff::SeriesBlock{1, 1, 0, m.nx()}, v.data());
    w.close();
  }
  iff::SeriesReader r(path);
  EXPECT_EQ(r.n_time(), 3);
  EXPECT_EQ(r.times(), (std::vector<double>{0.0, 0.5, 1.0}));
  for (int t = 0; t < 2; ++t)
    for (int traj = 0; traj < 2; ++traj) EXPECT_EQ(r.read_velocity(traj, t), field(m, traj, t, 3)) << traj << t;
  EXPECT_EQ(r.read_velocity(1, 2), field(m, 1, 2, 3));
  const auto wall = r.wall_u_tau();  // [traj][time], NaN where none is recorded
  EXPECT_EQ(wall[0], 1.0);
  EXPECT_EQ(wall[1], 2.0);
  EXPECT_EQ(wall[3], 2.0);
  EXPECT_TRUE(std::isnan(wall[2])) << "a wall record past the kept snapshots";
  EXPECT_EQ(r.file().read_vector("/completed_steps"), (std::vector<double>{2.0, 2.0}));
  EXPECT_FALSE(r.file().exists("/absent"));
  EXPECT_EQ(r.meta().config, m.config);
  // marked and unreadable: one error naming the file
  std::ofstream(path, std::ios::trunc) << "not hdf5";
  std::ofstream(mark) << "being changed\n";
  try {
    iff::SeriesWriter::resume(path, 2, {});
    ADD_FAILURE() << "a damaged series was continued";
  } catch (const iff::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot continue " + path), std::string::npos) << e.what();
  }
}

TEST(Series, AtomicSeriesDiscardedWithoutClose) {
  const auto dir = iff::test::temp_dir("series-discard");
  auto m = small_meta(1, iff::h5::DType::f32, false);
  {
    iff::SeriesWriter w(dir + "/s.h5", m);
    auto v = field(m, 0, 0, 3);
    w.append(0.0, iff::SeriesBlock{0, 1, 0, m.nx()}, v.data());
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "partial output left behind";
}

TEST(Series, RejectsBadFilesNamingTheProblem) {
  const auto dir = iff::test::temp_dir("series-bad");
  auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      iff::SeriesReader r(path);
      ADD_FAILURE() << path << " accepted";
    } catch (const iff::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  {
    std::ofstream f(dir + "/text.h5");
    f << "not hdf5 at all";
  }
  expect_error(dir + "/text.h5", "not an HDF5 file");
  expect_error(dir + "/missing.h5", "does not exist");
  {
    auto f = iff::h5::File::create(dir + "/novel.h5");
    f.write_vector("/grid/x", {0, 1});
  }
  expect_error(dir + "/novel.h5", "no /velocity");
  {
    auto f = iff::h5::File::create(dir + "/mismatch.h5");
    f.create_dataset("/velocity", {1, 1, 4, 5, 3, 3}, iff::h5::DType::f32);
    f.write_vector("/grid/x", {0, 1, 2});  // 3 != 4
    f.write_vector("/grid/y", {0, 1, 2, 3, 4});
    f.write_vector("/grid/z", {0, 1, 2});
    f.write_vector("/time", {0.0});
  }
  expect_error(dir + "/mismatch.h5", "do not match");
  auto m = small_meta(1, iff::h5::DType::f32, false);
  EXPECT_THROW(iff::SeriesWriter(dir + "/nodir/s.h5", m), iff::InputError);
  m.x.clear();
  EXPECT_THROW(iff::SeriesWriter(dir + "/empty.h5", m), iff::InputError);
}

TEST(Series, GaussLobattoPointsAscendWallToWall) {
  auto y = iff::gauss_lobatto_y(33);
  EXPECT_EQ(y.front(), -1.0);
  EXPECT_EQ(y.back(), 1.0);
  EXPECT_EQ(y[16], 0.0);
  for (int j = 1; j < 33; ++j) EXPECT_GT(y[j], y[j - 1]);
  EXPECT_NEAR(y[1], -std::cos(M_PI / 32), 1e-15);
}

// Physically invalid series are refused by every reader, in one line naming file and what is
// wrong: descending y, y outside the walls, a negative or too short box, non-increasing times.
TEST(Series, RejectsGeometryThatIsNotAChannel) {
  const std::string dir = iff::test::temp_dir("series_geometry");
  struct Case {
    const char* name;
    std::function<void(iff::SeriesMeta&)> edit;
    std::vector<double> times;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"descending_y", [](iff::SeriesMeta& m) { std::reverse(m.y.begin(), m.y.end()); }, {0.0, 1.0},
       "/grid/y is not ascending (y[0] = 1, y[1] ="},
      {"outside", [](iff::SeriesMeta& m) { for (double& y : m.y) y *= 2; }, {0.0, 1.0}, "outside the channel [-1, 1]"},
      {"negative_lx", [](iff::SeriesMeta& m) { m.lx = -4.0; }, {0.0, 1.0}, "box length lx = -4 (must be positive)"},
      {"short_lz", [](iff::SeriesMeta& m) { m.lz = 0.9; }, {0.0, 1.0}, "box length lz = 0.9 does not hold the nodes"},
      {"times", [](iff::SeriesMeta&) {}, {1.0, 1.0}, "/time is not increasing (t[0] = 1, t[1] = 1)"},
      {"nu", [](iff::SeriesMeta& m) { m.nu = -1; }, {0.0, 1.0}, "attribute nu = -1"},
  };
  for (const auto& c : cases) {
    auto m = small_meta(1, iff::h5::DType::f64, false);
    c.edit(m);
    const std::string path = dir + "/" + c.name + ".h5";
    {
      iff::SeriesWriter w(path, m);
      for (std::size_t t = 0; t < c.times.size(); ++t)
        w.write(static_cast<int>(t), c.times[t], iff::SeriesBlock{0, 1, 0, m.nx()}, field(m, 0, t, 3).data());
      w.close();
    }
    try {
      iff::SeriesReader r(path);
      ADD_FAILURE() << c.name << ": read without error";
    } catch (const iff::InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("series " + path + ": "), std::string::npos) << what;
      EXPECT_NE(what.find(c.needle), std::string::npos) << c.name << ": " << what;
    }
  }
  // the unchanged geometry reads
  auto m = small_meta(1, iff::h5::DType::f64, false);
  {
    iff::SeriesWriter w(dir + "/good.h5", m);
    w.write(0, 0.0, iff::SeriesBlock{0, 1, 0, m.nx()}, field(m, 0, 0, 3).data());
    w.close();
  }
  EXPECT_NO_THROW(iff::SeriesReader r(dir + "/good.h5"));
}
