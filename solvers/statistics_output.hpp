// The running statistics of a channel run (analysis/channel_statistics.hpp): samples of the
// state every `stats_every` steps from time `stats_start` on, each with its wall shear tau_w
// (an LES adds its SGS profiles), and the files made of them (profiles.csv, spectra_kx.csv,
// spectra_kz.csv, stats.h5, wall_units.txt) rewritten every `stats_write_every` steps, when a
// stop signal ends the run and at the end. The files' wall units are the measured ones,
// u_tau = sqrt(mean tau_w) over the samples, also in wall units (u_tau = 1 holds only on
// average at constant pressure gradient, and not at all at constant bulk velocity).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analysis/channel_statistics.hpp"
#include "solvers/run_output.hpp"

namespace iff::solvers {

/// The samples: rank 0 holds the statistics of the gathered fields.
class StatisticsSamples : public RunOutput {
 public:
  /// `fresh`: a run from an initial state, whose first state is sampled when due (a restart's
  /// is in the checkpoint's run). `spectra_y_plus` at `re_tau_nominal` choose the planes of
  /// the spectra. Collective.
  StatisticsSamples(ChannelNSE& nse, int stats_every, double stats_start, const std::vector<double>& spectra_y_plus,
                    double re_tau_nominal, bool fresh, MPI_Comm comm);

  const analysis::ChannelStatistics* statistics() const { return stats_.get(); }
  const std::vector<double>& wall_shear() const { return tau_; }  ///< of every sample (rank 0)

  void start(const StepBoundary& b) override;
  bool due(const StepBoundary& b) const override { return b.step % every_ == 0 && b.time >= start_time_; }
  bool keeps_state() const override { return true; }
  void write(const StepBoundary& b) override;

 private:
  ChannelNSE& nse_;
  int every_;
  double start_time_;
  bool fresh_;
  std::unique_ptr<analysis::ChannelStatistics> stats_;
  std::vector<double> tau_;
};

/// The files of the samples, in output.dir.
class StatisticsFiles : public RunOutput {
 public:
  /// `stats_write_every`: 0 writes them only at the end (and at a stop).
  StatisticsFiles(const StatisticsSamples& samples, std::string dir, int stats_write_every, double nu,
                  std::string measured_what, MPI_Comm comm);

  bool due(const StepBoundary& b) const override { return every_ > 0 && b.step % every_ == 0; }
  void write(const StepBoundary&) override { write_files(false); }
  void finish(const StepBoundary&, RunEnd end) override { write_files(end == RunEnd::done); }

 private:
  void write_files(bool final);  // collective (rank 0 writes, agreed)
  const StatisticsSamples& samples_;
  std::string dir_;
  int every_;
  double nu_;
  std::string measured_what_;
  MPI_Comm comm_;
};

}  // namespace iff::solvers
