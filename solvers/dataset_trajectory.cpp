#include "solvers/dataset_trajectory.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "io/error.hpp"
#include "solvers/channel_diagnostics.hpp"
#include "solvers/initial_conditions.hpp"

namespace fs = std::filesystem;

namespace iff::solvers {

DatasetTrajectory::DatasetTrajectory(const DatasetParams& p, int traj, const std::string& signature, const cvec& x0,
                                     double t0, bool from_checkpoint, MPI_Comm group)
    : p_(p), traj_(traj), signature_(signature), cp_(checkpoint_path(p, traj)) {
  nse_ = std::make_unique<ChannelNSE>(p_.grid, p_.physics.channel(), group, fftw_flags(p_.fftw_planner));
  sbdf_ = std::make_unique<Sbdf>(*nse_, p_.dt, p_.order, p_.startup_substeps);
  if (from_checkpoint) {
    double dt_file = 0.0;
    sbdf_->resume(read_checkpoint(cp_, *nse_, &dt_file));
    IFF_REQUIRE(dt_file == p_.dt, "trajectory checkpoint " << cp_ << " has dt = " << dt_file);
  } else {
    cvec x = x0;
    if (p_.perturbation > 0)
      add_random_perturbation(*nse_, x, p_.perturbation, ChannelDataset::trajectory_seed(p_.seed, traj_));
    sbdf_->start(x, t0, 0);
  }
}

std::string DatasetTrajectory::checkpoint_path(const DatasetParams& p, int traj) {
  return fmt::format("{}/trajectories/traj_{:04d}.h5", p.dir, traj);
}

void DatasetTrajectory::advance_to(int s, const ChannelFilter* filter, GroupSnapshot& snap) {
  const long S = p_.spinup_steps();
  const long target = S + long(s) * p_.snapshot_every;
  const long ckpt_steps = long(p_.checkpoint_every) * p_.snapshot_every;  // checkpoint interval during the spin-up
  while (sbdf_->step_count() < target) {
    sbdf_->step();
    const auto& d = nse_->last_diagnostics();
    if (!std::isfinite(d.kinetic_energy)) fail("non-finite state");
    if (d.cfl_rate * p_.dt > p_.cfl_max)
      fail(fmt::format("CFL {:.3f} above time.cfl_max = {}", d.cfl_rate * p_.dt, p_.cfl_max));
    const long st = sbdf_->step_count();
    if (st < S && st % ckpt_steps == 0) checkpoint();
  }
  if (!finite(*nse_, sbdf_->state())) fail("non-finite state");
  snap.fine = gather_velocity(*nse_, sbdf_->state());
  if (filter) filter->apply(snap.fine.data(), snap.coarse.data(), 3);
  snap.u_tau = std::sqrt(std::max(0.0, wall_shear(*nse_, sbdf_->state())));  // at the DNS resolution (collective)
}

void DatasetTrajectory::checkpoint() { write_checkpoint(cp_, *nse_, sbdf_->history(), p_.dt, signature_); }

void DatasetTrajectory::remove_checkpoint() {
  if (fs::exists(cp_)) fs::remove(cp_);
}

void DatasetTrajectory::fail(const std::string& why) const {
  throw NumericalError(fmt::format("trajectory {}: {} at step {} (t = {:.6g}); {}", traj_, why, sbdf_->step_count(),
                                   sbdf_->time(),
                                   fs::exists(cp_) ? "its last checkpoint is " + cp_ : "no checkpoint yet"));
}

}  // namespace iff::solvers
