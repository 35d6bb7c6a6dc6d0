#include "operators/divergence_guard.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace iff::operators {

namespace {
std::string best_text(double best) { return std::isfinite(best) ? fmt::format("{:.4e}", best) : std::string("none yet"); }
}  // namespace

DivergenceGuard::DivergenceGuard(double factor, double lr, std::string last_checkpoint, std::string command,
                                 const TrainingProgress& resumed, bool resume)
    : factor_(factor),
      lr_(lr),
      last_checkpoint_(std::move(last_checkpoint)),
      command_(std::move(command)),
      best_loss_(std::numeric_limits<double>::infinity()),
      good_step_(resume ? resumed.step : -1) {
  if (resumed.batch > 0 && resumed.epoch_samples > 0) best_loss_ = resumed.epoch_loss_sum / resumed.epoch_samples;
  if (std::isfinite(resumed.best_val_loss)) best_loss_ = std::min(best_loss_, resumed.best_val_loss);
}

void DivergenceGuard::check_batch(double batch_loss, bool gradient_finite, const std::string& where) const {
  if (!std::isfinite(batch_loss))
    throw diverged(fmt::format("batch loss {} at {}, best so far {}", batch_loss, where, best_text(best_loss_)));
  if (!gradient_finite)
    throw diverged(fmt::format("non-finite gradient norm at {} (batch loss {:.4e}, best so far {})", where, batch_loss,
                               best_text(best_loss_)));
  if (factor_ > 0 && batch_loss > factor_ * best_loss_)
    throw diverged(fmt::format("batch loss {:.4e} at {} exceeds train.divergence_factor {:g} x the best so far {:.4e}",
                               batch_loss, where, factor_, best_loss_));
}

void DivergenceGuard::check_validation(double val_loss, double best_val, int64_t epoch, int64_t step) const {
  if (!std::isfinite(val_loss))
    throw diverged(fmt::format("validation loss {} after epoch {} (step {}), best so far {}", val_loss, epoch + 1, step,
                               best_text(best_val)));
  if (factor_ > 0 && std::isfinite(best_val) && val_loss > factor_ * best_val)
    throw diverged(fmt::format("validation loss {:.4e} after epoch {} (step {}) exceeds train.divergence_factor {:g} x "
                               "the best so far {:.4e}",
                               val_loss, epoch + 1, step, factor_, best_val));
}

void DivergenceGuard::observe(double epoch_mean) { best_loss_ = std::min(best_loss_, epoch_mean); }

NumericalError DivergenceGuard::diverged(const std::string& what) const {
  const double lower = lr_ / 10;
  const std::string hint =
      good_step_ >= 0
          ? fmt::format("last good checkpoint {} (step {}); continue with a lower learning rate: {} --resume --set train.lr={:.3g}",
                        last_checkpoint_, good_step_, command_, lower)
          : fmt::format("no checkpoint written yet; start again with a lower learning rate: {} --set train.lr={:.3g}",
                        command_, lower);
  return NumericalError(fmt::format("train: diverged: {}; {}", what, hint));
}

}  // namespace iff::operators
