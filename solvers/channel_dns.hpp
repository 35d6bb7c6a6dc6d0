// The channel DNS run: case parameters, initial condition, time loop, and outputs
// (CSV time series, restart checkpoints, data-contract snapshots, statistics and spectra).
//
// Units (physics.units):
//   wall:       ν = 1/Re_tau, u_tau = 1 for pressure-gradient driving (F = -dP/dx = 1)
//   centreline: ν = 1/Re_c, laminar centre-line velocity 1 (F = 2ν, bulk velocity 2/3)
//
// Output directory (output.dir):
//   config.resolved.yaml   every key with its value (DnsParams::resolved_config), written
//                          once the initial state is read: a run that fails on its input
//                          leaves the folder as it was
//   timeseries.csv         step,t,dt,cfl,kinetic_energy,fluct_energy,bulk_velocity,re_tau,
//                          max_div,forcing (rewritten atomically at every checkpoint)
//   checkpoint.h5          full spectral SBDF state, time, step, resolved config (atomic:
//                          the previous checkpoint stays until the new one is complete; one
//                          taken within the two self-starting steps of SBDF holds the state
//                          they began with, and a restart repeats them bit for bit)
//   snapshots.h5           velocity series in the data contract (every output.snapshot_every),
//                          with each snapshot's measured wall units (/wall/u_tau, io/series.hpp)
//   profiles.csv, spectra_kx.csv, spectra_kz.csv, stats.h5, wall_units.txt   running
//                          statistics; "+" columns in the measured wall units of the samples,
//                          u_tau = sqrt(mean tau_w) (also in wall units, where u_tau = 1 only
//                          on average at constant pressure gradient, not at constant bulk velocity)
//
// LES: a case with sgs.model = smagorinsky | dsm | wale (solvers/sgs_model.hpp) runs the same
// loop with the eddy-viscosity closure; its snapshots have kind les-<model>, and its
// statistics add the plane averages of ν_t, the SGS dissipation and the model coefficient.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "io/config.hpp"
#include "io/h5.hpp"
#include "io/series.hpp"
#include "solvers/channel_flow.hpp"

namespace iff::solvers {

// Case parameters. Each field holds the case key named beside it; the key's meaning, units,
// default and allowed values are given once, where from() reads it, and
// `ifactflow config dns` prints them all.

/// Reads section grid (nx, ny, nz, lx, lz) and validates it; shared by dns and dataset.
spectral::ChannelGrid grid_from(const ConfigSection& s);

/// physics.units: lengths in h, velocities in u_tau (wall) or in the laminar centre-line
/// velocity U_c (centreline).
enum class Units { wall, centreline };
inline const EnumNames<Units> kUnitsNames{{Units::wall, "wall"}, {Units::centreline, "centreline"}};

/// fftw.planner: FFTW_ESTIMATE (the same plan on every run, so the same bits) or FFTW_MEASURE.
enum class FftwPlanner { estimate, measure };
inline const EnumNames<FftwPlanner> kFftwPlannerNames{{FftwPlanner::estimate, "estimate"},
                                                       {FftwPlanner::measure, "measure"}};
/// The FFTW planner flag of `p`.
unsigned fftw_flags(FftwPlanner p);

/// initial.type.
enum class InitialType { laminar, perturbed, orr_sommerfeld, stokes, restart, series };
inline const EnumNames<InitialType> kInitialTypeNames{
    {InitialType::laminar, "laminar"}, {InitialType::perturbed, "perturbed"},
    {InitialType::orr_sommerfeld, "orr_sommerfeld"}, {InitialType::stokes, "stokes"},
    {InitialType::restart, "restart"}, {InitialType::series, "series"}};

struct PhysicsParams {
  Units units = Units::wall;   ///< physics.units
  double re = 180.0;           ///< physics.re
  Driving driving = Driving::pressure_gradient;  ///< physics.driving
  double pressure_gradient = 0.0;  ///< physics.pressure_gradient
  double bulk_velocity = 0.0;      ///< physics.bulk_velocity
  static PhysicsParams from(const ConfigSection& s);
  ChannelPhysics channel() const;
  /// Laminar centre-line velocity for this driving.
  double laminar_centre_velocity() const;
};

/// The metadata (data contract) of a channel series on an nx x y x nz grid over the box
/// lx x 2 x lz: the periodic nodes x_i = lx i/nx and z_k = lz k/nz (no end point), y wall to
/// wall as given, and the case's physics (Re_tau when in wall units, nu = 1/re, units).
/// Kind, dtype, provenance and wall-unit records are the caller's.
SeriesMeta channel_series_meta(const PhysicsParams& physics, double lx, double lz, int nx, std::vector<double> y,
                               int nz);

struct TimeParams {
  double dt = 0.01;           ///< time.dt
  long steps = 0;             ///< time.steps
  double t_end = 1.0;         ///< time.t_end
  int order = 3;              ///< time.order
  int startup_substeps = 8;   ///< time.startup_substeps
  double cfl_max = 2.0;       ///< time.cfl_max
  bool adaptive = false;      ///< time.adaptive
  double cfl_target = 0.3;    ///< time.cfl_target
  double cfl_low = 0.15;      ///< time.cfl_low
  double cfl_high = 0.45;     ///< time.cfl_high
  double dt_max = 0.0;        ///< time.dt_max
  static TimeParams from(const ConfigSection& s);
};

struct InitialParams {
  InitialType type = InitialType::perturbed;  ///< initial.type
  double amplitude = 0.3;          ///< initial.amplitude
  std::uint64_t seed = 1;          ///< initial.seed
  std::string file;                ///< initial.file
  int time_index = -1;             ///< initial.time_index
  int trajectory = 0;              ///< initial.trajectory
  int mode = 1;                    ///< initial.mode
  static InitialParams from(const ConfigSection& s);
};

struct OutputParams {
  std::string dir = "out";         ///< output.dir
  int csv_every = 10;              ///< output.csv_every
  int snapshot_every = 0;          ///< output.snapshot_every
  h5::DType snapshot_dtype = h5::DType::f32;  ///< output.snapshot_dtype
  int checkpoint_every = 1000;     ///< output.checkpoint_every
  int stats_every = 0;             ///< output.stats_every
  double stats_start = 0.0;        ///< output.stats_start
  int stats_write_every = 0;       ///< output.stats_write_every
  std::vector<double> spectra_y_plus = {5.0, 15.0, 30.0, 100.0};  ///< output.spectra_y_plus
  double re_tau_nominal = 0.0;     ///< output.re_tau_nominal
  double progress_seconds = 5.0;   ///< output.progress_seconds
  static OutputParams from(const ConfigSection& s);
};

struct DnsParams {
  spectral::ChannelGrid grid;
  PhysicsParams physics;
  TimeParams time;
  InitialParams initial;
  OutputParams output;
  SgsParams sgs;                   ///< section sgs (solvers/sgs_model.hpp)
  FftwPlanner fftw_planner = FftwPlanner::estimate;  ///< fftw.planner
  std::string resolved_config;     ///< resolved YAML stored in the outputs
  std::string git_commit;          ///< producing binary's commit
  /// Reads sections grid, physics, time, initial, output, sgs, fftw (does not reject unknown keys).
  static DnsParams from(const Config& cfg);
};

/// What a run did (for the command and tests).
struct DnsSummary {
  long steps = 0;              ///< step count at the end (a restart continues the count)
  double time = 0.0;           ///< time at the end
  long first_step = 0;         ///< step count at the start of this run (0, or the restart's)
  double start_time = 0.0;     ///< time at the start of this run
  double wall_seconds = 0.0;   ///< the whole run, set-up and final outputs included
  double loop_seconds = 0.0;   ///< the time loop alone (steps and the outputs made during it)
  double kinetic_energy = 0.0, fluct_energy = 0.0, bulk_velocity = 0.0, re_tau = 0.0, max_div = 0.0;
};

class ChannelDns {
 public:
  ChannelDns(DnsParams p, MPI_Comm comm);
  /// Called on every rank at each step boundary (with the step count) just before the
  /// stop-signal poll (tests raise a signal from it).
  using StepHook = std::function<void(long step)>;
  void set_step_hook(StepHook hook) { hook_ = std::move(hook); }
  /// Runs the case; throws NumericalError (non-finite state, CFL above cfl_max) after
  /// keeping the last good checkpoint. SIGTERM/SIGUSR1 (io/stop_signal.hpp) stop every rank
  /// after the same step: checkpoint.h5, timeseries.csv, the snapshots and the statistics
  /// are written and iff::Interrupted names the restart that continues the run.
  DnsSummary run();

 private:
  DnsParams p_;
  MPI_Comm comm_;
  StepHook hook_;
};

/// Writes the SBDF history of `nse` to an HDF5 checkpoint (collective, atomic). `forcing`: the
/// forcing diagnostic at the history's newest state (within the self-starting steps the history
/// is the state they began with, not the current one); NaN: the current nse.forcing().
void write_checkpoint(const std::string& path, const ChannelNSE& nse, const SbdfHistory& h, double dt,
                      const std::string& config, double forcing = std::numeric_limits<double>::quiet_NaN());
/// Reads a checkpoint written by write_checkpoint for the same grid (collective) and restores
/// the forcing diagnostic of `nse`; InputError naming the file when it does not match or
/// holds a non-finite value (then naming the state, step, time, component and mode).
SbdfHistory read_checkpoint(const std::string& path, ChannelNSE& nse, double* dt);

}  // namespace iff::solvers
