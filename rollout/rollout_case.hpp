// The case of `ifactflow rollout`: sections rollout and output. Each key is documented here,
// next to its typed parameter.
//
// Output directory:
//   prediction.h5        data contract, kind = prediction, one trajectory per initial state,
//                        /time = time since the initial state; /initial_time and
//                        /completed_steps [n_traj] say where each starts and how far it got
//                        (written at creation, rewritten at every flush of the series);
//                        /rollout_progress = [steps the records stand at, steps requested]
//                        (equal once finished; ifactflow compare reports a partial rollout)
//   rollout.state.h5     while unfinished: the step of the last flush, each trajectory's
//                        input window in float64, progress, stop reasons and the cost so far
//                        (written last at every flush, atomically: it is what --resume continues
//                        from; removed at the end)
//   rollout.csv          per step and trajectory: time, kinetic energy, centre-line mean U,
//                        relative L2 error per component, in total and against the
//                        reference's fluctuations (analysis/field_errors.hpp; when the
//                        reference series has that snapshot)
//   vtk/rollout_trajN.pvd  ParaView collection per trajectory (.vtr: velocity, vorticity,
//                        Q-criterion, and error = prediction - reference)
//   stats/               profiles and spectra over steps >= stats_start (ifactflow stats), in the
//                        wall units of the reference's records (carried in prediction.h5's
//                        /wall/u_tau at the reference snapshots each step corresponds to)
//   cost.csv             wall-clock of the time loop (slowest rank) split into model steps,
//                        output (series and VTK) and the rest (errors, energies, waiting for
//                        other ranks), each the mean over ranks; per unit simulated time
//   config.resolved.yaml
//
// Resuming: every output.series_buffer steps (and when a stop signal arrives) the series is
// flushed, then /completed_steps, rollout.csv and cost.csv are rewritten up to that step, then
// rollout.state.h5. A killed (SIGKILL) or interrupted (SIGTERM/SIGUSR1: every rank after the
// same step, exit status 75) run is continued by the same command with --resume from the
// state file's step: the prediction, rollout.csv and VTK files equal an uninterrupted run's
// bit for bit (same rank count; with rollout.batch 1 any rank count at the same
// rollout.ranks_per_trajectory). Without --resume an unfinished output is refused. Testing
// hooks (apps/test_hooks.hpp): IFF_ROLLOUT_KILL_AFTER=N, IFF_ROLLOUT_SIGNAL_AFTER=N (after
// step N).
//
// Split trajectories (rollout.ranks_per_trajectory R > 1, any model kind): the ranks form
// groups of R consecutive ranks (io/process_grid.hpp), the groups share out the trajectories,
// and each rank of a group holds, advances, reads and writes only its x-slab of every state
// (rollout/state_slab.hpp, operators/operator_stepper.hpp): the initial and reference
// snapshots, the prediction series and rollout.state.h5 slab by slab, the rows' measures
// from the slabs; the group's first rank writes the rows, the cost and the VTK files (their
// states gathered). The prediction equals the unsplit one to round-off per step.
#pragma once

#include <string>
#include <vector>

#include "io/compute.hpp"
#include "io/config.hpp"
#include "io/series.hpp"
#include "rollout/engine.hpp"

namespace iff::rollout {

/// rollout.initial: the checkpoint's validation trajectories, every trajectory, or rollout.states.
enum class InitialStates { held_out, all, list };
inline const EnumNames<InitialStates> kInitialStatesNames{
    {InitialStates::held_out, "held_out"}, {InitialStates::all, "all"}, {InitialStates::list, "list"}};

struct RolloutCase {
  // section rollout
  std::string checkpoint;  ///< rollout.checkpoint
  std::string solver;      ///< rollout.solver
  std::string series;      ///< rollout.series
  InitialStates initial = InitialStates::held_out;  ///< rollout.initial
  std::vector<std::vector<int>> states; ///< rollout.states
  RolloutParams engine;                 ///< rollout.steps, rollout.energy_band, rollout.batch, output.progress_seconds
  Device device = Device::cpu;          ///< rollout.device
  Precision dtype = Precision::checkpoint;  ///< rollout.dtype
  Arithmetic precision = Arithmetic::fp32;  ///< rollout.precision
  int threads = 1;                      ///< rollout.threads
  int ranks_per_trajectory = 1;         ///< rollout.ranks_per_trajectory
  // section output
  std::string dir = "out/rollout";      ///< output.dir
  int series_every = 1;                 ///< output.series_every
  int series_buffer = 10;               ///< output.series_buffer
  int vtk_every = 10;                   ///< output.vtk_every
  int vtk_trajectories = 1;             ///< output.vtk_trajectories
  int stats_start = 0;                  ///< output.stats_start
  std::vector<double> spectra_y_plus = {5, 15, 30, 100};  ///< output.spectra_y_plus

  static RolloutCase from(const Config& cfg);
  /// The (trajectory, time index) of `ref` each rollout trajectory starts from, the last
  /// snapshot of its input window: rollout.states, every trajectory's first window (all), or
  /// that of the last `held_out` trajectories (held_out: those a checkpoint's training held
  /// out). InputError for a state outside the series or a held_out without any.
  std::vector<std::vector<int>> initial_states(const SeriesReader& ref, int window, int held_out) const;
};

}  // namespace iff::rollout
