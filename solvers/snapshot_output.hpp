// The data-contract snapshots of a channel run, snapshots.h5 (io/series.hpp): the velocity
// every `snapshot_every` steps with its wall units measured on the spectral mean profile.
// Snapshot i of the series is step (first + i)·snapshot_every: a fresh run's series begins
// at step 0; a restart appends to the series of its folder (whose snapshots up to the
// checkpoint's step were complete when the checkpoint was written), or into a folder without
// one starts a series at the checkpoint (or the first snapshot step after it), recording the
// step of its snapshot 0 in /first_step.
#pragma once

#include <memory>

#include "io/series.hpp"
#include "solvers/run_output.hpp"

namespace iff::solvers {

class SnapshotOutput : public RunOutput {
 public:
  /// `restart_step`: the checkpoint's step a restart continues from (-1: a fresh run).
  /// `meta`: of a new series. Collective.
  SnapshotOutput(const std::string& path, int snapshot_every, const SeriesMeta& meta, ChannelNSE& nse,
                 long restart_step, MPI_Comm comm);

  /// A fresh run's initial state, and the checkpoint's of a restart that begins a series.
  void start(const StepBoundary& b) override;
  bool due(const StepBoundary& b) const override { return b.step % every_ == 0; }
  bool keeps_state() const override { return true; }
  void write(const StepBoundary& b) override;
  void finish(const StepBoundary&, RunEnd) override { series_->close(); }

 private:
  int every_;
  ChannelNSE& nse_;
  bool root_;
  std::unique_ptr<SeriesWriter> series_;
  long first_ = 0;              ///< the series' snapshot 0 is step first_ × every_
  bool write_at_start_ = true;  ///< the first state is not in the series yet
};

}  // namespace iff::solvers
