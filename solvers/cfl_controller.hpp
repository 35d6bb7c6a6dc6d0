// The time-step controller of a CFL-controlled run: dt is changed (and the multistep scheme
// restarted at the new dt by its caller) only when the CFL number CFL = dt max(|u|/Δx +
// |v|/Δy + |w|/Δz) leaves the band [low, high], to the dt that would give `target` at the
// same velocities, never above dt_max. Between changes dt stays fixed, so that SBDF keeps
// its order.
#pragma once

#include <algorithm>
#include <optional>

namespace iff::solvers {

class CflController {
 public:
  CflController(double target, double low, double high, double dt_max)
      : target_(target), low_(low), high_(high), dt_max_(dt_max) {}
  /// The dt to continue with after a step at `dt` with CFL number `cfl`; none when dt stays.
  std::optional<double> next_dt(double dt, double cfl) const {
    if (!(cfl > high_ || (cfl < low_ && dt < dt_max_))) return std::nullopt;
    const double nd = std::min(dt_max_, dt * target_ / std::max(cfl, 1e-300));
    if (nd == dt) return std::nullopt;
    return nd;
  }
  /// The dt to start with at CFL number `cfl` for `dt`: lowered to the target when above the
  /// band (a start is never raised: the first steps of a perturbed state grow fastest).
  double start_dt(double dt, double cfl) const {
    return cfl > high_ ? std::min(dt_max_, dt * target_ / cfl) : dt;
  }

 private:
  double target_, low_, high_, dt_max_;
};

}  // namespace iff::solvers
