#include "solvers/channel_dns.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "io/log.hpp"
#include "io/series.hpp"
#include "io/stop_signal.hpp"
#include "analysis/channel_statistics.hpp"
#include "solvers/cfl_controller.hpp"
#include "solvers/initial_conditions.hpp"
#include "analysis/wall_units.hpp"

namespace iff::solvers {

// ------------------------------------------------------------------------------ params

PhysicsParams PhysicsParams::from(const ConfigSection& s) {
  PhysicsParams p;
  p.units = s.get_choice("units", p.units, {"wall", "centreline"}, "units of the case: wall (h, u_tau; nu = 1/Re_tau) or centreline (h, laminar centre-line velocity U_c; nu = 1/Re_c)");
  p.re = s.get_in<double>("re", p.re, 1e-3, 1e9, "Reynolds number: Re_tau (wall units) or Re_c (centreline units); nu = 1/re");
  p.driving = driving_from_string(s.get_choice("driving", "pressure_gradient", {"pressure_gradient", "bulk_velocity"}, "what drives the flow: a constant mean pressure gradient or a constant bulk velocity"));
  const bool wall = p.units == "wall";
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
  const bool wall = physics.units == "wall";
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
  p.type = s.get_choice("type", p.type, {"laminar", "perturbed", "orr_sommerfeld", "stokes", "restart", "series"}, "initial state: laminar | perturbed (laminar plus a divergence-free random field) | orr_sommerfeld (laminar plus the least stable 2-D mode) | stokes (a decaying Stokes mode, no mean flow) | restart (a checkpoint.h5, its SBDF history continued) | series (a snapshot of a data-contract series)");
  p.mode = s.get_in<int>("mode", p.mode, 1, 1000, "Stokes mode number (initial.type stokes: 1, 3, .. even v; 2, 4, .. odd v)");
  p.amplitude = s.get_in<double>("amplitude", p.amplitude, 0.0, 1e6, "perturbation size: rms velocity (perturbed, velocity units), mode amplitude as a fraction of U_c (orr_sommerfeld), mode amplitude (stokes, velocity units)");
  p.seed = std::uint64_t(s.get_in<long>("seed", long(p.seed), 0L, 1L << 62, "random seed of the perturbation (perturbed)"));
  p.file = s.get_path("file", p.file, "checkpoint (initial.type restart) or series file (initial.type series)");
  p.time_index = s.get<int>("time_index", p.time_index, "snapshot of the series (initial.type series; -1: the last)");
  p.trajectory = s.get_in<int>("trajectory", p.trajectory, 0, 1 << 30, "trajectory of the series (initial.type series)");
  IFF_REQUIRE(!((p.type == "restart" || p.type == "series") && p.file.empty()),
              "initial.file is required for initial.type = " << p.type);
  return p;
}

OutputParams OutputParams::from(const ConfigSection& s) {
  OutputParams p;
  p.dir = s.get_path("dir", p.dir, "output folder: timeseries.csv, checkpoint.h5, snapshots.h5, statistics, config.resolved.yaml");
  p.csv_every = s.get_in<int>("csv_every", p.csv_every, 1, 1 << 30, "a timeseries.csv row every this many steps");
  p.snapshot_every = s.get_in<int>("snapshot_every", p.snapshot_every, 0, 1 << 30, "a data-contract snapshot (snapshots.h5) every this many steps (0: none)");
  p.snapshot_dtype = s.get_choice("snapshot_dtype", p.snapshot_dtype, {"f32", "f64"}, "precision of the snapshots: f32 or f64");
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
  p.fftw_planner = cfg.section("fftw").get_choice("planner", p.fftw_planner, {"estimate", "measure"}, "FFTW planner: estimate (the same plan, so the same bits, on every run) or measure (faster plans, chosen by timing)");
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

int rank_of(MPI_Comm c) {
  int r = 0;
  MPI_Comm_rank(c, &r);
  return r;
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
  int size = 1;
  MPI_Comm_size(comm, &size);
  int finder = why.empty() ? size : rank_of(comm);
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

std::string csv_header() { return "step,t,dt,cfl,kinetic_energy,fluct_energy,bulk_velocity,re_tau,max_div,forcing\n"; }

/// Rows of an existing time series with step < `before` (restart), header included.
std::string csv_prefix(const std::string& path, long before) {
  std::ifstream in(path);
  std::string out = csv_header(), line;
  if (!in) return out;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::stol(line.substr(0, line.find(','))) < before) out += line + "\n";
  }
  return out;
}

}  // namespace

namespace {

/// The initial state of a run that does not restart: a snapshot of a series (interpolated
/// onto the case's grid and projected onto a divergence-free state), or the laminar profile
/// with random perturbations, an Orr-Sommerfeld mode or a Stokes mode. Collective.
cvec initial_state(ChannelNSE& nse, const DnsParams& p, MPI_Comm comm) {
  const auto& ic = p.initial;
  const auto& g = nse.grid();
  cvec x0;
  if (ic.type == "series") {
    std::vector<double> field;
    int snx = 0, sny = 0, snz = 0;
    if (rank_of(comm) == 0) {
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
    if (ic.type == "perturbed") add_random_perturbation(nse, x0, ic.amplitude, ic.seed);
    if (ic.type == "orr_sommerfeld") {
      const double uc = p.physics.laminar_centre_velocity();
      const double re_c = uc * p.physics.re;  // U_c h / ν
      const double alpha = 2.0 * M_PI / g.lx;
      auto mode = orr_sommerfeld_least_stable(g.ny, alpha, re_c);
      log::info("Orr-Sommerfeld mode alpha={} Re_c={}: omega = {:.12f} {:+.12f}i", alpha, re_c, mode.omega.real(),
                mode.omega.imag());
      add_orr_sommerfeld_mode(nse, x0, mode, ic.amplitude * uc);
    }
    if (ic.type == "stokes") {
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
  m.dtype = p.output.snapshot_dtype == "f64" ? h5::DType::f64 : h5::DType::f32;
  m.config = p.resolved_config;
  m.git_commit = p.git_commit;
  m.wall = SeriesWallUnits{m.kind, grid_name(g.nx, g.ny, g.nz), to_string(p.physics.driving)};
  return m;
}

}  // namespace

DnsSummary ChannelDns::run() {
  const auto t_start = std::chrono::steady_clock::now();
  const int rank = rank_of(comm_);
  const auto& out = p_.output;
  ensure_directory(out.dir);
  const std::string ckpt = out.dir + "/checkpoint.h5";
  const std::string csv = out.dir + "/timeseries.csv";

  ChannelPhysics physics = p_.physics.channel();
  physics.sgs = p_.sgs;
  ChannelNSE nse(p_.grid, physics, comm_, p_.fftw_planner == "measure" ? FFTW_MEASURE : FFTW_ESTIMATE);
  const auto& g = nse.grid();
  double dt = p_.time.dt;
  const auto& ic = p_.initial;
  SbdfHistory restart;
  cvec x0;
  if (ic.type == "restart") {
    double dt_file = 0.0;
    restart = read_checkpoint(ic.file, nse, &dt_file);
    if (p_.time.adaptive) {
      dt = dt_file;  // continue with the checkpoint's current step
    } else {
      IFF_REQUIRE(dt_file == dt, "checkpoint " << ic.file << " was written with dt = " << dt_file
                                               << ", the case has time.dt = " << dt
                                               << " (fixed-dt SBDF needs the same dt, or time.adaptive: true)");
    }
  } else {
    x0 = initial_state(nse, p_, comm_);
  }

  // the case and its initial state have passed their checks: the outputs begin
  // (rank 0's own writes are agreed over the ranks: a failure there, a full disk, ends every
  // rank with its error instead of leaving the others in the next collective call)
  run_agreed(comm_, [&] {
    if (rank == 0 && !p_.resolved_config.empty())
      write_text_atomic(out.dir + "/config.resolved.yaml", p_.resolved_config);
  });

  Sbdf sbdf(nse, dt, p_.time.order, p_.time.startup_substeps);
  const long total = p_.time.steps > 0 ? p_.time.steps : std::lround(p_.time.t_end / dt);  // (estimate if adaptive)
  const CflController cfl(p_.time.cfl_target, p_.time.cfl_low, p_.time.cfl_high,
                          p_.time.dt_max > 0 ? p_.time.dt_max : p_.time.dt);
  std::string rows;
  if (rank == 0) {
    // a restart continues the time series of its output directory, else the checkpoint's
    const std::string prev = std::filesystem::exists(csv)
                                 ? csv
                                 : (std::filesystem::path(ic.file).parent_path() / "timeseries.csv").string();
    rows = ic.type == "restart" ? csv_prefix(prev, restart.step) : csv_header();
  }

  // snapshots in the data contract
  std::unique_ptr<SeriesWriter> series;
  long first_snapshot = 0;  // the series' snapshot 0 is step first_snapshot × snapshot_every
  bool new_series_at_restart = false;
  if (out.snapshot_every > 0) {
    const std::string spath = out.dir + "/snapshots.h5";
    if (ic.type == "restart" && std::filesystem::exists(spath)) {
      // the snapshots up to the checkpoint's step were complete when it was written (a series
      // begun by a restart records the step of its snapshot 0 in /first_step)
      {
        const SeriesReader existing(spath, MPI_COMM_SELF);
        if (existing.file().exists("/first_step"))
          first_snapshot = std::lround(existing.file().read_vector("/first_step").at(0)) / out.snapshot_every;
      }
      series = std::make_unique<SeriesWriter>(SeriesWriter::resume(
          spath, int(restart.step / out.snapshot_every - first_snapshot) + 1, {"/first_step"}, comm_));
    } else {
      const SeriesMeta m = snapshot_meta(p_, g, nse.les());
      series = std::make_unique<SeriesWriter>(spath, m, comm_, WriteMode::in_place);
      if (ic.type == "restart") {
        // a restart into a folder without a series starts one at the checkpoint (or at the
        // first snapshot step after it); the earlier snapshots are in the checkpoint's run
        first_snapshot = (restart.step + out.snapshot_every - 1) / out.snapshot_every;
        new_series_at_restart = true;
        series->write_record("/first_step", {double(first_snapshot * out.snapshot_every)});
      }
    }
  }
  // statistics (rank 0 holds the gathered fields)
  std::unique_ptr<analysis::ChannelStatistics> stats;
  const double re_tau_nom = out.re_tau_nominal > 0 ? out.re_tau_nominal
                                                   : (p_.physics.units == "wall" ? p_.physics.re : 180.0);
  if (out.stats_every > 0 && rank == 0) {
    auto y = g.y();
    std::reverse(y.begin(), y.end());
    const auto sj = analysis::nearest_y_plus_indices(y, out.spectra_y_plus, re_tau_nom);
    stats = std::make_unique<analysis::ChannelStatistics>(g.nx, g.ny, g.nz, g.lx, g.lz, y, sj);
  }
  // wall shear tau_w of every statistics sample (rank 0): the statistics' wall units are the
  // measured ones, also in wall units (u_tau = 1 holds only on average, and not at all at
  // constant bulk velocity)
  std::vector<double> sample_tau;
  auto write_stats_files = [&](bool final) {  // rank 0 holds the statistics
    if (!stats || stats->samples() == 0) return;
    analysis::WallUnitsEvidence e;
    e.nu = 1.0 / p_.physics.re;
    e.snapshots = static_cast<long>(sample_tau.size());
    e.measured_what = fmt::format("this run at {}x{}x{}", g.nx, g.ny, g.nz);
    e.measured_u_tau = [&] {
      double sum = 0.0;
      for (double t : sample_tau) sum += t;
      return std::sqrt(std::max(0.0, sum / std::max<std::size_t>(sample_tau.size(), 1)));
    };
    const analysis::WallUnits w = analysis::resolve_wall_units(e);
    stats->write_csv(out.dir, w.re_tau, w.u_tau);
    stats->write_h5(out.dir + "/stats.h5", &w);
    write_text_atomic(out.dir + "/wall_units.txt", analysis::wall_units_text(w, stats->samples(), out.dir));
    if (final)
      log::info("dns: statistics of {} samples in wall units u_tau = {:.6g}, Re_tau = {:.6g} from {}",
                stats->samples(), w.u_tau, w.re_tau, w.description);
  };
  auto write_stats = [&](bool final) {
    run_agreed(comm_, [&] { write_stats_files(final); });
  };

  long last_ckpt = -1;
  double history_forcing = 0.0;  // the forcing at the state the self-starting steps began with
  auto checkpoint = [&] {
    // (within the self-starting steps the history is the state they began with)
    write_checkpoint(ckpt, nse, sbdf.history(), dt, p_.resolved_config,
                     sbdf.starting() ? history_forcing : nse.forcing());
    run_agreed(comm_, [&] {
      if (rank == 0) write_text_atomic(csv, rows);
    });
    last_ckpt = sbdf.history().step;
  };
  auto fail = [&](const std::string& why) {
    const std::string kept = last_ckpt >= 0 ? fmt::format("last good checkpoint {} (step {})", ckpt, last_ckpt)
                                            : std::string("no checkpoint written yet");
    run_agreed(comm_, [&] {
      if (rank == 0 && !rows.empty()) write_text_atomic(csv, rows);
    });
    throw NumericalError(fmt::format("{} at step {} (t = {:.6g}); {}", why, sbdf.step_count(), sbdf.time(), kept));
  };

  DnsSummary sum;
  cvec scratch(nse.state_size());
  auto record = [&](const cvec& x, long step, double t) {
    // diagnostics of x from the last explicit_terms() evaluation (made at this state)
    const auto& d = nse.last_diagnostics();
    const double ub = nse.bulk_velocity(x), tau = nse.wall_shear(x), div = nse.max_divergence(x);
    const double ef = nse.fluctuation_energy(x);  // Parseval: exact, >= 0
    const double re_tau = std::sqrt(std::abs(tau)) * p_.physics.re;
    const double forcing = nse.forcing();  // collective
    if (rank == 0)
      rows += fmt::format("{},{:.10g},{:.10g},{:.6g},{:.12g},{:.12g},{:.12g},{:.10g},{:.3e},{:.10g}\n", step, t, dt,
                          d.cfl_rate * dt, d.kinetic_energy, ef, ub, re_tau, div, forcing);
    sum.kinetic_energy = d.kinetic_energy, sum.fluct_energy = ef, sum.bulk_velocity = ub;
    sum.re_tau = re_tau, sum.max_div = div;
  };
  auto write_snapshot = [&](const cvec& x, long step, double t) {
    if (series && step % out.snapshot_every == 0) {
      const int index = static_cast<int>(step / out.snapshot_every - first_snapshot);
      auto f = nse.gather_velocity(x);
      SeriesBlock b;
      if (rank == 0) b = SeriesBlock{0, 1, 0, g.nx};
      series->write(index, t, b, rank == 0 ? f.data() : nullptr);
      if (series->meta().wall) {
        // this snapshot's wall units, from the spectral mean profile (collective)
        const double u_tau = std::sqrt(std::max(0.0, nse.wall_shear(x)));
        series->write_wall_units(index, 1, b, &u_tau);
      }
    }
  };
  auto snapshot = [&](const cvec& x, long step, double t) {
    write_snapshot(x, step, t);
    if (out.stats_every > 0 && step % out.stats_every == 0 && t >= out.stats_start) {
      auto f = nse.gather_velocity(x);
      const double tau = nse.wall_shear(x);  // collective
      if (stats) stats->add(f.data()), sample_tau.push_back(tau);
      if (nse.les()) {
        // SGS profiles of this state, Gauss–Lobatto order (upper wall first) -> y ascending
        auto s = nse.sgs_profiles(x);
        for (auto* v : {&s.nu_t, &s.dissipation, &s.coefficient}) std::reverse(v->begin(), v->end());
        if (stats) stats->add_sgs(s.nu_t.data(), s.dissipation.data(), s.coefficient.data());
      }
    }
  };

  // this run's share of the step count and of the time axis (cost.csv)
  const auto loop_start = std::chrono::steady_clock::now();
  sum.first_step = ic.type == "restart" ? restart.step : 0;
  sum.start_time = ic.type == "restart" ? restart.time : 0.0;
  if (ic.type == "restart") {
    sbdf.resume(restart);
    log::info("restart from {} at step {} (t = {})", ic.file, restart.step, restart.time);
    if (new_series_at_restart) write_snapshot(sbdf.state(), restart.step, restart.time);
    last_ckpt = restart.step;
  } else {
    nse.explicit_terms(x0, scratch);  // the initial CFL
    const double cfl0 = nse.last_diagnostics().cfl_rate * dt;
    if (p_.time.adaptive && cfl.start_dt(dt, cfl0) != dt) {  // a safe start for CFL-controlled runs
      dt = cfl.start_dt(dt, cfl0);
      sbdf.set_dt(dt);
      log::info("initial CFL {:.3f} at time.dt: starting with dt = {:.4g}", cfl0, dt);
    }
    snapshot(x0, 0, 0.0);  // (its time-series row is the loop's first)
    sbdf.start(x0);
  }
  history_forcing = nse.forcing();
  log::info("dns: {}x{}x{} modes (padded {}x{}), {} ranks, dt = {}, {} steps, Re = {} ({} units, {})", g.nx, g.ny,
            g.nz, g.nxp(), g.nzp(), [&] { int s; MPI_Comm_size(comm_, &s); return s; }(), dt, total,
            p_.physics.re, p_.physics.units, to_string(p_.physics.driving));
  if (nse.les()) {
    const auto& sp = p_.sgs;
    const std::string detail =
        sp.model == SgsModelKind::smagorinsky ? fmt::format("C_s = {}, van Driest A+ = {}", sp.cs, sp.van_driest_a_plus)
        : sp.model == SgsModelKind::wale      ? fmt::format("C_w = {}", sp.cw)
                                              : fmt::format("{} test filter of ratio 2 in x and z", to_string(sp.dsm_test_filter));
    log::info("les: {} model ({}), filter width {}", to_string(sp.model), detail, to_string(sp.filter_width));
  }

  // fixed dt: a number of steps; CFL-controlled dt: until t_end
  auto more = [&] {
    return (p_.time.adaptive && p_.time.steps == 0) ? sbdf.time() < p_.time.t_end * (1.0 - 1e-12)
                                                    : sbdf.step_count() < total;
  };
  Progress progress("dns", total, out.progress_seconds);
  io::StopSignals signals;  // SIGTERM/SIGUSR1 only set a flag, polled at every step boundary
  while (more()) {
    const long step = sbdf.step_count();
    const double t = sbdf.time();
    const bool row = step % out.csv_every == 0;
    double ub = 0, tau = 0, div = 0, ef = 0;
    if (row) {  // state-only diagnostics before the step replaces it
      const cvec& x = sbdf.state();
      ub = nse.bulk_velocity(x), tau = nse.wall_shear(x), div = nse.max_divergence(x);
      ef = nse.fluctuation_energy(x);
    }
    const double forcing_before = row ? nse.forcing() : 0.0;  // collective, only for the CSV
    // diagnostics of the state at (step, t): those of the step's first explicit-term
    // evaluation, except in the self-starting phase, whose substeps evaluate other states
    const bool starting = sbdf.starting();
    if (starting) nse.explicit_terms(sbdf.state(), scratch);
    const FlowDiagnostics d_state = nse.last_diagnostics();
    sbdf.step();
    const FlowDiagnostics d = starting ? d_state : nse.last_diagnostics();
    // (a non-finite new state shows in the next step's energy; checked in full before writes)
    if (!std::isfinite(d.kinetic_energy)) fail("non-finite state");
    if (d.cfl_rate * dt > p_.time.cfl_max)
      fail(fmt::format("CFL {:.3f} above time.cfl_max = {}", d.cfl_rate * dt, p_.time.cfl_max));
    if (row && rank == 0) {
      const double re_tau = std::sqrt(std::abs(tau)) * p_.physics.re;
      rows += fmt::format("{},{:.10g},{:.10g},{:.6g},{:.12g},{:.12g},{:.12g},{:.10g},{:.3e},{:.10g}\n", step, t, dt,
                          d.cfl_rate * dt, d.kinetic_energy, ef, ub, re_tau, div, forcing_before);
    }
    const long s1 = sbdf.step_count();
    const bool ckpt_due = s1 % out.checkpoint_every == 0 && more();
    const bool snap_due = (series && s1 % out.snapshot_every == 0) ||
                          (out.stats_every > 0 && s1 % out.stats_every == 0 && sbdf.time() >= out.stats_start);
    if ((ckpt_due || snap_due || !more()) && !nse.finite(sbdf.state())) fail("non-finite state");
    snapshot(sbdf.state(), s1, sbdf.time());
    if (ckpt_due) checkpoint();
    if (out.stats_write_every > 0 && s1 % out.stats_write_every == 0) write_stats(false);
    const std::string line = fmt::format("t={:.3f} E'={:.4e} CFL={:.3f}", sbdf.time(), d.fluct_energy, d.cfl_rate * dt);
    if (p_.time.adaptive && p_.time.steps == 0)
      progress.update_to_time(s1, sbdf.time(), p_.time.t_end, line);
    else
      progress.update(s1, line);
    if (p_.time.adaptive && more()) {
      if (const auto nd = cfl.next_dt(dt, d.cfl_rate * dt)) {
        log::info("step {} (t = {:.4f}): CFL {:.3f}, dt {:.4g} -> {:.4g}", s1, sbdf.time(), d.cfl_rate * dt, dt, *nd);
        sbdf.change_dt(*nd);
        dt = *nd;
        history_forcing = nse.forcing();
      }
    }
    // a step boundary: a stop signal on any rank ends the run here on every rank, with the
    // state a restart continues from bit for bit
    if (hook_) hook_(s1);
    if (more() && signals.agreed(comm_)) {
      checkpoint();
      write_stats(false);
      if (series) series->close();
      throw Interrupted(fmt::format(
          "dns: stopped by {} after step {} (t = {:.6g}); {} holds the state: rerun the same command with "
          "--set initial.type=restart --set initial.file={}",
          io::stop_signal_name(io::StopSignals::received()), s1, sbdf.time(), ckpt, ckpt));
    }
  }
  sum.loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
  // final state: one more evaluation for its diagnostics
  nse.explicit_terms(sbdf.state(), scratch);
  record(sbdf.state(), sbdf.step_count(), sbdf.time());
  checkpoint();
  write_stats(true);
  if (series) series->close();
  sum.steps = sbdf.step_count();
  sum.time = sbdf.time();
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  log::info("dns: done, {} steps to t = {:.4f} in {}; E' = {:.4e}, U_b = {:.6f}, Re_tau = {:.2f}, max|div| = {:.2e}",
            sum.steps, sum.time, format_duration(sum.wall_seconds), sum.fluct_energy, sum.bulk_velocity, sum.re_tau,
            sum.max_div);
  return sum;
}

}  // namespace iff::solvers
