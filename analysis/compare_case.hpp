// The case of `ifactflow compare`: a reference series and candidates (operator rollouts, LES
// or DNS runs) compared with it on the same grid. Keys, each next to its typed parameter:
//
//   reference: {file, label}
//   candidates: [{label, file, kind, trajectories, start_index,
//                 cost: {wall_seconds, simulated_time, ranks, threads}}, ...]
//   horizons, threshold, spectra_y_plus, statistics_start, reference_statistics_start,
//   time_tolerance, re_tau, slice: {y_plus, step}         (analysis::ComparisonParams)
//   output: {dir, plot, plot_script}
//
// `--set candidates.1.file=...` addresses the second candidate.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "analysis/series_comparison.hpp"
#include "io/config.hpp"

namespace iff::analysis {

/// Cost of a run: wall-clock of its time loop, the simulated time it advanced (all its
/// trajectories together, as io/run_cost.hpp records it), ranks, threads per rank.
struct Cost {
  double wall_seconds = std::numeric_limits<double>::quiet_NaN();
  double simulated_time = std::numeric_limits<double>::quiet_NaN();
  /// Simulated time summed over the trajectories advanced, up to each one's last good step
  /// (cost.csv's trajectory_time); NaN: simulated_time over n_traj trajectories.
  double trajectory_time = std::numeric_limits<double>::quiet_NaN();
  int ranks = 0, threads = 0;
  std::string source;  ///< where the figures come from (the run's cost.csv, the case)

  /// Wall-clock seconds per trajectory and unit of simulated time, for a run of n_traj.
  double per_trajectory_time(int n_traj) const {
    return std::isfinite(trajectory_time) ? wall_seconds / trajectory_time : wall_seconds / simulated_time / n_traj;
  }
};

struct CandidateCase {
  std::string label;                 ///< candidates.N.label
  std::string file;                  ///< candidates.N.file
  std::string kind;                  ///< candidates.N.kind
  std::vector<int> trajectories;     ///< candidates.N.trajectories
  std::vector<int> start_index;      ///< candidates.N.start_index
  Cost cost;                         ///< candidates.N.cost
};

struct CompareCase {
  std::string reference;                       ///< reference.file
  std::string reference_label = "filtered DNS";  ///< reference.label
  std::vector<CandidateCase> candidates;
  ComparisonParams params;                     ///< horizons .. slice (ComparisonParams, series_comparison.hpp)
  std::string dir = "out/compare";             ///< output.dir
  bool plot = true;                            ///< output.plot
  std::string plot_script;                     ///< output.plot_script

  /// Loads and checks the case (unknown keys rejected); `overrides` as --set.
  static CompareCase load(const std::string& path, const std::vector<std::string>& overrides, Config* resolved);
  /// The case file as a Config: the `candidates` list becomes a map keyed 0, 1, ... so that
  /// every key is addressable (reading, --set candidates.N.KEY, unknown-key rejection).
  static Config load_config(const std::string& path, const std::vector<std::string>& overrides);
  /// Reads the case's keys from `cfg` (unknown keys are the caller's to reject).
  static CompareCase from(const Config& cfg);
};

/// A label as a folder name: characters other than [A-Za-z0-9._-] become '_'.
std::string slug(const std::string& label);

/// The cost of a candidate run: its cost.csv beside the series (io/run_cost.hpp), with the
/// figures the case gives in its place.
Cost candidate_cost(const CandidateCase& k);

}  // namespace iff::analysis
