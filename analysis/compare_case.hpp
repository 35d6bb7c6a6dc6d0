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
  int ranks = 0, threads = 0;
  std::string source;  ///< where the figures come from (the run's cost.csv, the case)
};

struct CandidateCase {
  std::string label;                 ///< candidates.N.label: its name in tables and figures (unique)
  std::string file;                  ///< candidates.N.file: the series (data contract)
  std::string kind;                  ///< candidates.N.kind: how to label it (default: the file's kind)
  std::vector<int> trajectories;     ///< candidates.N.trajectories: reference trajectory of each
                                     ///< candidate trajectory (one value: all)
  std::vector<int> start_index;      ///< candidates.N.start_index: reference time index of each
                                     ///< candidate trajectory's snapshot 0 (negative: from the end).
                                     ///< Default for both: from the file (candidate_alignment.hpp)
  Cost cost;                         ///< candidates.N.cost: figures given by hand, overriding the
                                     ///< run's cost.csv (NaN / 0 when absent)
};

struct CompareCase {
  std::string reference;                       ///< reference.file
  std::string reference_label = "filtered DNS";  ///< reference.label
  std::vector<CandidateCase> candidates;
  ComparisonParams params;                     ///< horizons .. slice (series_comparison.hpp)
  std::string dir = "out/compare";             ///< output.dir
  bool plot = true;                            ///< output.plot: figures and report.html
  std::string plot_script;                     ///< output.plot_script (default: found beside the build)

  /// Loads and checks the case (unknown keys rejected); `overrides` as --set.
  static CompareCase load(const std::string& path, const std::vector<std::string>& overrides, Config* resolved);
};

/// A label as a folder name: characters other than [A-Za-z0-9._-] become '_'.
std::string slug(const std::string& label);

}  // namespace iff::analysis
