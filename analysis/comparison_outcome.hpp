// What one candidate of `ifactflow compare` contributes to the outputs: its comparison
// result, its profiles and spectra, its cost. Candidate i is computed by rank i % size;
// gather_outcomes brings them to rank 0 as flat messages of doubles (integers and
// characters are exact in a double), so that every number is computed by one rank in one
// order and the outputs do not depend on the number of ranks.
#pragma once

#include <mpi.h>

#include <array>
#include <vector>

#include "analysis/channel_statistics.hpp"
#include "analysis/compare_case.hpp"
#include "analysis/series_comparison.hpp"

namespace iff::analysis {

/// Profiles (reference wall units) and spectra of one series, as the tables need them.
struct SeriesTables {
  long samples = 0;
  std::array<std::vector<double>, 5> profiles;             ///< per kProfileNames
  std::vector<std::array<std::vector<double>, 3>> ex, ez;  ///< per spectra height: E_uu, E_vv, E_ww
};

SeriesTables tables_of(const ChannelStatistics& st, const SeriesComparison& cmp);

/// What one candidate contributes to the outputs (computed on the rank that owns it).
struct Outcome {
  CandidateResult result;
  SeriesTables tables;
  Cost cost;
};

std::vector<double> pack(const Outcome& o);
/// LogicError when the message does not hold exactly one outcome.
Outcome unpack(const std::vector<double>& message);
/// Rank 0 receives outcome i from rank i % size (the others keep theirs). Collective.
void gather_outcomes(std::vector<Outcome>& outcomes, MPI_Comm comm);

}  // namespace iff::analysis
