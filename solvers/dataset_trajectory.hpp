// One trajectory of `ifactflow dataset` (channel_dataset.hpp) on its group's communicator: a
// fresh ChannelNSE and SBDF (nothing carries over between trajectories), started from the
// ensemble's initial state plus its perturbation, or resumed from its checkpoint
// trajectories/traj_NNNN.h5, and advanced to each snapshot s at step S + s·k, where its state
// is gathered, filtered onto the coarse grid and its wall shear measured.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "solvers/channel_dataset.hpp"
#include "solvers/imex.hpp"

namespace iff::solvers {

/// A group's snapshot, as the outputs write it.
struct GroupSnapshot {
  std::vector<double> fine;    ///< [nx][ny][nz][3] on the DNS grid (gathered on the leader)
  std::vector<double> coarse;  ///< [NX][NY][NZ][3] filtered (on the leader)
  double u_tau = 0.0;          ///< sqrt(wall shear), on the DNS grid
};

class DatasetTrajectory {
 public:
  /// Trajectory `traj` from `x0` perturbed at time `t0` or, `from_checkpoint`, from its
  /// checkpoint (which must have time.dt). Collective over `group`.
  DatasetTrajectory(const DatasetParams& p, int traj, const std::string& signature, const cvec& x0, double t0,
                    bool from_checkpoint, MPI_Comm group);

  static std::string checkpoint_path(const DatasetParams& p, int traj);

  /// Steps to snapshot `s` with a checkpoint every checkpoint_every·snapshot_every steps of
  /// the spin-up, then gathers it into `snap` (`filter`: the leader's, else null) and
  /// measures its wall shear; NumericalError naming the trajectory, step and last checkpoint
  /// on a non-finite state or a CFL above time.cfl_max. Collective over the group.
  void advance_to(int s, const ChannelFilter* filter, GroupSnapshot& snap);
  /// Its SBDF checkpoint (atomic). Collective over the group.
  void checkpoint();
  /// Removes its checkpoint once it is complete (the leader's call).
  void remove_checkpoint();
  double time() const { return sbdf_->time(); }

 private:
  [[noreturn]] void fail(const std::string& why) const;

  const DatasetParams& p_;
  int traj_;
  const std::string& signature_;
  std::string cp_;
  std::unique_ptr<ChannelNSE> nse_;
  std::unique_ptr<Sbdf> sbdf_;
};

}  // namespace iff::solvers
