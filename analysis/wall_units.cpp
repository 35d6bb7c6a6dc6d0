#include "analysis/wall_units.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "io/error.hpp"
#include "spectral/chebyshev.hpp"

namespace iff::analysis {

namespace {

/// "DNS", "LES (dsm)", or the kind itself.
std::string run_name(const std::string& kind) {
  if (kind == "dns") return "DNS";
  if (kind.rfind("les-", 0) == 0) return "LES (" + kind.substr(4) + ")";
  return kind.empty() ? std::string("unknown run") : kind;
}

}  // namespace

double wall_friction_velocity(const std::vector<double>& y, const std::vector<double>& U, double nu) {
  const int n = static_cast<int>(y.size());
  IFF_REQUIRE(n >= 3 && U.size() == y.size(), "wall shear: need a profile on at least 3 points");
  double bottom = 0, top = 0;
  if (on_gauss_lobatto_y(y)) {
    std::vector<double> a(U.rbegin(), U.rend());  // descending y: y_0 = +1
    spectral::ChebyshevTransform t(n);
    t.to_coefficients(a.data());
    bottom = spectral::chebyshev_slope_bottom(a.data(), n);
    top = spectral::chebyshev_slope_top(a.data(), n);
  } else {
    // second-order one-sided differences
    auto slope = [](double y0, double y1, double y2, double u0, double u1, double u2) {
      const double h1 = y1 - y0, h2 = y2 - y0;
      return (u1 * h2 * h2 - u2 * h1 * h1 - u0 * (h2 * h2 - h1 * h1)) / (h1 * h2 * (h2 - h1));
    };
    bottom = slope(y[0], y[1], y[2], U[0], U[1], U[2]);
    top = slope(y[n - 1], y[n - 2], y[n - 3], U[n - 1], U[n - 2], U[n - 3]);
  }
  return std::sqrt(std::max(0.0, nu * (bottom - top) / 2));
}

double snapshot_friction_velocity(const double* f, int nx, const std::vector<double>& y, int nz, double nu) {
  const int ny = static_cast<int>(y.size());
  std::vector<double> U(ny, 0.0);
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) U[j] += f[((std::size_t(i) * ny + j) * nz + k) * 3];
  for (double& u : U) u /= double(nx) * nz;
  return wall_friction_velocity(y, U, nu);
}

WallUnits resolve_wall_units(const WallUnitsEvidence& e) {
  WallUnits w;
  auto re_of = [&](double u_tau) { return e.nu > 0 ? u_tau / e.nu : 0.0; };
  if (e.re_tau_override > 0) {
    w.source = WallUnitsSource::override_re_tau;
    w.re_tau = e.re_tau_override;
    w.u_tau = e.nu > 0 ? e.re_tau_override * e.nu : 1.0;
    w.description = fmt::format("override (Re_tau = {:.6g}, u_tau = {})", e.re_tau_override,
                                e.nu > 0 ? "Re_tau nu" : "1: the series has no viscosity");
    return w;
  }
  if (!e.records.empty()) {
    double tau = 0.0;
    long n = 0;
    for (double u : e.records)
      if (std::isfinite(u)) tau += u * u, ++n;
    const long used = static_cast<long>(e.records.size());
    if (n == used && n > 0) {
      w.source = WallUnitsSource::series_records;
      w.u_tau = std::sqrt(tau / n);
      w.re_tau = re_of(w.u_tau);
      w.description = fmt::format("series records ({}, {} snapshots)", e.recorded_by, n);
      return w;
    }
    const auto& s = e.series_records;
    if (s.snapshots > 0 && s.u_tau > 0) {
      w.source = WallUnitsSource::series_records;
      w.u_tau = s.u_tau;
      w.re_tau = re_of(w.u_tau);
      w.description = fmt::format(
          "series records ({}, mean of its {} records over t = {:.6g}..{:.6g}; {} of the {} snapshots used have one)",
          e.recorded_by, s.snapshots, s.t_first, s.t_last, n, used);
      return w;
    }
  }
  if (e.nu > 0 && e.measured_u_tau) {
    const double u_tau = e.measured_u_tau();
    if (u_tau > 0) {
      w.source = WallUnitsSource::measured_wall_shear;
      w.u_tau = u_tau;
      w.re_tau = re_of(w.u_tau);
      w.description = fmt::format("measured wall shear of {} ({} snapshots)", e.measured_what, e.snapshots);
      return w;
    }
    // not a wall-bounded flow's mean profile (e.g. a field of noise): no "+" quantities
    w.source = WallUnitsSource::unknown;
    w.u_tau = 1.0;
    w.re_tau = 0.0;
    w.description = fmt::format("unknown (the mean wall shear of {} is not positive: no wall units)", e.measured_what);
    return w;
  }
  w.source = WallUnitsSource::unknown;
  w.u_tau = 1.0;
  w.re_tau = e.nominal_re_tau;
  w.description =
      e.nominal_re_tau > 0
          ? fmt::format("nominal (no viscosity: u_tau = 1, Re_tau = {:.6g} from the series)", e.nominal_re_tau)
          : std::string("unknown (no viscosity: u_tau = 1, no wall units)");
  return w;
}

std::string wall_units_origin(const SeriesMeta& m) {
  if (!m.wall) return "no records";
  const bool self = m.wall->measured_by == m.kind && m.wall->grid == grid_name(m.nx(), m.ny(), m.nz());
  return fmt::format("{} {} at {}", self ? "this" : "parent", run_name(m.wall->measured_by), m.wall->grid);
}

WallUnitsEvidence series_wall_units_evidence(const SeriesReader& r, const SnapshotList& used, double re_tau_override) {
  const SeriesMeta& m = r.meta();
  WallUnitsEvidence e;
  e.nu = m.nu;
  e.re_tau_override = re_tau_override;
  e.snapshots = static_cast<long>(used.size());
  e.nominal_re_tau = m.units.find("u_tau") != std::string::npos ? m.re_tau : 0.0;
  if (m.wall) {
    const auto all = r.wall_u_tau();
    for (const auto& [traj, ti] : used) e.records.push_back(all[std::size_t(traj) * r.n_time() + ti]);
    e.recorded_by = wall_units_origin(m);
    e.series_records = *m.wall;
  }
  return e;
}

std::string wall_units_text(const WallUnits& w, long samples, const std::string& series) {
  return fmt::format("u_tau {:.17g}\nre_tau {:.17g}\nsamples {}\nsource {}\nseries {}\n", w.u_tau, w.re_tau, samples,
                     w.description, series);
}

}  // namespace iff::analysis
