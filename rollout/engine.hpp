// Autoregressive rollout: any stepper advance(state) -> state (a trained operator, or a
// numerical solver) applied N times to a set of initial states shared out over MPI ranks.
//
// Every rank runs every step in lockstep, whatever its own trajectories are doing, so the
// observer may write collectively (parallel HDF5) at each step. A trajectory whose state
// turns non-finite, or whose kinetic energy leaves the configured band around the
// reference's, is stopped with a message naming it, the step and the cause; the others go
// on. No libtorch here (its own library, ifactflow_rollout): operators/operator_stepper.hpp
// adapts a trained model to the Stepper interface, and a numerical solver implements it too.
#pragma once

#include <mpi.h>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rollout/stepper.hpp"

namespace iff::rollout {

struct RolloutParams {
  int steps = 100;             ///< steps to take (each one snapshot interval)
  double dt = 1.0;             ///< time per step (the training set's snapshot interval)
  double energy_band = 0.0;    ///< stop when E leaves [E_ref/band, E_ref*band]; 0: no band
  int batch = 1;               ///< trajectories advanced together by one stepper call
  int first_step = 0;          ///< steps already taken (a resumed rollout continues from
                               ///< first_step + 1: no observer call at step 0, and each
                               ///< trajectory's initial_energy is the one it was given)
  double progress_seconds = 5.0;
};

struct Trajectory {
  int id = 0;                 ///< global index (its trajectory in the prediction series)
  std::string label;          ///< where it came from, e.g. "series traj 3, time 0"
  double t0 = 0.0;            ///< time of the initial state
  std::deque<Field> history;  ///< the last window() states, newest last
  bool alive = true;
  int completed = 0;          ///< steps completed successfully
  double initial_energy = 0;  ///< kinetic energy of the initial state (the band's reference
                              ///< where the reference series has none; set at step 0)
  std::string stop_reason;    ///< why it stopped early (empty when it ran to the end)
  const Field& state() const { return history.back(); }
};

/// Checks, before any state is read, that this rank has the memory for `trajectories`
/// trajectories: the stepper's call on min(batch, trajectories) of them and, per trajectory,
/// its window, the next state and `buffered` buffered snapshots of `snapshot_size` doubles
/// (io/memory.hpp: InputError with the figures when it has not). Collective.
void require_rollout_memory(const Stepper& stepper, int trajectories, int batch, int buffered, std::size_t snapshot_size,
                            const std::string& grid, MPI_Comm comm);

/// Trajectories of every rank that stopped early; `reason`: the first of this rank's stop
/// reasons ("on another rank" when it has none). Collective.
int stopped_early(const std::vector<Trajectory>& local, MPI_Comm comm, std::string* reason);

class RolloutEngine {
 public:
  /// Kinetic energy of one state (for the band).
  using Energy = std::function<double(const Field&)>;
  /// Reference energy of trajectory `id` after `step` steps, if known (else the initial
  /// state's energy is the reference).
  using ReferenceEnergy = std::function<std::optional<double>(int id, int step)>;
  /// Called on every rank at step 0 (initial states) and after every step.
  using Observer = std::function<void(int step, const std::vector<Trajectory>& local)>;

  /// `slab_comm`: the ranks each state is split over (Stepper::slab; MPI_COMM_SELF for whole
  /// states). They hold the same trajectories, agree whether a state is finite, and the
  /// Energy and ReferenceEnergy are collective over them.
  RolloutEngine(RolloutParams params, MPI_Comm comm, MPI_Comm slab_comm = MPI_COMM_SELF);
  void run(Stepper& stepper, std::vector<Trajectory>& local, const Energy& energy,
           const ReferenceEnergy& reference, const Observer& observer) const;

 private:
  RolloutParams p_;
  MPI_Comm comm_, slab_comm_;
};

}  // namespace iff::rollout
