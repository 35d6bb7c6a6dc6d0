// Where each trajectory of a candidate series starts in the reference: the reference
// trajectory and the time index of its snapshot 0. From the case (candidates.N.trajectories,
// candidates.N.start_index) where given, else from the file:
//   - a rollout (its /initial_time): trajectories from its rollout.initial / rollout.states
//     (held_out: the reference's last ones), start indices from its initial times;
//   - a run started from a series snapshot (initial.type: series, e.g. an LES): its
//     initial.trajectory, and the time of its initial.time_index in its initial file matched
//     in the reference;
//   - otherwise trajectory c and the reference snapshot at the series' first time.
#pragma once

#include <vector>

#include "analysis/compare_case.hpp"
#include "analysis/series_comparison.hpp"
#include "io/series.hpp"

namespace iff::analysis {

/// InputError / ConfigError when the case's lists do not fit the candidate or its starts are
/// not in the reference.
std::vector<TrajectoryAlignment> candidate_alignment(const CandidateCase& k, const SeriesReader& r,
                                                     const SeriesComparison& cmp);

}  // namespace iff::analysis
