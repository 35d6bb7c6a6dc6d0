// The restart checkpoints of a channel run, checkpoint.h5 (write_checkpoint, atomic): every
// `checkpoint_every` steps but at the last (the end writes one), at the end, and when a stop
// signal ends the run. Within the two self-starting steps of SBDF the checkpoint holds the
// state they began with and the forcing at that state, so a restart repeats them bit for bit.
#pragma once

#include <string>

#include "solvers/imex.hpp"
#include "solvers/run_output.hpp"

namespace iff::solvers {

class CheckpointOutput : public RunOutput {
 public:
  /// `on_disk_step`: the step of the checkpoint the run restarts from (-1: none).
  CheckpointOutput(std::string path, const ChannelNSE& nse, const Sbdf& sbdf, const std::string& config,
                   int checkpoint_every, long on_disk_step = -1);

  /// SBDF (re)started from the current state (a start, a restart, a change of dt): records
  /// the forcing there, which the checkpoints of the self-starting steps hold (collective).
  void scheme_restarted();
  /// The last checkpoint on disk, for an error message.
  std::string kept() const;
  const std::string& path() const { return path_; }

  bool due(const StepBoundary& b) const override { return b.step % every_ == 0 && !b.last; }
  bool keeps_state() const override { return true; }
  void write(const StepBoundary&) override;
  void finish(const StepBoundary& b, RunEnd) override { write(b); }

 private:
  std::string path_;
  const ChannelNSE& nse_;
  const Sbdf& sbdf_;
  const std::string& config_;
  int every_;
  long last_;
  double history_forcing_ = 0.0;  ///< the forcing at the state the self-starting steps began with
};

}  // namespace iff::solvers
