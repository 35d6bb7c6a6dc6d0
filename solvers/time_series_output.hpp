// The time series of a channel run, timeseries.csv: one row every `csv_every` steps,
//   step,t,dt,cfl,kinetic_energy,fluct_energy,bulk_velocity,re_tau,max_div,forcing
// of the state at (step, t). Bulk velocity, wall shear (re_tau = sqrt|tau_w| Re), divergence,
// fluctuation energy and forcing are measured on the state before the step replaces it; the
// kinetic energy and CFL come from the step's first explicit-term evaluation, made at that
// state. The rows are held (on rank 0) and the file is rewritten atomically with every
// checkpoint, so that a restart finds the rows up to its step, and at the end.
#pragma once

#include <mpi.h>

#include <string>

#include "solvers/run_output.hpp"

namespace iff::solvers {

/// The diagnostics of one row.
struct TimeSeriesRow {
  double kinetic_energy = 0.0, fluct_energy = 0.0, bulk_velocity = 0.0, re_tau = 0.0, max_div = 0.0;
};

class TimeSeriesOutput : public RunOutput {
 public:
  /// `restart_from`: empty for a fresh run, else the checkpoint a restart continues from at
  /// `restart_step`: the rows before it are those of `path` when it exists, else those of
  /// the time series beside the checkpoint. `checkpoint_every`: the file's cadence.
  TimeSeriesOutput(std::string path, const std::string& restart_from, long restart_step, int csv_every,
                   int checkpoint_every, double re, MPI_Comm comm);

  /// Before the step from `step`: when a row is due there, measures the state `x` the step
  /// replaces (collective).
  void before_step(ChannelNSE& nse, long step, const cvec& x);
  /// After that step (`d`: its diagnostics of the state it started from): the row.
  void after_step(long step, double t, double dt, const FlowDiagnostics& d);
  /// The row of the final state x at (step, t), whose explicit terms were just evaluated
  /// (collective).
  TimeSeriesRow final_row(ChannelNSE& nse, const cvec& x, long step, double t, double dt);

  /// The file (rank 0, agreed over the ranks). Collective.
  void write_file();

  bool due(const StepBoundary& b) const override;
  void write(const StepBoundary&) override { write_file(); }
  void finish(const StepBoundary&, RunEnd) override { write_file(); }

 private:
  void append(long step, double t, double dt, double cfl, double kinetic_energy, const TimeSeriesRow& m,
              double forcing);
  std::string path_;
  int csv_every_, checkpoint_every_;
  double re_;
  MPI_Comm comm_;
  bool root_;
  std::string rows_;  ///< header and rows (rank 0)
  bool measured_ = false;
  TimeSeriesRow pending_;  ///< measured before the step
  double pending_forcing_ = 0.0;
};

}  // namespace iff::solvers
