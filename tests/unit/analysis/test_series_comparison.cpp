// SeriesComparison on synthetic series with known differences. Every expected number is
// computed here from the fields themselves (not from the class):
//   - constant offset a on u: e(k) = a sqrt(N) / ||u_ref(k)||, U+ error = a ||1||_w / ||U||_w,
//     rms and Reynolds-stress errors 0 (a constant does not change fluctuations);
//   - noise of known amplitude: e(k) = ||noise(k)|| / ||u_ref(k)||;
//   - phase shift in x by whole grid points: e(k) from the rolled field, every profile error 0
//     and identical spectra (x-averages and |FFT| do not see a shift);
//   - a field scaled by (1 + 0.2 k): e(k) = 0.2 k exactly, first step over 0.5 is 3;
//   - a prediction stopped by its guard after step 2: only the survivor is averaged after it,
//     and the stop counts as the first step over the threshold;
//   - an LES-like run starting from reference snapshot 2 with times from 0;
//   - missing file, other grid, other snapshot interval: InputError naming the file.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "io/error.hpp"
#include "io/h5.hpp"
#include "io/series.hpp"
#include "spectral/chebyshev.hpp"
#include "analysis/series_comparison.hpp"
#include "tests/support/test_support.hpp"

namespace {

using iff::analysis::SeriesComparison;
using iff::analysis::TrajectoryAlignment;

constexpr int NX = 8, NY = 9, NZ = 4, NTRAJ = 2, NT = 6;
constexpr double DT = 0.5;

iff::SeriesMeta meta(int nx = NX) {
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = NTRAJ;
  m.dtype = iff::h5::DType::f64;
  m.units = "h, u_tau";
  m.re_tau = 180;
  m.nu = 1.0 / 180;
  m.lx = 2 * M_PI;
  m.lz = M_PI;
  for (int i = 0; i < nx; ++i) m.x.push_back(m.lx * i / nx);
  m.y = iff::gauss_lobatto_y(NY);
  for (int k = 0; k < NZ; ++k) m.z.push_back(m.lz * k / NZ);
  return m;
}

/// Reference field of trajectory tr at time index t: a mean profile with travelling waves.
std::vector<double> field(int tr, int t, int nx = NX) {
  const auto m = meta(nx);
  std::vector<double> v(m.snapshot_size());
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < NY; ++j)
      for (int k = 0; k < NZ; ++k) {
        const double x = m.x[i], y = m.y[j], z = m.z[k], ph = 0.4 * t + 1.3 * tr, w = 1 - y * y;
        double* p = &v[((std::size_t(i) * NY + j) * NZ + k) * 3];
        p[0] = 10 * w + 2 * w * std::sin(x + ph) * std::cos(2 * z) + 0.5 * std::cos(2 * x - ph);
        p[1] = w * w * std::cos(x + z + ph);
        p[2] = 0.7 * w * std::sin(2 * z - ph) + 0.3 * std::sin(3 * x);
      }
  return v;
}

using Transform = std::function<std::vector<double>(std::vector<double>, int tr, int t)>;

void write(const std::string& path, const Transform& f, int n_time = NT, double dt = DT, int nx = NX, double t0 = 0.0,
           int start = 0) {
  iff::SeriesWriter w(path, meta(nx));
  for (int t = 0; t < n_time; ++t)
    for (int tr = 0; tr < NTRAJ; ++tr)
      w.write(t, t0 + dt * t, {tr, 1, 0, nx}, f(field(tr, start + t, nx), tr, start + t).data());
  w.close();
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

/// Independent relative error of two fields.
double rel(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t p = 0; p < a.size(); ++p) d[p] = a[p] - b[p];
  return norm(d) / norm(b);
}

double sum_sq(const double* u) {
  double s = 0;
  for (std::size_t p = 0; p < std::size_t(NX) * NY * NZ * 3; ++p) s += u[p] * u[p];
  return s;
}

std::vector<TrajectoryAlignment> identity() { return {{0, 0}, {1, 0}}; }

class Comparison : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = iff::test::temp_dir("compare-unit");
    ref = dir + "/ref.h5";
    write(ref, [](std::vector<double> v, int, int) { return v; });
    params.horizons = {1, 3, 50};
    params.spectra_y_plus = {15, 100};
  }
  std::string dir, ref;
  iff::analysis::ComparisonParams params;
};

TEST_F(Comparison, ConstantOffsetGivesKnownErrors) {
  const double a = 0.1;
  write(dir + "/off.h5", [&](std::vector<double> v, int, int) {
    for (std::size_t p = 0; p < v.size(); p += 3) v[p] += a;
    return v;
  });
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("offset", dir + "/off.h5", identity());
  ASSERT_EQ(r.error.size(), std::size_t(NT));
  const double n_points = double(NX) * NY * NZ;
  for (int k = 0; k < NT; ++k) {
    const double expect =
        0.5 * (a * std::sqrt(n_points) / norm(field(0, k)) + a * std::sqrt(n_points) / norm(field(1, k)));
    EXPECT_NEAR(r.error[k], expect, 1e-13 * expect) << "step " << k;
    EXPECT_EQ(r.count[k], 2);
    EXPECT_DOUBLE_EQ(r.error_c[1][k], 0.0);
    // energies: the function given, averaged over the two trajectories
    auto u0 = field(0, k), u1 = field(1, k);
    EXPECT_NEAR(r.energy_ref[k], 0.5 * (sum_sq(u0.data()) + sum_sq(u1.data())), 1e-10 * r.energy_ref[k]);
  }
  EXPECT_NEAR(r.horizon_error[0], r.error[1], 0.0);
  EXPECT_TRUE(std::isnan(r.horizon_error[2])) << "step 50 is beyond the series";
  EXPECT_EQ(r.first_over, -1);

  // U+ error: a over the quadrature norm of U (mean over x, z, snapshots, trajectories)
  const auto w = iff::spectral::clenshaw_curtis_weights(NY);
  std::vector<double> U(NY, 0.0);
  for (int tr = 0; tr < NTRAJ; ++tr)
    for (int t = 0; t < NT; ++t) {
      const auto f = field(tr, t);
      for (int i = 0; i < NX; ++i)
        for (int j = 0; j < NY; ++j)
          for (int k = 0; k < NZ; ++k) U[j] += f[((std::size_t(i) * NY + j) * NZ + k) * 3] / (NX * NZ * NTRAJ * NT);
    }
  double num = 0, den = 0;
  for (int j = 0; j < NY; ++j) num += w[j] * a * a, den += w[j] * U[j] * U[j];
  EXPECT_NEAR(r.stats_error[0], std::sqrt(num / den), 1e-12);
  for (int q = 1; q < 5; ++q) EXPECT_NEAR(r.stats_error[q], 0.0, 1e-12) << iff::analysis::kProfileNames[q];
}

TEST_F(Comparison, NoiseOfKnownAmplitude) {
  const double amp = 0.05;
  auto noise = [&](int tr, int t) {
    std::mt19937_64 g(1000 * tr + t);
    std::normal_distribution<double> n(0.0, amp);
    std::vector<double> e(std::size_t(NX) * NY * NZ * 3);
    for (auto& v : e) v = n(g);
    return e;
  };
  write(dir + "/noise.h5", [&](std::vector<double> v, int tr, int t) {
    const auto e = noise(tr, t);
    for (std::size_t p = 0; p < v.size(); ++p) v[p] += e[p];
    return v;
  });
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("noise", dir + "/noise.h5", identity());
  for (int k = 0; k < NT; ++k) {
    const double expect = 0.5 * (norm(noise(0, k)) / norm(field(0, k)) + norm(noise(1, k)) / norm(field(1, k)));
    EXPECT_NEAR(r.error[k], expect, 1e-12 * expect);
  }
}

TEST_F(Comparison, PhaseShiftInX) {
  const int shift = 1;  // one grid point: u_c(x_i) = u_ref(x_{i+1})
  auto roll = [&](const std::vector<double>& v) {
    std::vector<double> o(v.size());
    const std::size_t row = std::size_t(NY) * NZ * 3;
    for (int i = 0; i < NX; ++i) std::copy_n(&v[((i + shift) % NX) * row], row, &o[i * row]);
    return o;
  };
  write(dir + "/shift.h5", [&](std::vector<double> v, int, int) { return roll(v); });
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("shift", dir + "/shift.h5", identity());
  for (int k = 0; k < NT; ++k) {
    const double expect = 0.5 * (rel(roll(field(0, k)), field(0, k)) + rel(roll(field(1, k)), field(1, k)));
    EXPECT_GT(expect, 0.01);
    EXPECT_NEAR(r.error[k], expect, 1e-13 * expect);
  }
  for (int q = 0; q < 5; ++q) EXPECT_NEAR(r.stats_error[q], 0.0, 1e-12) << iff::analysis::kProfileNames[q];
  for (int s = 0; s < 2; ++s) {
    const auto a = r.stats->spectrum_x(0, s), b = cmp.reference_statistics().spectrum_x(0, s);
    for (std::size_t q = 0; q < a.size(); ++q) EXPECT_NEAR(a[q], b[q], 1e-12 * (1 + b[q]));
  }
  // the slice at y+ ~ 15 after slice_step (10 > 5 available: the last compared step)
  EXPECT_EQ(r.slice_step, NT - 1);
  const int j = cmp.slice_index();
  // (the reference records no wall units: Re_tau from its own wall shear, sqrt(20 nu)/nu = 60)
  EXPECT_NEAR(cmp.re_tau(), std::sqrt(20.0 * 180) , 1e-9);
  EXPECT_NEAR(1 - std::abs(meta().y[j]), 15.0 / cmp.re_tau(), 0.12) << "nearest y to y+ = 15";
  const auto f = field(0, NT - 1);
  for (int i = 0; i < NX; ++i)
    for (int k = 0; k < NZ; ++k) {
      EXPECT_DOUBLE_EQ(r.slice_ref[i * NZ + k], f[((std::size_t(i) * NY + j) * NZ + k) * 3]);
      EXPECT_DOUBLE_EQ(r.slice[i * NZ + k], f[((std::size_t((i + shift) % NX) * NY + j) * NZ + k) * 3]);
    }
}

TEST_F(Comparison, GrowingErrorCrossesThresholdAtKnownStep) {
  write(dir + "/grow.h5", [&](std::vector<double> v, int, int t) {
    for (double& x : v) x *= 1 + 0.2 * t;
    return v;
  });
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("grow", dir + "/grow.h5", identity());
  for (int k = 0; k < NT; ++k) EXPECT_NEAR(r.error[k], 0.2 * k, 1e-14);
  EXPECT_EQ(r.first_over, 3);  // 0.6 > 0.5; 0.4 is not
  EXPECT_FALSE(r.first_over_by_stop);
  EXPECT_NEAR(r.horizon_error[1], 0.6, 1e-14);
}

TEST_F(Comparison, StoppedPredictionAveragesSurvivorsAndCountsTheStop) {
  const std::string p = dir + "/pred.h5";
  write(p, [&](std::vector<double> v, int tr, int t) {
    for (double& x : v) x *= 1 + 0.01 * t * (tr + 1);
    return v;
  });
  {
    auto f = iff::h5::File::open(p, true);
    f.write_vector("/completed_steps", {2.0, double(NT - 1)});
  }
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("pred", p, identity());
  EXPECT_EQ(r.completed[0], 2);
  for (int k = 0; k < NT; ++k) {
    EXPECT_EQ(r.count[k], k <= 2 ? 2 : 1);
    const double expect = k <= 2 ? 0.5 * (0.01 * k + 0.02 * k) : 0.02 * k;
    EXPECT_NEAR(r.error[k], expect, 1e-14);
  }
  EXPECT_EQ(r.first_over, 3);
  EXPECT_TRUE(r.first_over_by_stop);
}

// An unfinished rollout (killed after writing snapshots past its last record): compared over
// the steps its records stand at, its trajectories at that step are not guard stops, and the
// result says how far it got.
TEST_F(Comparison, PartialRolloutComparesTheStepsItHolds) {
  const std::string p = dir + "/partial.h5";
  write(p, [&](std::vector<double> v, int tr, int t) {
    for (double& x : v) x *= 1 + 0.01 * t * (tr + 1);
    return v;
  });
  auto records = [&](std::vector<double> completed) {
    auto f = iff::h5::File::open(p, true);
    if (f.exists("/completed_steps")) f.write_slab("/completed_steps", {0}, {2}, completed.data());
    else f.write_vector("/completed_steps", completed);
    if (!f.exists("/rollout_progress")) f.write_vector("/rollout_progress", {3.0, 10.0});
  };
  records({3.0, 3.0});
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("partial", p, identity());
  EXPECT_EQ(r.requested_steps, 10);
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(r.completed, (std::vector<int>{3, 3}));
  ASSERT_EQ(r.error.size(), 4u);  // steps 0..3, not the 5 on disk
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(r.count[k], 2);
    EXPECT_NEAR(r.error[k], 0.5 * (0.01 * k + 0.02 * k), 1e-14);
  }
  EXPECT_EQ(r.first_over, -1) << "an unfinished run is no guard stop";
  // a trajectory that its guard stopped before the records' step still counts as a stop
  records({3.0, 1.0});
  const auto s = cmp.compare("partial", p, identity());
  EXPECT_EQ(s.completed, (std::vector<int>{3, 1}));
  EXPECT_EQ(s.first_over, 2);
  EXPECT_TRUE(s.first_over_by_stop);
  // a finished rollout (records at the steps requested) is not partial
  {
    auto f = iff::h5::File::open(p, true);
    const std::vector<double> done = {10.0, 10.0};
    f.write_slab("/rollout_progress", {0}, {2}, done.data());
  }
  EXPECT_EQ(cmp.compare("finished", p, identity()).requested_steps, -1);
}

TEST_F(Comparison, RunStartingLaterInTheReference) {
  // an LES-like run from reference snapshot (trajectory 1, time index 2), its own times from 0
  const std::string les = dir + "/les.h5";
  {
    auto m = meta();
    m.n_traj = 1;
    iff::SeriesWriter w(les, m);
    for (int t = 0; t < 4; ++t) w.write(t, DT * t, {0, 1, 0, NX}, field(1, 2 + t).data());
    w.close();
  }
  SeriesComparison cmp(ref, params, sum_sq);
  const auto r = cmp.compare("les", les, {{1, 2}});
  ASSERT_EQ(r.error.size(), 4u);
  for (double e : r.error) EXPECT_EQ(e, 0.0);
  EXPECT_EQ(cmp.reference_index_of(1.0, "x"), 2);
  // a wrong start is caught by the time check when the times are absolute
  const std::string abs_times = dir + "/abs.h5";
  write(
      abs_times, [](std::vector<double> v, int, int) { return v; }, 3, DT, NX, 2 * DT, 2);
  EXPECT_NO_THROW(cmp.compare("abs", abs_times, {{0, 2}, {1, 2}}));
}

TEST_F(Comparison, BadInputsNameTheFile) {
  SeriesComparison cmp(ref, params, sum_sq);
  auto message = [&](const std::string& file, const std::vector<TrajectoryAlignment>& a) -> std::string {
    try {
      cmp.compare("bad", file, a);
    } catch (const iff::InputError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string missing = dir + "/missing.h5";
  EXPECT_NE(message(missing, identity()).find(missing), std::string::npos) << message(missing, identity());

  const std::string grid = dir + "/grid.h5";
  write(
      grid, [](std::vector<double> v, int, int) { return v; }, NT, DT, 6);
  auto m = message(grid, identity());
  EXPECT_NE(m.find(grid), std::string::npos) << m;
  EXPECT_NE(m.find("grid 6x9x4"), std::string::npos) << m;

  const std::string interval = dir + "/interval.h5";
  write(
      interval, [](std::vector<double> v, int, int) { return v; }, NT, 2 * DT);
  m = message(interval, identity());
  EXPECT_NE(m.find(interval), std::string::npos) << m;
  EXPECT_NE(m.find("snapshot interval"), std::string::npos) << m;

  EXPECT_NE(message(ref, {{0, 0}}).find("alignments"), std::string::npos);
  EXPECT_NE(message(ref, {{0, 0}, {5, 0}}).find("is not in"), std::string::npos);
  EXPECT_THROW(cmp.reference_index_of(0.3, "who"), iff::InputError);
  EXPECT_THROW(SeriesComparison(dir + "/nothing.h5", params, sum_sq), iff::InputError);
}

// The reference's wall units: its records of the parent DNS over the snapshots of its
// statistics, not its own wall shear; compare.re_tau overrides them; the profiles are in them.
TEST_F(Comparison, ReferenceRecordsGiveTheWallUnits) {
  auto m = meta();
  m.wall = iff::SeriesWallUnits{"dns", "32x65x32", "bulk_velocity"};
  const std::string rec = dir + "/recorded.h5";
  auto u_tau_of = [](int tr, int t) { return 0.9 + 0.02 * t + 0.01 * tr; };
  {
    iff::SeriesWriter w(rec, m);
    for (int t = 0; t < NT; ++t)
      for (int tr = 0; tr < NTRAJ; ++tr) {
        w.write(t, DT * t, {tr, 1, 0, NX}, field(tr, t).data());
        const double u = u_tau_of(tr, t);
        w.write_wall_units(t, 1, {tr, 1, 0, NX}, &u);
      }
    w.close();
  }
  params.reference_statistics_start = 2;
  SeriesComparison cmp(rec, params, sum_sq);
  double tau = 0;
  for (int tr = 0; tr < NTRAJ; ++tr)
    for (int t = 2; t < NT; ++t) tau += u_tau_of(tr, t) * u_tau_of(tr, t);
  const double expect = std::sqrt(tau / (NTRAJ * (NT - 2)));
  EXPECT_NEAR(cmp.u_tau(), expect, 1e-15);
  EXPECT_NEAR(cmp.re_tau(), expect * 180, 1e-12);
  EXPECT_EQ(cmp.wall_units().source, iff::analysis::WallUnitsSource::series_records);
  EXPECT_EQ(cmp.wall_units().description, "series records (parent DNS at 32x65x32, 8 snapshots)");
  const auto U = cmp.reference_statistics().mean(0), Up = cmp.profiles(cmp.reference_statistics())[0];
  for (int j = 0; j < NY; ++j) EXPECT_NEAR(Up[j], U[j] / expect, 1e-13 * (1 + std::abs(Up[j])));
  params.re_tau = 150;
  SeriesComparison over(rec, params, sum_sq);
  EXPECT_DOUBLE_EQ(over.re_tau(), 150);
  EXPECT_NEAR(over.u_tau(), 150.0 / 180, 1e-15);
  EXPECT_EQ(over.wall_units().source, iff::analysis::WallUnitsSource::override_re_tau);
}

TEST(SeriesComparisonHelpers, WallShearOfPoiseuille) {
  // U = 1 - y^2: dU/dy = -2y, u_tau^2 = nu (2 - (-2)) / 2 = 2 nu, on GL points and on a uniform grid
  for (bool gl : {true, false}) {
    std::vector<double> y = iff::gauss_lobatto_y(17);
    if (!gl)
      for (int j = 0; j < 17; ++j) y[j] = -1 + 2.0 * j / 16;
    std::vector<double> U;
    for (double v : y) U.push_back(1 - v * v);
    EXPECT_NEAR(iff::analysis::wall_friction_velocity(y, U, 0.01), std::sqrt(0.02), 1e-12) << gl;
    // quadrature: integral of 1 - y^2 over [-1, 1] is 4/3 (trapezoid: O(h^2))
    const auto w = iff::analysis::y_quadrature_weights(y);
    double s = 0;
    for (int j = 0; j < 17; ++j) s += w[j] * U[j];
    EXPECT_NEAR(s, 4.0 / 3.0, gl ? 1e-13 : 1e-2);
  }
}

}  // namespace
