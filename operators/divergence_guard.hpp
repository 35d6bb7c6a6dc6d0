// The divergence guard of training (operators/training.hpp): a global batch loss or gradient
// norm that is not finite, or a batch loss above `train.divergence_factor` × the best so far
// (the lowest running mean of an epoch's batch losses), stops training before the step is
// taken; so does a validation loss that is not finite or above that factor × the best
// validation loss, before the epoch's checkpoints are written. The error names what
// diverged where, the best so far, the last good checkpoint and the command that continues
// from it with a lower learning rate.
#pragma once

#include <cstdint>
#include <string>

#include "io/error.hpp"
#include "operators/checkpoint.hpp"

namespace iff::operators {

class DivergenceGuard {
 public:
  /// `factor` 0: only non-finite losses stop. `resumed`: the progress the run starts from
  /// (with `resume`, its running epoch mean and best validation loss seed the best so far
  /// and its step is the last good checkpoint). `lr`: the case's rate, a tenth of which the
  /// error suggests.
  DivergenceGuard(double factor, double lr, std::string last_checkpoint, std::string command,
                  const TrainingProgress& resumed, bool resume);

  /// Throws iff::NumericalError when the batch loss (the same on every rank) or the gradient
  /// norm diverged; `where` names the step, epoch and batch.
  void check_batch(double batch_loss, bool gradient_finite, const std::string& where) const;
  /// Throws iff::NumericalError when the validation loss after epoch `epoch` (0-based) and
  /// `step` steps diverged from `best_val` (infinite: none yet).
  void check_validation(double val_loss, double best_val, int64_t epoch, int64_t step) const;

  /// The running mean of the epoch's batch losses after a step.
  void observe(double epoch_mean);
  /// last.ckpt now holds the state after `step` steps.
  void checkpoint_written(int64_t step) { good_step_ = step; }

 private:
  NumericalError diverged(const std::string& what) const;

  double factor_, lr_;
  std::string last_checkpoint_, command_;
  double best_loss_;
  int64_t good_step_;  ///< −1: no checkpoint written by this run or the one it resumes
};

}  // namespace iff::operators
