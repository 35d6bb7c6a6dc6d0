// Comparison of candidate series (LES runs, operator rollouts) with a reference series
// (filtered DNS) on the same coarse grid, from the same initial states. All
// series follow the data contract (io/series.hpp).
//
// Alignment. Trajectory c of a candidate starts from snapshot (r_c, s_c) of the reference
// (trajectory r_c, time index s_c); its snapshot k ("step k") is compared with reference
// snapshot (r_c, s_c + k). The candidate's times must advance like the reference's:
//   | (t_c[k] - t_c[0]) - (t_ref[s_c + k] - t_ref[s_c]) | <= tol * dt_ref  for every compared k,
// with dt_ref = t_ref[1] - t_ref[0]; a different snapshot interval, grid or box is an
// InputError naming the candidate file. A candidate compares steps
// k = 0 .. min(completed_c, n_time_ref - 1 - s_c), where completed_c is the file's
// /completed_steps[c] (predictions stop early when their guard trips) or n_time - 1. An
// unfinished rollout (killed or interrupted: /rollout_progress = [R, M] with R < M) holds R
// steps: its snapshots past R are not counted, its trajectories at R are not guard stops,
// and the result says "partial, R of M steps".
//
// Short-term error. Per trajectory and step, the discrete relative L2 error over the whole
// field (all nx*ny*nz points and the three components, no quadrature weights — the same
// definition as rollout.csv):
//   e_c(k) = sqrt( sum_p |u_c,p(k) - u_ref,p|^2 ) / sqrt( sum_p |u_ref,p|^2 )
// (and per component with the sums restricted to one component), and against the
// reference's fluctuations about its plane-averaged profile (analysis/field_errors.hpp):
//   e'_c(k) = sqrt( sum_p |u_c,p(k) - u_ref,p|^2 ) / sqrt( sum_p |u_ref,p - <u_ref>_xz(y_p)|^2 ),
// the measure that the mean flow does not dominate. The reported e(k) (each of them) is the
// arithmetic mean of e_c(k) over the trajectories that have step k. The first step over
// the threshold is the smallest k >= 1 with e(k) > threshold, or with a trajectory stopped by
// its guard before step k (a stop counts as exceeding); "never" within the compared steps
// otherwise.
//
// Long-term statistics. Each series' profiles (analysis::ChannelStatistics) over all its
// trajectories: candidates from step statistics_start up to each trajectory's completed
// steps, the reference from time index reference_statistics_start. All series are put in
// the reference's wall units (analysis/wall_units.hpp: re_tau override, else the reference's
// records of the parent DNS over the snapshots of its statistics, else its own mean wall
// shear), so the errors compare the same quantities; for f in {U+, u'+, v'+, w'+, -<u'v'>+}
// the error is the relative L2 norm over y with quadrature weights w_j (Clenshaw–Curtis on
// Gauss–Lobatto points, trapezoid otherwise):
//   err_f = sqrt( sum_j w_j (f_c(y_j) - f_ref(y_j))^2 ) / sqrt( sum_j w_j f_ref(y_j)^2 ).
// Each candidate's own u_tau (from its mean wall shear on this grid) is reported beside.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/series.hpp"
#include "analysis/channel_statistics.hpp"
#include "analysis/wall_units.hpp"

namespace iff::analysis {

struct ComparisonParams {
  std::vector<int> horizons = {1, 10, 100};   ///< horizons
  double threshold = 0.5;                     ///< threshold
  std::vector<double> spectra_y_plus = {15};  ///< spectra_y_plus
  double slice_y_plus = 15;                   ///< slice.y_plus
  int slice_step = 10;                        ///< slice.step
  int statistics_start = 0;                   ///< statistics_start
  int reference_statistics_start = 0;         ///< reference_statistics_start
  double time_tolerance = 1e-3;               ///< time_tolerance
  double re_tau = 0;                          ///< re_tau
};

/// Where a candidate trajectory starts in the reference.
struct TrajectoryAlignment {
  int ref_traj = 0;   ///< reference trajectory r_c
  int ref_start = 0;  ///< reference time index s_c of the candidate's snapshot 0
};

/// Kinetic energy of one snapshot [nx][ny][nz][3] (the app passes FieldMeasures).
using EnergyFunction = std::function<double(const double*)>;

/// The five profiles of the long-term statistics, in the reference's wall units.
inline constexpr std::array<const char*, 5> kProfileNames = {"U_plus", "u_rms_plus", "v_rms_plus", "w_rms_plus",
                                                             "minus_uv_plus"};

struct CandidateResult {
  std::string label, file, kind;
  int n_traj = 0;
  int steps = 0;               ///< steps the file holds (n_time - 1)
  std::vector<int> completed;  ///< completed steps per trajectory
  int requested_steps = -1;    ///< a partial (unfinished) rollout: the steps it was asked for
                               ///< (its /rollout_progress), of which it holds `steps`; else -1
  std::vector<TrajectoryAlignment> alignment;
  double dt = 0;  ///< snapshot interval
  // per compared step k = 0..K (mean over the trajectories that have step k)
  std::vector<double> error;                   ///< e(k), total
  std::array<std::vector<double>, 3> error_c;  ///< e(k) of u, v, w
  std::vector<double> error_fluct;             ///< e'(k), against the reference's fluctuations
  std::vector<int> count;                      ///< trajectories averaged at step k
  std::vector<double> energy, energy_ref;      ///< mean kinetic energy of candidate and reference
  std::vector<double> horizon_error;           ///< e(h) per horizon (NaN when not compared)
  std::array<std::vector<double>, 3> horizon_error_c;  ///< e(h) of u, v, w per horizon
  std::vector<double> horizon_error_fluct;             ///< e'(h) per horizon
  int first_over = -1;                         ///< first step over the threshold (-1: never)
  bool first_over_by_stop = false;             ///< first_over comes from a guard stop
  std::array<double, 5> stats_error{};         ///< relative L2 over y per kProfileNames
  double u_tau_own = 0, re_tau_own = 0;        ///< from the series' own mean wall shear
  std::shared_ptr<ChannelStatistics> stats;    ///< profiles and spectra
  // x–z slice of u at the slice y index (trajectory 0), and the matching reference slice
  int slice_step = -1;
  std::vector<double> slice, slice_ref;  ///< [nx][nz]
};

/// Quadrature weights over y in [-1, 1] (Clenshaw–Curtis on Gauss–Lobatto points,
/// trapezoid on any other ascending grid).
std::vector<double> y_quadrature_weights(const std::vector<double>& y);

/// Relative L2 norm over y with quadrature weights: sqrt(sum w (a - b)^2) / sqrt(sum w b^2),
/// with the zero-reference convention of analysis/relative_l2.hpp.
double relative_l2_over_y(const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& w);

class SeriesComparison {
 public:
  /// Opens the reference, checks it and computes its statistics and wall units.
  SeriesComparison(const std::string& reference, ComparisonParams params, EnergyFunction energy);

  /// Compares one candidate. `alignment` holds one entry per candidate trajectory.
  CandidateResult compare(const std::string& label, const std::string& file,
                          const std::vector<TrajectoryAlignment>& alignment, const std::string& kind = "") const;

  /// Reference time index whose time is within tolerance of `t` (InputError naming `who`
  /// otherwise).
  int reference_index_of(double t, const std::string& who) const;

  const SeriesReader& reference() const { return *ref_; }
  const ChannelStatistics& reference_statistics() const { return *ref_stats_; }
  double u_tau() const { return wall_.u_tau; }    ///< of the wall units
  double re_tau() const { return wall_.re_tau; }  ///< of the wall units (0: unknown)
  const WallUnits& wall_units() const { return wall_; }  ///< with where they came from
  double dt() const { return dt_; }          ///< reference snapshot interval
  const std::vector<int>& spectra_indices() const { return spectra_j_; }
  int slice_index() const { return slice_j_; }
  /// Profiles of `s` in the reference's wall units, in the order of kProfileNames.
  std::array<std::vector<double>, 5> profiles(const ChannelStatistics& s) const;

 private:
  /// Values per (trajectory c, compared step k): the five field errors (total, u, v, w,
  /// fluctuations) and the kinetic energy of candidate and reference.
  struct StepValues {
    int n_k = 0;  ///< compared steps, 0 .. n_k - 1
    std::vector<double> errors, energies;
    double* error_at(int c, int k) { return &errors[(std::size_t(c) * n_k + k) * 5]; }
    double* energy_at(int c, int k) { return &energies[(std::size_t(c) * n_k + k) * 2]; }
  };
  // The steps of compare(): same grid, box and interval as the reference; completed steps
  // (records of an unfinished or guard-stopped rollout); compared steps per trajectory with
  // their times checked; errors, energies, statistics and the slice read; the mean over
  // trajectories; horizons and the first step over the threshold; the long-term statistics.
  void require_comparable(const SeriesReader& cand, const std::string& label, std::size_t n_alignments) const;
  static void read_completed(const SeriesReader& cand, CandidateResult& r);
  std::vector<int> compared_steps(const SeriesReader& cand, const CandidateResult& r) const;
  StepValues sample_steps(const SeriesReader& cand, const std::vector<int>& kc, CandidateResult& r) const;
  static void average_steps(StepValues& sv, const std::vector<int>& kc, CandidateResult& r);
  void find_horizons(CandidateResult& r) const;
  void compare_statistics(const SeriesMeta& m, CandidateResult& r) const;

  std::unique_ptr<SeriesReader> ref_;
  ComparisonParams p_;
  EnergyFunction energy_;
  double dt_ = 1.0, lx_ = 0, lz_ = 0;
  WallUnits wall_;
  std::vector<int> spectra_j_;
  int slice_j_ = 0;
  std::vector<double> w_y_;
  std::shared_ptr<ChannelStatistics> ref_stats_;
};

}  // namespace iff::analysis
