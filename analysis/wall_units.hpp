// Wall units of channel-flow statistics: the friction velocity u_tau and Re_tau = u_tau h/ν
// (h = 1) that scale every "+" quantity (U+ = U/u_tau, y+ = (1 - |y|) Re_tau, -<u'v'>+ =
// -<u'v'>/u_tau², ...), decided in one place for `stats`, `compare`, `rollout`'s statistics,
// the DNS's own statistics and the report.
//
// Order of precedence (resolve_wall_units):
//   1. an explicit override Re_tau = R (`--re-tau`, `compare.re_tau`): u_tau = R ν;
//   2. the series' wall-unit records (io/series.hpp, /wall/u_tau): the wall units the run
//      that made the snapshots measured at its own resolution, u_tau = sqrt(mean u_tau_i²)
//      = sqrt(mean tau_w) over the snapshots the statistic uses; when some of those have no
//      record (a prediction past its reference's end), the series' mean over all its records;
//   3. the measured mean wall shear of the series itself, u_tau² = ν (dU/dy|_{-1} -
//      dU/dy|_{+1}) / 2 of its mean profile: on a coarse (filtered) grid this is the coarse
//      projection's slope, not the parent DNS's (8.5 % off at 8x17x8 from 16x33x16).
// A run in wall units at constant pressure gradient has u_tau = 1 only on average; the
// measured value over the finite window is what its statistics use (and the only right one
// at constant bulk velocity).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "io/series.hpp"

namespace iff::analysis {

/// Friction velocity from the mean wall shear of a profile U(y) on ascending y:
///   u_tau^2 = nu (dU/dy|_{y=-1} - dU/dy|_{y=+1}) / 2  (0 when negative),
/// slopes from the Chebyshev series on Gauss–Lobatto points, second-order one-sided
/// differences otherwise.
double wall_friction_velocity(const std::vector<double>& y, const std::vector<double>& U, double nu);

/// u_tau of one snapshot [nx][ny][nz][3] (y ascending, `y`): wall_friction_velocity of its
/// x–z plane average of u.
double snapshot_friction_velocity(const double* field, int nx, const std::vector<double>& y, int nz, double nu);

enum class WallUnitsSource { override_re_tau, series_records, measured_wall_shear, unknown };

/// The scales of the "+" quantities and where they came from.
struct WallUnits {
  double u_tau = 1.0;   ///< friction velocity in the series' units
  double re_tau = 0.0;  ///< u_tau h / ν (0: unknown, no "+" quantities)
  WallUnitsSource source = WallUnitsSource::unknown;
  std::string description;  ///< one line, e.g. "series records (parent DNS at 16x33x16, 40 snapshots)"
};

/// What a statistic knows about its wall units.
struct WallUnitsEvidence {
  double nu = 0.0;               ///< viscosity in the series' units (0: unknown)
  double re_tau_override = 0.0;  ///< > 0: the override Re_tau
  long snapshots = 0;            ///< snapshots the statistic uses
  /// u_tau records of those snapshots (NaN where one has none); empty: the series has none
  std::vector<double> records;
  std::string recorded_by;       ///< who measured the records, e.g. "parent DNS at 16x33x16"
  SeriesWallUnits series_records;  ///< the series' summary over all its records (fallback)
  /// u_tau from the mean wall shear of the snapshots used (called only when needed)
  std::function<double()> measured_u_tau;
  std::string measured_what = "this series";  ///< what was measured, for the description
  double nominal_re_tau = 0.0;   ///< used only when ν is unknown (u_tau = 1 then)
};

/// The wall units by the order of precedence above.
WallUnits resolve_wall_units(const WallUnitsEvidence& e);

/// (trajectory, time index) of the snapshots a statistic of a series uses.
using SnapshotList = std::vector<std::pair<int, int>>;

/// The evidence of series `r` for the snapshots `used`: its records of them and how it was
/// measured; `measured_u_tau` is left for the caller (it owns the mean profile).
WallUnitsEvidence series_wall_units_evidence(const SeriesReader& r, const SnapshotList& used,
                                             double re_tau_override = 0.0);

/// "DNS at 16x33x16" style name of the run that measured a series' records, "parent ..."
/// when that run is not the series itself (another kind or grid), "this ..." otherwise.
std::string wall_units_origin(const SeriesMeta& m);

/// The text of wall_units.txt: lines "u_tau X", "re_tau X", "samples N", "source TEXT",
/// "series PATH".
std::string wall_units_text(const WallUnits& w, long samples, const std::string& series);

}  // namespace iff::analysis
