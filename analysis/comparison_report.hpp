// The tables of `ifactflow compare` (rank 0 writes them; every file atomically), from the
// outcomes of every candidate (analysis/comparison_outcome.hpp):
//   summary.csv, summary.md           one row per candidate (definitions in summary.md)
//   error_vs_time.csv                 series,step,t,err_total,err_u,err_v,err_w,err_fluct,trajectories
//   energy_vs_time.csv                series,step,t,kinetic_energy,reference_kinetic_energy,trajectories
//   profiles.csv                      series,y,y_plus,U_plus,u_rms_plus,v_rms_plus,w_rms_plus,minus_uv_plus
//   spectra.csv                       series,axis,y,y_plus,k,E_uu,E_vv,E_ww
//   summary.json                      the set-up (grid, box, reference trajectories and provenance,
//                                     wall units, candidates) in numbers, for the report
//   slice.h5                          x-z slices of u at y+ ~ slice.y_plus after slice.step steps:
//                                     /candidate_i and the reference snapshot it is compared with,
//                                     /reference_i (trajectory 0 of each candidate)
#pragma once

#include <vector>

#include "analysis/compare_case.hpp"
#include "analysis/comparison_outcome.hpp"
#include "analysis/series_comparison.hpp"

namespace iff::analysis {

void write_comparison_tables(const CompareCase& cc, const SeriesComparison& cmp, const std::vector<Outcome>& outcomes);

/// "{:.4g}" of a finite value; "—" for NaN, "inf" for an infinite one.
std::string md_num(double v, const char* format = "{:.4g}");

}  // namespace iff::analysis
