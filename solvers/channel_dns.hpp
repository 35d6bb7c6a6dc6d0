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
#include "io/series.hpp"
#include "solvers/channel_flow.hpp"

namespace iff::solvers {

/// Reads section grid (nx, ny, nz, lx, lz) and validates it; shared by dns and dataset.
spectral::ChannelGrid grid_from(const ConfigSection& s);

struct PhysicsParams {
  std::string units = "wall";  ///< wall (h, u_tau) or centreline (h, laminar U_c)
  double re = 180.0;           ///< Re_tau (wall) or Re_centre (centreline); ν = 1/re
  Driving driving = Driving::pressure_gradient;  ///< pressure_gradient or bulk_velocity
  double pressure_gradient = 0.0;  ///< F = -dP/dx; default 1 (wall) or 2/re (centreline)
  double bulk_velocity = 0.0;      ///< target (1/2)∫U dy; default 2/3 (centreline) or 15.68 (wall)
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
  double dt = 0.01;           ///< time step (case time units)
  long steps = 0;             ///< number of steps (0: from t_end)
  double t_end = 1.0;         ///< end time when steps = 0
  int order = 3;              ///< SBDF order (1..3)
  int startup_substeps = 8;   ///< substeps per step in the self-starting phase
  double cfl_max = 2.0;       ///< stop when dt·max(|u|/Δx + |v|/Δy + |w|/Δz) exceeds this
  bool adaptive = false;      ///< CFL-controlled dt: re-start SBDF at dt·cfl_target/CFL when the
                              ///< CFL leaves [cfl_low, cfl_high] (dt <= dt_max)
  double cfl_target = 0.3;    ///< CFL aimed at when dt changes
  double cfl_low = 0.15;      ///< raise dt below this CFL (up to dt_max)
  double cfl_high = 0.45;     ///< lower dt above this CFL
  double dt_max = 0.0;        ///< largest dt (0: time.dt)
  static TimeParams from(const ConfigSection& s);
};

struct InitialParams {
  std::string type = "perturbed";  ///< laminar, perturbed, orr_sommerfeld, stokes, restart, series
  double amplitude = 0.3;          ///< rms perturbation velocity (perturbed); OS mode amplitude
                                   ///< (fraction of U_c); Stokes mode amplitude (velocity units)
  std::uint64_t seed = 1;          ///< random seed (perturbed)
  std::string file;                ///< checkpoint (restart) or series file (series)
  int time_index = -1;             ///< snapshot of the series (-1: last)
  int trajectory = 0;              ///< trajectory of the series
  int mode = 1;                    ///< Stokes mode number (stokes: 1, 3, .. even v; 2, 4, .. odd v)
  static InitialParams from(const ConfigSection& s);
};

struct OutputParams {
  std::string dir = "out";         ///< output directory
  int csv_every = 10;              ///< time-series row every k steps
  int snapshot_every = 0;          ///< data-contract snapshot every k steps (0: none)
  std::string snapshot_dtype = "f32";  ///< f32 or f64
  int checkpoint_every = 1000;     ///< checkpoint every k steps (and at the end)
  int stats_every = 0;             ///< statistics sample every k steps (0: none)
  double stats_start = 0.0;        ///< first time at which statistics are sampled
  int stats_write_every = 0;       ///< statistics files rewritten every k steps (0: at the end)
  std::vector<double> spectra_y_plus = {5.0, 15.0, 30.0, 100.0};  ///< y+ of the spectra (lower wall)
  double re_tau_nominal = 0.0;     ///< Re_tau for y+ (0: physics.re in wall units, else 180)
  double progress_seconds = 5.0;   ///< progress line interval (s)
  static OutputParams from(const ConfigSection& s);
};

struct DnsParams {
  spectral::ChannelGrid grid;
  PhysicsParams physics;
  TimeParams time;
  InitialParams initial;
  OutputParams output;
  SgsParams sgs;                   ///< LES closure (section sgs; model none: DNS)
  std::string fftw_planner = "estimate";  ///< estimate (reproducible) or measure
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
