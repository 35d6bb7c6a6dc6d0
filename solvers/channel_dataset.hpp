// Filtered-DNS training sets: an ensemble of decorrelated DNS trajectories, filtered onto a
// coarse grid as they run, written as series files (docs/design.md, "Data contract").
//
// From one turbulent state u0 at time t0 (a DNS checkpoint or a snapshot of a data-contract
// series, spectrally interpolated onto the DNS grid), trajectory i (i = 0 .. n_traj-1) is
//   u_i(t0) = u0 + a · p_i,     p_i = add_random_perturbation(seed_i), rms |p_i| = 1,
// with seed_i = splitmix64(seed, i) (independent of the rank layout), advanced by the DNS
// (ChannelNSE + SBDF, fixed dt) for a decorrelation spin-up of S steps, then recorded every
// k steps, n_time times:  snapshot s of every trajectory is at step S + s·k, time
// t_s = t0 + (S + s·k)·dt (one shared /time axis). Each snapshot is gathered, filtered
// (ChannelFilter: x-z low-pass + Chebyshev projection in y) and written at once.
//
// Parallel layout: the world communicator is split into groups of ranks_per_trajectory
// ranks (MPI_Comm_split); each group owns a ChannelNSE on its sub-communicator and runs its
// share of the pending trajectories, dealt round-robin in index order. A trajectory's
// arithmetic depends only on its group size, so groups of one rank give bit-identical files
// for any number of groups; a group of several ranks differs by the DNS's round-off.
//
// Output (output.dir), written on the world communicator with collective MPI-IO slab writes:
// in each round every group advances its trajectory to its next snapshot, then every rank
// takes part in one collective write where each group leader contributes its trajectory's
// block and the other ranks an empty one (the trajectories all take the same number of
// steps per snapshot, so the groups stay in step; nothing is funnelled through one rank).
//   <file>       coarse training set: the data contract, kind "fdns", filter attribute,
//                /velocity [n_traj, n_time, NX, NY, NZ, 3], /time [n_time], the wall units
//                of every snapshot measured on the DNS grid as it is taken (/wall/u_tau
//                [n_traj, n_time] and the wall_* attributes, io/series.hpp), plus
//                /completed [n_traj] (int64): snapshots of each trajectory on disk, and the
//                attribute dataset_signature (the keys that determine the data)
//   <full_file>  optional: the same snapshots on the DNS grid (kind "dns")
//   trajectories/traj_NNNN.h5   per-trajectory SBDF checkpoints (removed when it finishes)
// While a run is unfinished the series live at their partial names (.<file>.partial) and are
// renamed into place only when every trajectory is complete.
//
// Resume: a snapshot is flushed before /completed counts it, and a trajectory checkpoint is
// written (atomically) only after the snapshots before it are flushed. A new run with the
// same case finds the partial files, checks their dataset_signature, and restarts every
// unfinished trajectory from its checkpoint (from scratch when it has none), rewriting any
// snapshot after that checkpoint; SBDF restarts bit for bit, so the finished files equal
// those of an uninterrupted run. The resumed run may have another number of ranks: the
// files' storage is allocated when they are created (h5::File::create_dataset), so a set
// begun on one rank is written collectively by several.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/config.hpp"
#include "solvers/channel_dns.hpp"
#include "solvers/channel_filter.hpp"

namespace iff::solvers {

struct DatasetParams {
  spectral::ChannelGrid grid;                ///< section grid (as dns)
  PhysicsParams physics;           ///< section physics (as dns)
  // time
  double dt = 0.01;                ///< time.dt
  int order = 3;                   ///< time.order
  int startup_substeps = 8;        ///< time.startup_substeps
  double cfl_max = 2.0;            ///< time.cfl_max
  // initial state
  std::string initial_file;        ///< initial.file
  int time_index = -1;             ///< initial.time_index
  int initial_trajectory = 0;      ///< initial.trajectory
  // ensemble
  int n_traj = 21;                 ///< dataset.n_traj
  int n_time = 400;                ///< dataset.n_time
  int snapshot_every = 200;        ///< dataset.snapshot_every
  double spinup = 10.0;            ///< dataset.spinup
  double perturbation = 0.1;       ///< dataset.perturbation
  std::uint64_t seed = 1;          ///< dataset.seed
  int ranks_per_trajectory = 1;    ///< dataset.ranks_per_trajectory
  // filter
  int NX = 32, NY = 33, NZ = 16;   ///< filter.grid
  FilterKind filter = FilterKind::sharp;  ///< filter.kind
  double width_ratio = 2.0;        ///< filter.width_ratio
  // output
  std::string dir = "out/dataset";     ///< output.dir
  std::string file = "fdns.h5";        ///< output.file
  bool keep_full = false;              ///< output.keep_full
  std::string full_file = "dns.h5";    ///< output.full_file
  h5::DType dtype = h5::DType::f32;    ///< output.dtype
  int checkpoint_every = 10;           ///< output.checkpoint_every
  bool overwrite = false;              ///< output.overwrite
  double progress_seconds = 5.0;       ///< output.progress_seconds
  FftwPlanner fftw_planner = FftwPlanner::estimate;  ///< fftw.planner
  std::string resolved_config;     ///< resolved YAML stored in the outputs and, once the
                                   ///< input is checked, in output.dir/config.resolved.yaml
  std::string git_commit;          ///< producing binary's commit

  /// Reads sections grid, physics, time, initial, dataset, filter, output, fftw (does not
  /// reject unknown keys); InputError/ConfigError naming the key for bad values.
  static DatasetParams from(const Config& cfg);
  long spinup_steps() const;       ///< S = round(spinup / dt)
  std::string coarse_path() const { return dir + "/" + file; }
  std::string full_path() const { return dir + "/" + full_file; }
};

/// What a run did.
struct DatasetSummary {
  long snapshots_written = 0;      ///< by this run (rewrites after a checkpoint included)
  int trajectories_run = 0;        ///< trajectories advanced by this run
  bool already_complete = false;   ///< the outputs existed, complete, for the same case
  double wall_seconds = 0.0;
};

class ChannelDataset {
 public:
  /// Called on every rank after each collective round of snapshot writes has been flushed
  /// and counted in /completed, with the number of snapshots written so far by this run.
  using SnapshotHook = std::function<void(long written)>;

  ChannelDataset(DatasetParams p, MPI_Comm world);
  void set_snapshot_hook(SnapshotHook hook) { hook_ = std::move(hook); }
  /// Generates (or resumes) the data set. Collective over the world communicator.
  DatasetSummary run();

  /// Seed of trajectory i's perturbation: splitmix64 of (seed, i).
  static std::uint64_t trajectory_seed(std::uint64_t seed, int traj);
  /// Snapshots recorded by a trajectory whose SBDF step count is `step`.
  static int snapshots_at(long step, long spinup_steps, int snapshot_every);

 private:
  DatasetParams p_;
  MPI_Comm world_;
  SnapshotHook hook_;
};

}  // namespace iff::solvers
