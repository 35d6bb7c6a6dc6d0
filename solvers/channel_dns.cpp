#include "solvers/channel_dns.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "io/log.hpp"
#include "io/series.hpp"
#include "io/stop_signal.hpp"
#include "solvers/cfl_controller.hpp"
#include "solvers/channel_diagnostics.hpp"
#include "solvers/checkpoint_output.hpp"
#include "solvers/initial_conditions.hpp"
#include "solvers/progress_output.hpp"
#include "solvers/run_output.hpp"
#include "solvers/snapshot_output.hpp"
#include "solvers/statistics_output.hpp"
#include "solvers/time_series_output.hpp"

namespace iff::solvers {

// ------------------------------------------------------------------------------ params

PhysicsParams PhysicsParams::from(const ConfigSection& s) {
  PhysicsParams p;
  p.units = s.get_enum("units", p.units, kUnitsNames, "units of the case: wall (h, u_tau; nu = 1/Re_tau) or centreline (h, laminar centre-line velocity U_c; nu = 1/Re_c)");
  p.re = s.get_in<double>("re", p.re, 1e-3, 1e9, "Reynolds number: Re_tau (wall units) or Re_c (centreline units); nu = 1/re");
  p.driving = s.get_enum("driving", p.driving, kDrivingNames, "what drives the flow: a constant mean pressure gradient or a constant bulk velocity");
  const bool wall = p.units == Units::wall;
  p.pressure_gradient = s.get<double>("pressure_gradient", wall ? 1.0 : 2.0 / p.re, "F = -dP/dx for pressure_gradient driving; default 1 (wall units) or 2/re (centreline, the laminar flow with U_c = 1)");
  p.bulk_velocity = s.get<double>("bulk_velocity", wall ? 15.68 : 2.0 / 3.0, "bulk velocity (1/2) integral U dy held by bulk_velocity driving; default 15.68 (wall units, Re_tau 180) or 2/3 (centreline)");
  return p;
}

ChannelPhysics PhysicsParams::channel() const {
  ChannelPhysics c;
  c.nu = 1.0 / re;
  c.driving = driving;
  c.pressure_gradient = pressure_gradient;
  c.bulk_velocity = bulk_velocity;
  return c;
}

unsigned fftw_flags(FftwPlanner p) { return p == FftwPlanner::measure ? FFTW_MEASURE : FFTW_ESTIMATE; }

double PhysicsParams::laminar_centre_velocity() const {
  // U = U_c (1 - y²): ν U'' + F = 0 gives U_c = F/(2ν); bulk velocity = 2 U_c / 3
  return driving == Driving::pressure_gradient ? pressure_gradient * re / 2.0 : 1.5 * bulk_velocity;
}

SeriesMeta channel_series_meta(const PhysicsParams& physics, double lx, double lz, int nx, std::vector<double> y,
                               int nz) {
  SeriesMeta m;
  for (int i = 0; i < nx; ++i) m.x.push_back(lx * i / nx);
  m.y = std::move(y);
  for (int k = 0; k < nz; ++k) m.z.push_back(lz * k / nz);
  const bool wall = physics.units == Units::wall;
  m.re_tau = wall ? physics.re : 0.0;
  m.nu = 1.0 / physics.re;
  m.lx = lx, m.lz = lz;
  m.units = wall ? "h, u_tau" : "h, U_c";
  return m;
}

TimeParams TimeParams::from(const ConfigSection& s) {
  TimeParams p;
  p.dt = s.get_in<double>("dt", p.dt, 1e-12, 1e6, "time step; with time.adaptive the first one [h/u_tau in wall units, h/U_c in centreline units]");
  p.steps = s.get_in<long>("steps", p.steps, 0L, 1L << 40, "number of time steps (0: until time.t_end)");
  p.t_end = s.get_in<double>("t_end", p.t_end, 0.0, 1e12, "end time when time.steps is 0 [h/u_tau in wall units, h/U_c in centreline units]");
  p.order = s.get_in<int>("order", p.order, 1, 3, "order of the SBDF (IMEX) scheme");
  p.startup_substeps = s.get_in<int>("startup_substeps", p.startup_substeps, 1, 1000, "substeps per step while the SBDF scheme starts itself (orders below time.order)");
  p.cfl_max = s.get_in<double>("cfl_max", p.cfl_max, 1e-6, 1e6, "the run stops with an error when dt * max(|u|/dx + |v|/dy + |w|/dz) exceeds this");
  p.adaptive = s.get<bool>("adaptive", p.adaptive, "CFL-controlled dt: restart the scheme at dt * cfl_target/CFL when the CFL leaves [cfl_low, cfl_high]");
  p.cfl_target = s.get_in<double>("cfl_target", p.cfl_target, 1e-3, 10.0, "CFL aimed at when time.adaptive changes dt");
  p.cfl_low = s.get_in<double>("cfl_low", p.cfl_low, 0.0, 10.0, "time.adaptive raises dt below this CFL (up to time.dt_max)");
  p.cfl_high = s.get_in<double>("cfl_high", p.cfl_high, 1e-3, 10.0, "time.adaptive lowers dt above this CFL");
  p.dt_max = s.get_in<double>("dt_max", p.dt_max, 0.0, 1e6, "largest dt time.adaptive takes (0: time.dt) [h/u_tau in wall units, h/U_c in centreline units]");
  IFF_REQUIRE(!p.adaptive || (p.cfl_low < p.cfl_target && p.cfl_target < p.cfl_high),
              "time.cfl_low < time.cfl_target < time.cfl_high is required, got " << p.cfl_low << ", " << p.cfl_target
                                                                              << ", " << p.cfl_high);
  return p;
}

InitialParams InitialParams::from(const ConfigSection& s) {
  InitialParams p;
  p.type = s.get_enum("type", p.type, kInitialTypeNames, "initial state: laminar | perturbed (laminar plus a divergence-free random field) | orr_sommerfeld (laminar plus the least stable 2-D mode) | stokes (a decaying Stokes mode, no mean flow) | restart (a checkpoint.h5, its SBDF history continued) | series (a snapshot of a data-contract series)");
  p.mode = s.get_in<int>("mode", p.mode, 1, 1000, "Stokes mode number (initial.type stokes: 1, 3, .. even v; 2, 4, .. odd v)");
  p.amplitude = s.get_in<double>("amplitude", p.amplitude, 0.0, 1e6, "perturbation size: rms velocity (perturbed, velocity units), mode amplitude as a fraction of U_c (orr_sommerfeld), mode amplitude (stokes, velocity units)");
  p.seed = std::uint64_t(s.get_in<long>("seed", long(p.seed), 0L, 1L << 62, "random seed of the perturbation (perturbed)"));
  p.file = s.get_path("file", p.file, "checkpoint (initial.type restart) or series file (initial.type series)");
  p.time_index = s.get<int>("time_index", p.time_index, "snapshot of the series (initial.type series; -1: the last)");
  p.trajectory = s.get_in<int>("trajectory", p.trajectory, 0, 1 << 30, "trajectory of the series (initial.type series)");
  IFF_REQUIRE(!((p.type == InitialType::restart || p.type == InitialType::series) && p.file.empty()),
              "initial.file is required for initial.type = " << kInitialTypeNames.name(p.type));
  return p;
}

OutputParams OutputParams::from(const ConfigSection& s) {
  OutputParams p;
  p.dir = s.get_path("dir", p.dir, "output folder: timeseries.csv, checkpoint.h5, snapshots.h5, statistics, config.resolved.yaml");
  p.csv_every = s.get_in<int>("csv_every", p.csv_every, 1, 1 << 30, "a timeseries.csv row every this many steps");
  p.snapshot_every = s.get_in<int>("snapshot_every", p.snapshot_every, 0, 1 << 30, "a data-contract snapshot (snapshots.h5) every this many steps (0: none)");
  p.snapshot_dtype = s.get_enum("snapshot_dtype", p.snapshot_dtype, h5::kFloatDTypeNames, "precision of the snapshots: f32 or f64");
  p.checkpoint_every = s.get_in<int>("checkpoint_every", p.checkpoint_every, 1, 1 << 30, "checkpoint.h5 every this many steps (and at the end)");
  p.stats_every = s.get_in<int>("stats_every", p.stats_every, 0, 1 << 30, "a statistics sample every this many steps (0: no statistics)");
  p.stats_start = s.get_in<double>("stats_start", p.stats_start, 0.0, 1e12, "first time at which statistics are sampled [h/u_tau in wall units, h/U_c in centreline units]");
  p.stats_write_every = s.get_in<int>("stats_write_every", p.stats_write_every, 0, 1 << 30, "statistics files rewritten every this many steps (0: at the end only)");
  p.spectra_y_plus = s.get<std::vector<double>>("spectra_y_plus", p.spectra_y_plus, "wall distances y+ of the x and z spectra (lower wall)");
  p.re_tau_nominal = s.get_in<double>("re_tau_nominal", p.re_tau_nominal, 0.0, 1e9, "Re_tau for the y+ of output.spectra_y_plus (0: physics.re in wall units, else 180)");
  p.progress_seconds = s.get_in<double>("progress_seconds", p.progress_seconds, 0.0, 1e6, "seconds between progress lines (0: every step)");
  return p;
}

spectral::ChannelGrid grid_from(const ConfigSection& g) {
  spectral::ChannelGrid grid;
  grid.nx = g.get_in<int>("nx", grid.nx, 2, 1 << 16, "Fourier modes in x (products on 3/2 as many points)");
  grid.ny = g.get_in<int>("ny", grid.ny, 5, 1 << 14, "Chebyshev Gauss-Lobatto points in y, wall to wall");
  grid.nz = g.get_in<int>("nz", grid.nz, 2, 1 << 16, "Fourier modes in z (products on 3/2 as many points)");
  grid.lx = g.get_in<double>("lx", grid.lx, 1e-6, 1e6, "box length in x [h]");
  grid.lz = g.get_in<double>("lz", grid.lz, 1e-6, 1e6, "box length in z [h]");
  grid.validate();
  return grid;
}

DnsParams DnsParams::from(const Config& cfg) {
  DnsParams p;
  p.grid = grid_from(cfg.section("grid"));
  p.physics = PhysicsParams::from(cfg.section("physics"));
  p.time = TimeParams::from(cfg.section("time"));
  p.initial = InitialParams::from(cfg.section("initial"));
  p.output = OutputParams::from(cfg.section("output"));
  p.sgs = SgsParams::from(cfg.section("sgs"));
  p.fftw_planner = cfg.section("fftw").get_enum("planner", p.fftw_planner, kFftwPlannerNames, "FFTW planner: estimate (the same plan, so the same bits, on every run) or measure (faster plans, chosen by timing)");
  return p;
}

// ------------------------------------------------------------------------------ checkpoints

namespace {
constexpr const char* kCheckpointFormat = "ifactflow-dns-checkpoint";

void write_state(h5::File& f, const std::string& name, const ChannelNSE& nse, const cvec& x) {
  const auto& g = nse.grid();
  f.create_dataset(name, {hsize_t(g.nmodes()), 2, hsize_t(g.ny), 2}, h5::DType::f64);
  f.write_slab(name, {hsize_t(nse.m0()), 0, 0, 0}, {hsize_t(nse.nm_local()), 2, hsize_t(g.ny), 2},
               reinterpret_cast<const double*>(x.data()));
}

cvec read_state(const h5::File& f, const std::string& name, const ChannelNSE& nse) {
  const auto& g = nse.grid();
  cvec x(nse.state_size());
  f.read_slab(name, {hsize_t(nse.m0()), 0, 0, 0}, {hsize_t(nse.nm_local()), 2, hsize_t(g.ny), 2},
              reinterpret_cast<double*>(x.data()));
  return x;
}

/// InputError on every rank when a state of a checkpoint holds a non-finite coefficient
/// (naming the first one found, on the lowest rank that found one). Collective.
void require_finite_state(const std::string& path, const std::string& name, const SbdfHistory& h, const cvec& x,
                          const ChannelNSE& nse) {
  const int ny = nse.grid().ny;
  std::string why;
  for (std::size_t i = 0; i < x.size() && why.empty(); ++i) {
    if (std::isfinite(x[i].real()) && std::isfinite(x[i].imag())) continue;
    const int ml = int(i / (2 * std::size_t(ny))), comp = int(i / ny % 2), k = int(i % ny), m = nse.m0() + ml;
    // component 0 holds v (U for the mean mode), 1 the wall-normal vorticity eta (W)
    const char* what = m == 0 ? (comp == 0 ? "U (mean u)" : "W (mean w)") : (comp == 0 ? "v" : "eta");
    why = fmt::format("checkpoint {}: non-finite value in {} (step {}, t = {:.10g}), component {} of mode {}, "
                      "Chebyshev coefficient {}",
                      path, name, h.step, h.time, what, m, k);
  }
  const MPI_Comm comm = nse.comm();
  const int size = comm_size(comm);
  int finder = why.empty() ? size : comm_rank(comm);
  MPI_Allreduce(MPI_IN_PLACE, &finder, 1, MPI_INT, MPI_MIN, comm);
  if (finder == size) return;
  int n = int(why.size());
  MPI_Bcast(&n, 1, MPI_INT, finder, comm);
  why.resize(n);
  MPI_Bcast(why.data(), n, MPI_CHAR, finder, comm);
  throw InputError(why);
}
}  // namespace

void write_checkpoint(const std::string& path, const ChannelNSE& nse, const SbdfHistory& h, double dt,
                      const std::string& config, double forcing) {
  if (std::isnan(forcing)) forcing = nse.forcing();  // collective
  const MPI_Comm comm = nse.comm();
  AtomicPath out(path, comm);
  {
    auto f = h5::File::create(out, comm);
    f.create_group("/state");
    for (std::size_t i = 0; i < h.x.size(); ++i) write_state(f, "/state/x" + std::to_string(i), nse, h.x[i]);
    for (std::size_t i = 0; i < h.n.size(); ++i) write_state(f, "/state/n" + std::to_string(i), nse, h.n[i]);
    const auto& g = nse.grid();
    f.set_attr("/", "format", std::string(kCheckpointFormat));
    f.set_attr("/", "time", h.time);
    f.set_attr("/", "step", std::int64_t(h.step));
    f.set_attr("/", "dt", dt);
    f.set_attr("/", "n_states", std::int64_t(h.x.size()));
    f.set_attr("/", "n_explicit", std::int64_t(h.n.size()));
    f.set_attr("/", "grid", std::vector<double>{double(g.nx), double(g.ny), double(g.nz), g.lx, g.lz});
    f.set_attr("/", "nu", nse.physics().nu);
    f.set_attr("/", "forcing", forcing);
    f.set_attr("/", "sgs_model", to_string(nse.physics().sgs.model));
    f.set_attr("/", "layout", std::string("[mode = jkz*(nx/2) + ikx][v|eta (U|W for mode 0)][Chebyshev k][re,im]"));
    f.set_attr("/", "config", config);
    f.close();  // checked on every rank: a failed close throws before the rename
  }
  MPI_Barrier(comm);
  out.commit();
  MPI_Barrier(comm);
}

SbdfHistory read_checkpoint(const std::string& path, ChannelNSE& nse, double* dt) {
  auto f = h5::File::open(path, false, nse.comm());
  IFF_REQUIRE(f.has_attr("/", "format") && f.attr_string("/", "format") == kCheckpointFormat,
              "checkpoint " << path << " is not an ifactflow DNS checkpoint");
  const auto g = f.attr_vector("/", "grid");
  const auto& mg = nse.grid();
  IFF_REQUIRE(g.size() == 5 && int(g[0]) == mg.nx && int(g[1]) == mg.ny && int(g[2]) == mg.nz &&
                  std::abs(g[3] - mg.lx) < 1e-12 * mg.lx && std::abs(g[4] - mg.lz) < 1e-12 * mg.lz,
              "checkpoint " << path << " holds grid " << g[0] << "x" << g[1] << "x" << g[2] << " box " << g[3] << "x"
                            << g[4] << ", the case has " << mg.nx << "x" << mg.ny << "x" << mg.nz << " box " << mg.lx
                            << "x" << mg.lz);
  SbdfHistory h;
  h.time = f.attr_double("/", "time");
  h.step = f.attr_int("/", "step");
  *dt = f.attr_double("/", "dt");
  if (f.has_attr("/", "forcing")) nse.set_forcing(f.attr_double("/", "forcing"));
  const std::string model = f.has_attr("/", "sgs_model") ? f.attr_string("/", "sgs_model") : "none";
  if (model != to_string(nse.physics().sgs.model))
    log::warn("checkpoint {} was written with sgs.model = {}, the case has {}: the SBDF history's explicit terms "
              "come from the other model",
              path, model, to_string(nse.physics().sgs.model));
  const auto nx = f.attr_int("/", "n_states"), nn = f.attr_int("/", "n_explicit");
  for (int i = 0; i < nx; ++i) h.x.push_back(read_state(f, "/state/x" + std::to_string(i), nse));
  for (int i = 0; i < nn; ++i) h.n.push_back(read_state(f, "/state/n" + std::to_string(i), nse));
  for (int i = 0; i < nx; ++i) require_finite_state(path, "/state/x" + std::to_string(i), h, h.x[i], nse);
  for (int i = 0; i < nn; ++i) require_finite_state(path, "/state/n" + std::to_string(i), h, h.n[i], nse);
  return h;
}

// ------------------------------------------------------------------------------ the run

ChannelDns::ChannelDns(DnsParams p, MPI_Comm comm) : p_(std::move(p)), comm_(comm) {}

namespace {

/// The initial state of a run that does not restart: a snapshot of a series (interpolated
/// onto the case's grid and projected onto a divergence-free state), or the laminar profile
/// with random perturbations, an Orr-Sommerfeld mode or a Stokes mode. Collective.
cvec initial_state(ChannelNSE& nse, const DnsParams& p, MPI_Comm comm) {
  const auto& ic = p.initial;
  const auto& g = nse.grid();
  cvec x0;
  if (ic.type == InitialType::series) {
    std::vector<double> field;
    int snx = 0, sny = 0, snz = 0;
    if (comm_rank(comm) == 0) {
      SeriesReader r(ic.file, MPI_COMM_SELF);
      const int ti = ic.time_index < 0 ? r.n_time() + ic.time_index : ic.time_index;
      IFF_REQUIRE(ti >= 0 && ti < r.n_time(), "initial.time_index " << ic.time_index << " outside the "
                                                                    << r.n_time() << " snapshots of " << ic.file);
      IFF_REQUIRE(ic.trajectory < r.meta().n_traj, "initial.trajectory " << ic.trajectory << " outside " << ic.file);
      field = r.read_velocity(ic.trajectory, ti);
      snx = r.meta().nx(), sny = r.meta().ny(), snz = r.meta().nz();
      if (std::abs(r.meta().lx - g.lx) > 1e-9 || std::abs(r.meta().lz - g.lz) > 1e-9)
        log::warn("series box {}x{} differs from the case box {}x{}", r.meta().lx, r.meta().lz, g.lx, g.lz);
    }
    int dims[3] = {snx, sny, snz};
    MPI_Bcast(dims, 3, MPI_INT, 0, comm);
    state_from_physical(nse, field, dims[0], dims[1], dims[2], x0);
  } else {
    x0 = laminar_state(nse, p.physics.laminar_centre_velocity());
    if (ic.type == InitialType::perturbed) add_random_perturbation(nse, x0, ic.amplitude, ic.seed);
    if (ic.type == InitialType::orr_sommerfeld) {
      const double uc = p.physics.laminar_centre_velocity();
      const double re_c = uc * p.physics.re;  // U_c h / ν
      const double alpha = 2.0 * M_PI / g.lx;
      auto mode = orr_sommerfeld_least_stable(g.ny, alpha, re_c);
      log::info("Orr-Sommerfeld mode alpha={} Re_c={}: omega = {:.12f} {:+.12f}i", alpha, re_c, mode.omega.real(),
                mode.omega.imag());
      add_orr_sommerfeld_mode(nse, x0, mode, ic.amplitude * uc);
    }
    if (ic.type == InitialType::stokes) {
      const double k = add_stokes_mode(nse, x0, ic.mode, ic.amplitude);
      const double alpha = 2.0 * M_PI / g.lx;
      log::info("Stokes mode {}: k = {:.10f}, expected decay rate sigma = -nu (alpha^2 + k^2) = {:.12g}", ic.mode, k,
                -(alpha * alpha + k * k) / p.physics.re);
    }
  }
  return x0;
}

/// The metadata of a run's snapshots.h5 (data contract): its grid wall to wall, units,
/// configuration and the wall-unit records it writes with every snapshot.
SeriesMeta snapshot_meta(const DnsParams& p, const spectral::ChannelGrid& g, bool les) {
  auto y = g.y();
  std::reverse(y.begin(), y.end());  // wall to wall, ascending
  SeriesMeta m = channel_series_meta(p.physics, g.lx, g.lz, g.nx, std::move(y), g.nz);
  m.kind = les ? "les-" + to_string(p.sgs.model) : "dns";
  m.dtype = p.output.snapshot_dtype;
  m.config = p.resolved_config;
  m.git_commit = p.git_commit;
  m.wall = SeriesWallUnits{m.kind, grid_name(g.nx, g.ny, g.nz), to_string(p.physics.driving)};
  return m;
}

/// The time loop of a run: it makes the steps, measures the time-series rows across them,
/// checks the state, calls the outputs due at each step boundary, lets the CFL controller
/// change dt and polls the stop signal.
class DnsTimeLoop {
 public:
  DnsTimeLoop(const DnsParams& p, ChannelNSE& nse, Sbdf& sbdf, long total, TimeSeriesOutput& rows,
              CheckpointOutput& checkpoint, std::vector<RunOutput*> outputs, const ChannelDns::StepHook& hook,
              MPI_Comm comm)
      : p_(p), nse_(nse), sbdf_(sbdf), total_(total), rows_(rows), checkpoint_(checkpoint),
        outputs_(std::move(outputs)), hook_(hook), comm_(comm), scratch_(nse.state_size()),
        cfl_(p.time.cfl_target, p.time.cfl_low, p.time.cfl_high, p.time.dt_max > 0 ? p.time.dt_max : p.time.dt) {}

  const CflController& cfl() const { return cfl_; }
  /// Fixed dt: a number of steps; CFL-controlled dt: until t_end.
  bool more() const {
    return (p_.time.adaptive && p_.time.steps == 0) ? sbdf_.time() < p_.time.t_end * (1.0 - 1e-12)
                                                    : sbdf_.step_count() < total_;
  }
  /// The current state as a boundary (`d`: the diagnostics of the step that made it).
  StepBoundary boundary(const FlowDiagnostics& d = {}) const {
    StepBoundary b;
    b.step = sbdf_.step_count(), b.time = sbdf_.time(), b.dt = sbdf_.dt(), b.state = &sbdf_.state();
    b.step_diagnostics = d;
    b.last = !more();
    return b;
  }

  void run() {
    io::StopSignals signals;  // SIGTERM/SIGUSR1 only set a flag, polled at every step boundary
    while (more()) {
      StepBoundary b = step();
      const bool kept = b.last || std::any_of(outputs_.begin(), outputs_.end(),
                                              [&](const RunOutput* o) { return o->keeps_state() && o->due(b); });
      if (kept && !finite(nse_, *b.state)) fail("non-finite state");
      for (auto* o : outputs_)
        if (o->due(b)) o->write(b);
      if (p_.time.adaptive && !b.last) b = adapt_dt(b);
      // a step boundary: a stop signal on any rank ends the run here on every rank, with the
      // state a restart continues from bit for bit
      if (hook_) hook_(b.step);
      if (!b.last && signals.agreed(comm_)) stop(b);
    }
  }

  /// Ends the run with the outputs' last writes (the final row is the caller's).
  void finish(const StepBoundary& b, RunEnd end) {
    for (auto* o : outputs_) o->finish(b, end);
  }

 private:
  /// One step; NumericalError (with the time series kept) on a non-finite state or a CFL
  /// number above time.cfl_max.
  StepBoundary step() {
    const long step = sbdf_.step_count();
    const double t = sbdf_.time();
    rows_.before_step(nse_, step, sbdf_.state());
    // diagnostics of the state at (step, t): those of the step's first explicit-term
    // evaluation, except in the self-starting phase, whose substeps evaluate other states
    const bool starting = sbdf_.starting();
    if (starting) nse_.explicit_terms(sbdf_.state(), scratch_);
    const FlowDiagnostics d_state = nse_.last_diagnostics();
    sbdf_.step();
    const FlowDiagnostics d = starting ? d_state : nse_.last_diagnostics();
    const double dt = sbdf_.dt();
    // (a non-finite new state shows in the next step's energy; checked in full before it is kept)
    if (!std::isfinite(d.kinetic_energy)) fail("non-finite state");
    if (d.cfl_rate * dt > p_.time.cfl_max)
      fail(fmt::format("CFL {:.3f} above time.cfl_max = {}", d.cfl_rate * dt, p_.time.cfl_max));
    rows_.after_step(step, t, dt, d);
    return boundary(d);
  }

  /// The CFL controller's dt for the next steps: SBDF re-starts from the current state.
  StepBoundary adapt_dt(const StepBoundary& b) {
    const double cfl = b.step_diagnostics.cfl_rate * b.dt;
    const auto nd = cfl_.next_dt(b.dt, cfl);
    if (!nd) return b;
    log::info("step {} (t = {:.4f}): CFL {:.3f}, dt {:.4g} -> {:.4g}", b.step, b.time, cfl, b.dt, *nd);
    sbdf_.change_dt(*nd);
    checkpoint_.scheme_restarted();
    return boundary(b.step_diagnostics);
  }

  [[noreturn]] void fail(const std::string& why) {
    const std::string kept = checkpoint_.kept();
    rows_.write_file();
    throw NumericalError(fmt::format("{} at step {} (t = {:.6g}); {}", why, sbdf_.step_count(), sbdf_.time(), kept));
  }

  [[noreturn]] void stop(const StepBoundary& b) {
    finish(b, RunEnd::interrupted);
    throw Interrupted(fmt::format(
        "dns: stopped by {} after step {} (t = {:.6g}); {} holds the state: rerun the same command with "
        "--set initial.type=restart --set initial.file={}",
        io::stop_signal_name(io::StopSignals::received()), b.step, b.time, checkpoint_.path(), checkpoint_.path()));
  }

  const DnsParams& p_;
  ChannelNSE& nse_;
  Sbdf& sbdf_;
  long total_;
  TimeSeriesOutput& rows_;
  CheckpointOutput& checkpoint_;
  std::vector<RunOutput*> outputs_;  ///< in the order they are written at a boundary
  const ChannelDns::StepHook& hook_;
  MPI_Comm comm_;
  cvec scratch_;
  const CflController cfl_;
};

void log_run(const DnsParams& p, const ChannelNSE& nse, double dt, long total, MPI_Comm comm) {
  const auto& g = nse.grid();
  log::info("dns: {}x{}x{} modes (padded {}x{}), {} ranks, dt = {}, {} steps, Re = {} ({} units, {})", g.nx, g.ny,
            g.nz, g.nxp(), g.nzp(), comm_size(comm), dt, total, p.physics.re, kUnitsNames.name(p.physics.units),
            to_string(p.physics.driving));
  if (!nse.les()) return;
  const auto& sp = p.sgs;
  const std::string detail =
      sp.model == SgsModelKind::smagorinsky ? fmt::format("C_s = {}, van Driest A+ = {}", sp.cs, sp.van_driest_a_plus)
      : sp.model == SgsModelKind::wale      ? fmt::format("C_w = {}", sp.cw)
                                            : fmt::format("{} test filter of ratio 2 in x and z", kTestFilterKindNames.name(sp.dsm_test_filter));
  log::info("les: {} model ({}), filter width {}", to_string(sp.model), detail, kFilterWidthNames.name(sp.filter_width));
}

/// The first state of a run: a restart's checkpoint (its dt in `dt` when CFL-controlled), or
/// the initial state `x0`. Collective.
SbdfHistory first_state(const DnsParams& p, ChannelNSE& nse, double& dt, cvec& x0, MPI_Comm comm) {
  const auto& ic = p.initial;
  if (ic.type != InitialType::restart) {
    x0 = initial_state(nse, p, comm);
    return {};
  }
  double dt_file = 0.0;
  SbdfHistory restart = read_checkpoint(ic.file, nse, &dt_file);
  if (p.time.adaptive) {
    dt = dt_file;  // continue with the checkpoint's current step
  } else {
    IFF_REQUIRE(dt_file == dt, "checkpoint " << ic.file << " was written with dt = " << dt_file
                                             << ", the case has time.dt = " << dt
                                             << " (fixed-dt SBDF needs the same dt, or time.adaptive: true)");
  }
  return restart;
}

/// The outputs of a run, in the order they are written at a step boundary: the snapshots,
/// the statistics samples, the checkpoint, the time series that matches it, the statistics
/// files and the progress line. Collective.
struct DnsOutputs {
  DnsOutputs(const DnsParams& p, ChannelNSE& nse, const Sbdf& sbdf, const SbdfHistory& restart, long total,
             MPI_Comm comm)
      : rows(p.output.dir + "/timeseries.csv", p.initial.type == InitialType::restart ? p.initial.file : std::string(),
             restart.step, p.output.csv_every, p.output.checkpoint_every, p.physics.re, comm),
        checkpoint(p.output.dir + "/checkpoint.h5", nse, sbdf, p.resolved_config, p.output.checkpoint_every,
                   p.initial.type == InitialType::restart ? restart.step : -1),
        progress("dns", total, p.output.progress_seconds, p.time.adaptive && p.time.steps == 0 ? p.time.t_end : 0.0) {
    const auto& out = p.output;
    const auto& g = nse.grid();
    const bool restarted = p.initial.type == InitialType::restart;
    if (out.snapshot_every > 0) {
      snapshots = std::make_unique<SnapshotOutput>(out.dir + "/snapshots.h5", out.snapshot_every,
                                                   snapshot_meta(p, g, nse.les()), nse,
                                                   restarted ? restart.step : -1, comm);
      ordered.push_back(snapshots.get());
    }
    if (out.stats_every > 0) {
      const double re_tau_nom = out.re_tau_nominal > 0 ? out.re_tau_nominal
                                                       : (p.physics.units == Units::wall ? p.physics.re : 180.0);
      samples = std::make_unique<StatisticsSamples>(nse, out.stats_every, out.stats_start, out.spectra_y_plus,
                                                    re_tau_nom, !restarted, comm);
      files = std::make_unique<StatisticsFiles>(*samples, out.dir, out.stats_write_every, 1.0 / p.physics.re,
                                                fmt::format("this run at {}x{}x{}", g.nx, g.ny, g.nz), comm);
      ordered.push_back(samples.get());
    }
    ordered.push_back(&checkpoint);
    ordered.push_back(&rows);
    if (files) ordered.push_back(files.get());
    ordered.push_back(&progress);
  }

  TimeSeriesOutput rows;
  std::unique_ptr<SnapshotOutput> snapshots;
  std::unique_ptr<StatisticsSamples> samples;
  CheckpointOutput checkpoint;
  std::unique_ptr<StatisticsFiles> files;
  ProgressOutput progress;
  std::vector<RunOutput*> ordered;
};

}  // namespace

DnsSummary ChannelDns::run() {
  const auto t_start = std::chrono::steady_clock::now();
  const auto& out = p_.output;
  ensure_directory(out.dir);
  ChannelPhysics physics = p_.physics.channel();
  physics.sgs = p_.sgs;
  ChannelNSE nse(p_.grid, physics, comm_, fftw_flags(p_.fftw_planner));
  const auto& ic = p_.initial;
  const bool restart = ic.type == InitialType::restart;
  double dt = p_.time.dt;
  cvec x0;
  const SbdfHistory history = first_state(p_, nse, dt, x0, comm_);

  // the case and its initial state have passed their checks: the outputs begin
  // (rank 0's own writes are agreed over the ranks: a failure there, a full disk, ends every
  // rank with its error instead of leaving the others in the next collective call)
  run_agreed(comm_, [&] {
    if (comm_rank(comm_) == 0 && !p_.resolved_config.empty())
      write_text_atomic(out.dir + "/config.resolved.yaml", p_.resolved_config);
  });
  Sbdf sbdf(nse, dt, p_.time.order, p_.time.startup_substeps);
  const long total = p_.time.steps > 0 ? p_.time.steps : std::lround(p_.time.t_end / dt);  // (estimate if adaptive)
  DnsOutputs outputs(p_, nse, sbdf, history, total, comm_);
  DnsTimeLoop loop(p_, nse, sbdf, total, outputs.rows, outputs.checkpoint, outputs.ordered, hook_, comm_);

  // this run's share of the step count and of the time axis (cost.csv)
  const auto loop_start = std::chrono::steady_clock::now();
  DnsSummary sum;
  sum.first_step = restart ? history.step : 0;
  sum.start_time = restart ? history.time : 0.0;
  StepBoundary first;
  if (restart) {
    sbdf.resume(history);
    log::info("restart from {} at step {} (t = {})", ic.file, history.step, history.time);
    first.step = history.step, first.time = history.time, first.dt = dt, first.state = &sbdf.state();
  } else {
    cvec scratch(nse.state_size());
    nse.explicit_terms(x0, scratch);  // the initial CFL
    const double cfl0 = nse.last_diagnostics().cfl_rate * dt;
    if (p_.time.adaptive && loop.cfl().start_dt(dt, cfl0) != dt) {  // a safe start for CFL-controlled runs
      dt = loop.cfl().start_dt(dt, cfl0);
      sbdf.set_dt(dt);
      log::info("initial CFL {:.3f} at time.dt: starting with dt = {:.4g}", cfl0, dt);
    }
    first.dt = dt, first.state = &x0;  // (its time-series row is the loop's first)
  }
  for (auto* o : outputs.ordered) o->start(first);
  if (!restart) sbdf.start(x0);
  outputs.checkpoint.scheme_restarted();
  log_run(p_, nse, dt, total, comm_);

  loop.run();
  sum.loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
  // final state: one more evaluation for its diagnostics
  cvec scratch(nse.state_size());
  nse.explicit_terms(sbdf.state(), scratch);
  const TimeSeriesRow r = outputs.rows.final_row(nse, sbdf.state(), sbdf.step_count(), sbdf.time(), sbdf.dt());
  loop.finish(loop.boundary(), RunEnd::done);
  sum.kinetic_energy = r.kinetic_energy, sum.fluct_energy = r.fluct_energy, sum.bulk_velocity = r.bulk_velocity;
  sum.re_tau = r.re_tau, sum.max_div = r.max_div;
  sum.steps = sbdf.step_count();
  sum.time = sbdf.time();
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  log::info("dns: done, {} steps to t = {:.4f} in {}; E' = {:.4e}, U_b = {:.6f}, Re_tau = {:.2f}, max|div| = {:.2e}",
            sum.steps, sum.time, format_duration(sum.wall_seconds), sum.fluct_energy, sum.bulk_velocity, sum.re_tau,
            sum.max_div);
  return sum;
}

}  // namespace iff::solvers
