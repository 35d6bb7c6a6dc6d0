#include "analysis/series_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/field_errors.hpp"
#include "analysis/relative_l2.hpp"
#include "io/error.hpp"
#include "spectral/chebyshev.hpp"

namespace iff::analysis {

namespace {

bool same_coordinates(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > 1e-9 * std::max(1.0, std::abs(b[i]))) return false;
  return true;
}

void require_finite(const std::vector<double>& v, const std::string& file, int traj, int ti) {
  for (double x : v)
    IFF_CHECK_AS(NumericalError, std::isfinite(x),
                 "series " << file << ": non-finite value in trajectory " << traj << ", time index " << ti);
}

}  // namespace

std::vector<double> y_quadrature_weights(const std::vector<double>& y) {
  const int n = static_cast<int>(y.size());
  if (on_gauss_lobatto_y(y)) return spectral::clenshaw_curtis_weights(n);
  std::vector<double> w(n, 0.0);
  for (int j = 0; j < n; ++j) w[j] = 0.5 * ((j + 1 < n ? y[j + 1] - y[j] : 0.0) + (j > 0 ? y[j] - y[j - 1] : 0.0));
  return w;
}

double relative_l2_over_y(const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& w) {
  double num = 0, den = 0;
  for (std::size_t j = 0; j < b.size(); ++j) {
    num += w[j] * (a[j] - b[j]) * (a[j] - b[j]);
    den += w[j] * b[j] * b[j];
  }
  return analysis::relative_l2_from_sums(num, den);
}

SeriesComparison::SeriesComparison(const std::string& reference, ComparisonParams params, EnergyFunction energy)
    : ref_(std::make_unique<SeriesReader>(reference)), p_(std::move(params)), energy_(std::move(energy)) {
  IFF_CHECK(static_cast<bool>(energy_), "SeriesComparison needs an energy function");
  const SeriesMeta& m = ref_->meta();
  IFF_REQUIRE(ref_->n_time() >= 2, "reference " << reference << " holds " << ref_->n_time()
                                                << " snapshot(s); at least 2 are needed to compare in time");
  IFF_REQUIRE(m.nx() >= 2 && m.nz() >= 2 && m.ny() >= 3,
              "reference " << reference << ": grid " << m.nx() << "x" << m.ny() << "x" << m.nz() << " is too small");
  IFF_REQUIRE(p_.threshold > 0, "threshold must be positive, got " << p_.threshold);
  IFF_REQUIRE(p_.time_tolerance > 0 && p_.time_tolerance < 0.5,
              "time_tolerance must be in (0, 0.5) snapshot intervals, got " << p_.time_tolerance);
  const auto& t = ref_->times();
  dt_ = t[1] - t[0];
  IFF_REQUIRE(dt_ > 0, "reference " << reference << ": times are not increasing (" << t[0] << ", " << t[1] << ")");
  for (int i = 1; i < ref_->n_time(); ++i)
    IFF_REQUIRE(std::abs(t[i] - t[i - 1] - dt_) <= p_.time_tolerance * dt_,
                "reference " << reference << ": snapshot interval is not uniform (t[" << i - 1 << "] = " << t[i - 1]
                             << ", t[" << i << "] = " << t[i] << ", first interval " << dt_ << ")");
  IFF_REQUIRE(p_.reference_statistics_start >= 0 && p_.reference_statistics_start < ref_->n_time(),
              "reference_statistics_start " << p_.reference_statistics_start << " outside the " << ref_->n_time()
                                            << " snapshots of the reference " << reference);
  lx_ = m.box_lx();
  lz_ = m.box_lz();
  w_y_ = y_quadrature_weights(m.y);

  auto each_snapshot = [&](const std::function<void(const std::vector<double>&)>& f) {
    for (int tr = 0; tr < m.n_traj; ++tr)
      for (int ti = p_.reference_statistics_start; ti < ref_->n_time(); ++ti) {
        auto v = ref_->read_velocity(tr, ti);
        require_finite(v, reference, tr, ti);
        f(v);
      }
  };
  // wall units of the reference's statistics (one resolver for every command)
  SnapshotList used;
  for (int tr = 0; tr < m.n_traj; ++tr)
    for (int ti = p_.reference_statistics_start; ti < ref_->n_time(); ++ti) used.push_back({tr, ti});
  auto evidence = series_wall_units_evidence(*ref_, used, p_.re_tau);
  evidence.measured_u_tau = [&] {
    ChannelStatistics mean_only(m.nx(), m.ny(), m.nz(), lx_, lz_, m.y);
    each_snapshot([&](const std::vector<double>& v) { mean_only.add(v.data()); });
    return wall_friction_velocity(m.y, mean_only.mean(0), m.nu);
  };
  wall_ = resolve_wall_units(evidence);
  const double re_place = wall_.re_tau > 0 ? wall_.re_tau : 180.0;  // nominal when unknown
  spectra_j_ = nearest_y_plus_indices(m.y, p_.spectra_y_plus, re_place);
  slice_j_ = nearest_y_plus_indices(m.y, {p_.slice_y_plus}, re_place).front();
  ref_stats_ = std::make_shared<ChannelStatistics>(m.nx(), m.ny(), m.nz(), lx_, lz_, m.y, spectra_j_);
  each_snapshot([&](const std::vector<double>& v) { ref_stats_->add(v.data()); });
}

int SeriesComparison::reference_index_of(double time, const std::string& who) const {
  const auto& t = ref_->times();
  for (int i = 0; i < ref_->n_time(); ++i)
    if (std::abs(t[i] - time) <= p_.time_tolerance * dt_) return i;
  IFF_REQUIRE(false, who << ": initial time " << time << " is not a snapshot time of the reference " << ref_->path()
                         << " (t = " << t.front() << " .. " << t.back() << " every " << dt_ << ")");
  return -1;
}

std::array<std::vector<double>, 5> SeriesComparison::profiles(const ChannelStatistics& s) const {
  std::array<std::vector<double>, 5> p = {s.mean(0), s.rms(0), s.rms(1), s.rms(2), s.reynolds_shear()};
  for (int q = 0; q < 5; ++q)
    for (double& v : p[q]) v /= q == 4 ? wall_.u_tau * wall_.u_tau : wall_.u_tau;
  return p;
}

void SeriesComparison::require_comparable(const SeriesReader& cand, const std::string& label,
                                          std::size_t n_alignments) const {
  const SeriesMeta& m = cand.meta();
  const SeriesMeta& rm = ref_->meta();
  const std::string& file = cand.path();
  const std::string& rfile = ref_->path();
  IFF_REQUIRE(m.nx() == rm.nx() && m.ny() == rm.ny() && m.nz() == rm.nz(),
              "series " << file << " (" << label << "): grid " << m.nx() << "x" << m.ny() << "x" << m.nz()
                        << " differs from the reference " << rfile << "'s " << rm.nx() << "x" << rm.ny() << "x"
                        << rm.nz());
  IFF_REQUIRE(
      same_coordinates(m.x, rm.x) && same_coordinates(m.y, rm.y) && same_coordinates(m.z, rm.z) &&
          std::abs(m.box_lx() - lx_) <= 1e-9 * lx_ && std::abs(m.box_lz() - lz_) <= 1e-9 * lz_,
      "series " << file << " (" << label << "): grid coordinates or box " << m.box_lx() << " x "
                << m.box_lz() << " differ from the reference " << rfile << "'s " << lx_ << " x " << lz_);
  IFF_REQUIRE(cand.n_time() >= 1, "series " << file << " (" << label << ") holds no snapshot");
  if (cand.n_time() >= 2) {
    const double dtc = cand.times()[1] - cand.times()[0];
    IFF_REQUIRE(std::abs(dtc - dt_) <= p_.time_tolerance * dt_,
                "series " << file << " (" << label << "): snapshot interval " << dtc << " differs from the reference "
                          << rfile << "'s " << dt_);
  }
  IFF_REQUIRE(static_cast<int>(n_alignments) == m.n_traj, "series "
                                                              << file << " (" << label << "): " << n_alignments
                                                              << " alignments for " << m.n_traj << " trajectories");
}

void SeriesComparison::read_completed(const SeriesReader& cand, CandidateResult& r) {
  const std::string& file = cand.path();
  const int n_traj = cand.meta().n_traj;
  if (cand.file().exists("/rollout_progress")) {
    const auto progress = cand.file().read_vector("/rollout_progress");
    IFF_REQUIRE(progress.size() == 2, "series " << file << ": /rollout_progress has " << progress.size()
                                                << " entries, expected 2 (steps done, steps requested)");
    const int done = static_cast<int>(std::lround(progress[0])), requested = static_cast<int>(std::lround(progress[1]));
    if (done < requested) {  // an unfinished rollout: what its records stand at
      r.requested_steps = requested;
      r.steps = std::clamp(done, 0, r.steps);
    }
  }
  r.completed.assign(n_traj, r.steps);
  if (cand.file().exists("/completed_steps")) {
    const auto done = cand.file().read_vector("/completed_steps");
    IFF_REQUIRE(static_cast<int>(done.size()) == n_traj, "series " << file << ": /completed_steps has " << done.size()
                                                                   << " entries for " << n_traj << " trajectories");
    for (int c = 0; c < n_traj; ++c) r.completed[c] = std::clamp(static_cast<int>(std::lround(done[c])), 0, r.steps);
  }
}

std::vector<int> SeriesComparison::compared_steps(const SeriesReader& cand, const CandidateResult& r) const {
  const SeriesMeta& rm = ref_->meta();
  const std::string& file = cand.path();
  const std::string& rfile = ref_->path();
  const auto& tc = cand.times();
  const auto& tr = ref_->times();
  std::vector<int> kc(r.n_traj);
  for (int c = 0; c < r.n_traj; ++c) {
    const auto& a = r.alignment[c];
    IFF_REQUIRE(a.ref_traj >= 0 && a.ref_traj < rm.n_traj && a.ref_start >= 0 && a.ref_start < ref_->n_time(),
                "series " << file << " (" << r.label << "), trajectory " << c << ": reference snapshot (trajectory "
                          << a.ref_traj << ", time index " << a.ref_start << ") is not in " << rfile << " ("
                          << rm.n_traj << " trajectories, " << ref_->n_time() << " snapshots)");
    kc[c] = std::min(r.completed[c], ref_->n_time() - 1 - a.ref_start);
    for (int k = 0; k <= std::min(r.steps, ref_->n_time() - 1 - a.ref_start); ++k) {
      const double dc = tc[k] - tc[0], dr = tr[a.ref_start + k] - tr[a.ref_start];
      IFF_REQUIRE(std::abs(dc - dr) <= p_.time_tolerance * dt_,
                  "series " << file << " (" << r.label << "): snapshot " << k << " at t = " << tc[k]
                            << " does not match the reference " << rfile << " time " << tr[a.ref_start + k]
                            << " (interval " << dt_ << ", trajectory " << c << " starts at reference time index "
                            << a.ref_start << ")");
    }
  }
  return kc;
}

SeriesComparison::StepValues SeriesComparison::sample_steps(const SeriesReader& cand, const std::vector<int>& kc,
                                                            CandidateResult& r) const {
  const SeriesMeta& m = cand.meta();
  const std::string& file = cand.path();
  const std::string& rfile = ref_->path();
  StepValues sv;
  int kmax = 0;
  for (int k : kc) kmax = std::max(kmax, k);
  sv.n_k = kmax + 1;
  sv.errors.assign(std::size_t(m.n_traj) * sv.n_k * 5, 0.0);
  sv.energies.assign(std::size_t(m.n_traj) * sv.n_k * 2, 0.0);
  r.stats = std::make_shared<ChannelStatistics>(m.nx(), m.ny(), m.nz(), lx_, lz_, m.y, spectra_j_);
  const int k_slice = std::max(0, std::min(p_.slice_step, kc[0]));
  const std::size_t plane = std::size_t(m.nx()) * m.nz();
  for (int c = 0; c < m.n_traj; ++c) {
    const auto& a = r.alignment[c];
    for (int k = 0; k <= r.completed[c]; ++k) {
      const auto u = cand.read_velocity(c, k);
      require_finite(u, file, c, k);
      if (k >= p_.statistics_start) r.stats->add(u.data());
      if (k > kc[c]) continue;
      const auto ur = ref_->read_velocity(a.ref_traj, a.ref_start + k);
      require_finite(ur, rfile, a.ref_traj, a.ref_start + k);
      const auto fe = analysis::field_errors(u.data(), ur.data(), m.nx(), m.ny(), m.nz()).values();
      std::copy(fe.begin(), fe.end(), sv.error_at(c, k));  // total, u, v, w, fluct
      sv.energy_at(c, k)[0] = energy_(u.data());
      sv.energy_at(c, k)[1] = energy_(ur.data());
      if (c == 0 && k == k_slice) {
        r.slice_step = k;
        r.slice.resize(plane);
        r.slice_ref.resize(plane);
        for (int i = 0; i < m.nx(); ++i)
          for (int kz = 0; kz < m.nz(); ++kz) {
            const std::size_t at = ((std::size_t(i) * m.ny() + slice_j_) * m.nz() + kz) * 3;
            r.slice[std::size_t(i) * m.nz() + kz] = u[at];
            r.slice_ref[std::size_t(i) * m.nz() + kz] = ur[at];
          }
      }
    }
  }
  return sv;
}

void SeriesComparison::average_steps(StepValues& sv, const std::vector<int>& kc, CandidateResult& r) {
  const int n_k = sv.n_k;
  r.error.assign(n_k, 0.0);
  for (auto& v : r.error_c) v.assign(n_k, 0.0);
  r.error_fluct.assign(n_k, 0.0);
  r.count.assign(n_k, 0);
  r.energy.assign(n_k, 0.0);
  r.energy_ref.assign(n_k, 0.0);
  for (int k = 0; k < n_k; ++k) {
    for (int c = 0; c < r.n_traj; ++c) {
      if (k > kc[c]) continue;
      const double* ec = sv.error_at(c, k);
      r.error[k] += ec[0];
      for (int q = 0; q < 3; ++q) r.error_c[q][k] += ec[q + 1];
      r.error_fluct[k] += ec[4];
      r.energy[k] += sv.energy_at(c, k)[0];
      r.energy_ref[k] += sv.energy_at(c, k)[1];
      ++r.count[k];
    }
    if (r.count[k] > 0) {
      const double inv = 1.0 / r.count[k];
      r.error[k] *= inv;
      for (int q = 0; q < 3; ++q) r.error_c[q][k] *= inv;
      r.error_fluct[k] *= inv;
      r.energy[k] *= inv;
      r.energy_ref[k] *= inv;
    }
  }
}

void SeriesComparison::find_horizons(CandidateResult& r) const {
  const int n_k = static_cast<int>(r.error.size());
  for (int h : p_.horizons) {
    const bool compared = h >= 0 && h < n_k && r.count[h] > 0;
    auto at = [&](const std::vector<double>& v) { return compared ? v[h] : std::numeric_limits<double>::quiet_NaN(); };
    r.horizon_error.push_back(at(r.error));
    for (int q = 0; q < 3; ++q) r.horizon_error_c[q].push_back(at(r.error_c[q]));
    r.horizon_error_fluct.push_back(at(r.error_fluct));
  }
  // first step over the threshold: the mean error, or a guard stop inside the compared range
  int stop = std::numeric_limits<int>::max();
  for (int c = 0; c < r.n_traj; ++c)
    if (r.completed[c] < r.steps && r.completed[c] + 1 <= ref_->n_time() - 1 - r.alignment[c].ref_start)
      stop = std::min(stop, r.completed[c] + 1);
  for (int k = 1; k < n_k; ++k)
    if (r.count[k] > 0 && r.error[k] > p_.threshold) {
      r.first_over = k;
      break;
    }
  if (stop != std::numeric_limits<int>::max() && (r.first_over < 0 || stop < r.first_over)) {
    r.first_over = stop;
    r.first_over_by_stop = true;
  }
}

void SeriesComparison::compare_statistics(const SeriesMeta& m, CandidateResult& r) const {
  if (r.stats->samples() > 0) {
    const auto pc = profiles(*r.stats), pr = profiles(*ref_stats_);
    for (int q = 0; q < 5; ++q) r.stats_error[q] = relative_l2_over_y(pc[q], pr[q], w_y_);
    if (m.nu > 0) {
      r.u_tau_own = wall_friction_velocity(m.y, r.stats->mean(0), m.nu);
      r.re_tau_own = r.u_tau_own / m.nu;
    }
  } else {
    r.stats_error.fill(std::numeric_limits<double>::quiet_NaN());
  }
}

CandidateResult SeriesComparison::compare(const std::string& label, const std::string& file,
                                          const std::vector<TrajectoryAlignment>& alignment,
                                          const std::string& kind) const {
  SeriesReader cand(file);
  const SeriesMeta& m = cand.meta();
  require_comparable(cand, label, alignment.size());
  CandidateResult r;
  r.label = label;
  r.file = file;
  r.kind = kind.empty() ? m.kind : kind;
  r.n_traj = m.n_traj;
  r.steps = cand.n_time() - 1;
  r.alignment = alignment;
  r.dt = dt_;
  read_completed(cand, r);
  const std::vector<int> kc = compared_steps(cand, r);
  // per (trajectory, step) values, averaged in a fixed order afterwards
  StepValues sv = sample_steps(cand, kc, r);
  average_steps(sv, kc, r);
  find_horizons(r);
  compare_statistics(m, r);
  return r;
}

}  // namespace iff::analysis
