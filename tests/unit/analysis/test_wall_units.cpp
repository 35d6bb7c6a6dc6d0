// The wall-units resolver: override > series records > measured wall shear, each with the
// one line that says where the wall units came from, and the records' average
// u_tau = sqrt(mean u_tau_i^2) = sqrt(mean tau_w) over the snapshots used.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "io/error.hpp"
#include "io/series.hpp"
#include "analysis/wall_units.hpp"
#include "tests/support/test_support.hpp"

namespace {

using iff::analysis::WallUnitsSource;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Evidence of a centre-line-units series (nu = 1/4200) whose records are those of its parent
/// DNS, with a measured wall shear that differs from them (as on a coarse grid).
iff::analysis::WallUnitsEvidence evidence(int* measured_calls) {
  iff::analysis::WallUnitsEvidence e;
  e.nu = 1.0 / 4200;
  e.snapshots = 3;
  e.records = {0.040, 0.042, 0.044};
  e.recorded_by = "parent DNS at 16x33x16";
  e.series_records.snapshots = 5;
  e.series_records.u_tau = 0.041;
  e.series_records.t_first = 2, e.series_records.t_last = 4;
  e.measured_u_tau = [measured_calls] {
    ++*measured_calls;
    return 0.0455;
  };
  return e;
}

}  // namespace

TEST(WallUnitsResolver, OverrideThenRecordsThenMeasured) {
  int calls = 0;
  auto e = evidence(&calls);
  e.re_tau_override = 180;
  auto w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::override_re_tau);
  EXPECT_DOUBLE_EQ(w.re_tau, 180);
  EXPECT_DOUBLE_EQ(w.u_tau, 180.0 / 4200);  // u_tau = Re_tau nu
  EXPECT_EQ(w.description.rfind("override (Re_tau = 180", 0), 0u) << w.description;

  e.re_tau_override = 0;
  w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::series_records);
  const double expect = std::sqrt((0.040 * 0.040 + 0.042 * 0.042 + 0.044 * 0.044) / 3);
  EXPECT_NEAR(w.u_tau, expect, 1e-15);
  EXPECT_NEAR(w.re_tau, expect * 4200, 1e-11);
  EXPECT_EQ(w.description, "series records (parent DNS at 16x33x16, 3 snapshots)");
  EXPECT_EQ(calls, 0) << "the measured wall shear is not computed when the records decide";

  e.records.clear();
  w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::measured_wall_shear);
  EXPECT_DOUBLE_EQ(w.u_tau, 0.0455);
  EXPECT_DOUBLE_EQ(w.re_tau, 0.0455 * 4200);
  EXPECT_EQ(w.description, "measured wall shear of this series (3 snapshots)");
  EXPECT_EQ(calls, 1);
}

TEST(WallUnitsResolver, SnapshotsWithoutRecordsTakeTheSeriesMean) {
  int calls = 0;
  auto e = evidence(&calls);
  e.records = {0.040, kNaN, kNaN};  // e.g. a prediction past its reference's end
  auto w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::series_records);
  EXPECT_DOUBLE_EQ(w.u_tau, 0.041);
  EXPECT_NE(w.description.find("mean of its 5 records over t = 2..4; 1 of the 3 snapshots used have one"),
            std::string::npos)
      << w.description;
  // a series whose records are all missing falls back to its own wall shear
  e.series_records = {};
  e.records = {kNaN, kNaN, kNaN};
  w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::measured_wall_shear);
  EXPECT_EQ(calls, 1);
}

TEST(WallUnitsResolver, NoViscosityMeansNoMeasuredWallUnits) {
  iff::analysis::WallUnitsEvidence e;
  e.measured_u_tau = [] { return 0.5; };
  e.nominal_re_tau = 180;  // a series in (h, u_tau) units with only its nominal Re_tau
  auto w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::unknown);
  EXPECT_DOUBLE_EQ(w.u_tau, 1.0);
  EXPECT_DOUBLE_EQ(w.re_tau, 180);
  e.measured_u_tau = [] { return 0.0; };
  e.nu = 0.01;
  w = iff::analysis::resolve_wall_units(e);  // zero wall shear: no wall units (see below)
  EXPECT_EQ(w.source, WallUnitsSource::unknown);
  EXPECT_EQ(w.re_tau, 0.0);
}

// The evidence of a series: its records of exactly the snapshots used, and who measured them.
TEST(WallUnitsResolver, SeriesEvidenceReadsTheRecordsOfTheSnapshotsUsed) {
  const auto dir = iff::test::temp_dir("wall-units");
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = 2;
  m.nu = 0.01;
  for (int i = 0; i < 4; ++i) m.x.push_back(i * 0.5);
  m.y = iff::gauss_lobatto_y(5);
  for (int k = 0; k < 2; ++k) m.z.push_back(k * 0.5);
  m.wall = iff::SeriesWallUnits{"dns", "16x33x16", "bulk_velocity"};
  {
    iff::SeriesWriter w(dir + "/s.h5", m);
    std::vector<double> v(m.snapshot_size(), 0.0);
    for (int t = 0; t < 3; ++t)
      for (int tr = 0; tr < 2; ++tr) {
        w.write(t, 0.5 * t, {tr, 1, 0, m.nx()}, v.data());
        const double u = 0.1 * (tr + 1) + 0.01 * t;
        w.write_wall_units(t, 1, {tr, 1, 0, m.nx()}, &u);
      }
    w.close();
  }
  iff::SeriesReader r(dir + "/s.h5");
  const auto e = iff::analysis::series_wall_units_evidence(r, {{1, 2}, {0, 0}, {1, 1}}, 0.0);
  ASSERT_EQ(e.records.size(), 3u);
  EXPECT_DOUBLE_EQ(e.records[0], 0.22);
  EXPECT_DOUBLE_EQ(e.records[1], 0.10);
  EXPECT_DOUBLE_EQ(e.records[2], 0.21);
  EXPECT_EQ(e.recorded_by, "parent DNS at 16x33x16");
  EXPECT_DOUBLE_EQ(e.nu, 0.01);
  const auto w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.description, "series records (parent DNS at 16x33x16, 3 snapshots)");
}

// u_tau of a snapshot from its plane-averaged U: Poiseuille U = 1 - y^2 plus x-z waves that
// average out, u_tau^2 = nu |dU/dy|_wall = 2 nu.
TEST(WallUnitsResolver, SnapshotFrictionVelocityOfPoiseuille) {
  const int nx = 4, nz = 4;
  const auto y = iff::gauss_lobatto_y(9);
  std::vector<double> f(std::size_t(nx) * y.size() * nz * 3, 0.0);
  for (int i = 0; i < nx; ++i)
    for (std::size_t j = 0; j < y.size(); ++j)
      for (int k = 0; k < nz; ++k)
        f[((i * y.size() + j) * nz + k) * 3] = 1 - y[j] * y[j] + 0.3 * std::sin(2 * M_PI * i / nx) * (1 - y[j] * y[j]);
  EXPECT_NEAR(iff::analysis::snapshot_friction_velocity(f.data(), nx, y, nz, 0.01), std::sqrt(0.02), 1e-13);
}

// A mean profile without a positive wall shear (a field of noise, say) has no wall units:
// the statistics go on without "+" quantities and say so, instead of failing the command.
TEST(WallUnitsResolver, NonPositiveWallShearMeansUnknownWallUnits) {
  iff::analysis::WallUnitsEvidence e;
  e.nu = 1.0 / 180;
  e.snapshots = 2;
  e.measured_u_tau = [] { return 0.0; };
  const auto w = iff::analysis::resolve_wall_units(e);
  EXPECT_EQ(w.source, WallUnitsSource::unknown);
  EXPECT_EQ(w.re_tau, 0.0);
  EXPECT_EQ(w.u_tau, 1.0);
  EXPECT_EQ(w.description, "unknown (the mean wall shear of this series is not positive: no wall units)");
}
