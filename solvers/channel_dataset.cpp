#include "solvers/channel_dataset.hpp"

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
#include "io/xdmf.hpp"
#include "io/stop_signal.hpp"
#include "solvers/initial_conditions.hpp"

namespace fs = std::filesystem;

namespace iff::solvers {

// ------------------------------------------------------------------------------ params

DatasetParams DatasetParams::from(const Config& cfg) {
  DatasetParams p;
  p.grid = grid_from(cfg.section("grid"));
  p.physics = PhysicsParams::from(cfg.section("physics"));

  auto t = cfg.section("time");
  p.dt = t.get_in<double>("dt", p.dt, 1e-12, 1e6, "fixed time step of every trajectory [h/u_tau in wall units, h/U_c in centreline units]");
  p.order = t.get_in<int>("order", p.order, 1, 3, "order of the SBDF (IMEX) scheme");
  p.startup_substeps = t.get_in<int>("startup_substeps", p.startup_substeps, 1, 1000, "substeps per step while the SBDF scheme starts itself");
  p.cfl_max = t.get_in<double>("cfl_max", p.cfl_max, 1e-6, 1e6, "a trajectory stops with an error when dt * max(|u|/dx + |v|/dy + |w|/dz) exceeds this");

  auto i = cfg.section("initial");
  p.initial_file = i.require_path("file", "the turbulent state every trajectory starts from: a DNS checkpoint.h5 or a data-contract series");
  p.time_index = i.get<int>("time_index", p.time_index, "snapshot of initial.file when it is a series (-1: the last)");
  p.initial_trajectory = i.get_in<int>("trajectory", p.initial_trajectory, 0, 1 << 30, "trajectory of initial.file when it is a series");

  auto d = cfg.section("dataset");
  p.n_traj = d.get_in<int>("n_traj", p.n_traj, 1, 1 << 24, "trajectories in the ensemble");
  p.n_time = d.get_in<int>("n_time", p.n_time, 1, 1 << 24, "snapshots per trajectory");
  p.snapshot_every = d.get_in<int>("snapshot_every", p.snapshot_every, 1, 1 << 30, "DNS steps between snapshots");
  p.spinup = d.get_in<double>("spinup", p.spinup, 0.0, 1e12, "decorrelation spin-up of each trajectory before its first snapshot, at least 2 time.dt [h/u_tau in wall units, h/U_c in centreline units]");
  p.perturbation = d.get_in<double>("perturbation", p.perturbation, 0.0, 1e6, "rms velocity of the random divergence-free perturbation added to each trajectory's initial state [velocity units of physics.units]");
  p.seed = std::uint64_t(d.get_in<long>("seed", long(p.seed), 0L, 1L << 62, "base seed of the perturbations (trajectory i uses splitmix64(seed, i))"));
  p.ranks_per_trajectory = d.get_in<int>("ranks_per_trajectory", p.ranks_per_trajectory, 0, 1 << 24, "ranks that run one trajectory together; must divide the number of ranks (0: all ranks in one group)");

  auto f = cfg.section("filter");
  const std::string coarse = f.get<std::string>("grid", "32x33x16", "coarse grid NXxNYxNZ the snapshots are filtered onto (Fourier modes x Gauss-Lobatto points x Fourier modes)");
  std::vector<int> cg;
  try {
    cg = parse_grid_triplet(coarse);
  } catch (const InputError& e) {
    throw ConfigError(std::string("filter.grid: ") + e.what());
  }
  p.NX = cg[0], p.NY = cg[1], p.NZ = cg[2];
  p.filter = filter_kind_from_string(f.get_choice("kind", "sharp", {"sharp", "box", "gaussian"}, "x-z filter: sharp (spectral cut-off at the coarse grid), box (top-hat) or gaussian"));
  p.width_ratio = f.get_in<double>("width_ratio", p.width_ratio, 1e-6, 1e6, "filter width over the coarse grid spacing (box, gaussian)");

  auto o = cfg.section("output");
  p.dir = o.get_path("dir", p.dir, "output folder: the series, trajectory checkpoints while unfinished, config.resolved.yaml");
  p.file = o.get<std::string>("file", p.file, "coarse training set, in output.dir (data contract, kind fdns)");
  p.keep_full = o.get<bool>("keep_full", p.keep_full, "also keep the snapshots on the DNS grid (output.full_file)");
  p.full_file = o.get<std::string>("full_file", p.full_file, "DNS-grid series, in output.dir, when output.keep_full");
  p.dtype = o.get_enum("dtype", p.dtype, h5::kFloatDTypeNames, "precision of the series: f32 or f64");
  p.checkpoint_every = o.get_in<int>("checkpoint_every", p.checkpoint_every, 1, 1 << 30, "a trajectory checkpoint every this many snapshots (and during the spin-up, every spin-up steps / this)");
  p.overwrite = o.get<bool>("overwrite", p.overwrite, "discard an existing or unfinished output and start again (else an unfinished one is resumed)");
  p.progress_seconds = o.get_in<double>("progress_seconds", p.progress_seconds, 0.0, 1e6, "seconds between progress lines (0: every snapshot)");
  p.fftw_planner = cfg.section("fftw").get_enum("planner", p.fftw_planner, kFftwPlannerNames, "FFTW planner: estimate (the same plan, so the same bits, on every run) or measure (faster plans, chosen by timing)");

  IFF_REQUIRE(p.spinup_steps() >= 2,
              "dataset.spinup = " << p.spinup << " is shorter than the SBDF start (at least 2 steps of time.dt = "
                                  << p.dt << ")");
  IFF_REQUIRE(p.NX <= p.grid.nx && p.NY <= p.grid.ny && p.NZ <= p.grid.nz,
              "filter.grid " << coarse << " is finer than the DNS grid " << p.grid.nx << "x" << p.grid.ny << "x"
                             << p.grid.nz);
  IFF_REQUIRE(p.NX >= 2 && p.NY >= 2 && p.NZ >= 2, "filter.grid " << coarse << " is too small");
  IFF_REQUIRE(!p.file.empty() && (!p.keep_full || p.full_file != p.file),
              "output.file and output.full_file must be two different non-empty names");
  return p;
}

long DatasetParams::spinup_steps() const { return std::lround(spinup / dt); }

// ------------------------------------------------------------------------------ helpers

namespace {

constexpr const char* kCheckpointFormat = "ifactflow-dns-checkpoint";  // written by write_checkpoint

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Owns a communicator made by MPI_Comm_split.
struct CommGuard {
  MPI_Comm c = MPI_COMM_NULL;
  ~CommGuard() {
    if (c != MPI_COMM_NULL) MPI_Comm_free(&c);
  }
};

/// The turbulent state the ensemble starts from (same answer on every rank: each reads the
/// attributes itself).
struct InitialInfo {
  bool checkpoint = false;  ///< DNS checkpoint (else a data-contract series)
  double t0 = 0.0;          ///< its time
  long step0 = 0;           ///< its step (checkpoint)
  int time_index = 0;       ///< series snapshot
};

InitialInfo inspect_initial(const DatasetParams& p) {
  const std::string& path = p.initial_file;
  IFF_REQUIRE(fs::exists(path), "initial.file " << path << " does not exist");
  IFF_REQUIRE(h5::File::is_hdf5(path), "initial.file " << path << " is not an HDF5 file");
  InitialInfo info;
  std::string format;
  {
    auto f = h5::File::open(path);
    if (f.has_attr("/", "format")) format = f.attr_string("/", "format");
    if (format == kCheckpointFormat) {
      info.checkpoint = true;
      info.t0 = f.attr_double("/", "time");
      info.step0 = long(f.attr_int("/", "step"));
      const auto g = f.attr_vector("/", "grid");
      IFF_REQUIRE(g.size() == 5 && int(g[0]) == p.grid.nx && int(g[1]) == p.grid.ny && int(g[2]) == p.grid.nz &&
                      std::abs(g[3] - p.grid.lx) <= 1e-12 * p.grid.lx &&
                      std::abs(g[4] - p.grid.lz) <= 1e-12 * p.grid.lz,
                  "initial.file " << path << " is a checkpoint on " << g[0] << "x" << g[1] << "x" << g[2] << " (box "
                                  << g[3] << "x" << g[4] << "), the case's DNS grid is " << p.grid.nx << "x"
                                  << p.grid.ny << "x" << p.grid.nz << " (box " << p.grid.lx << "x" << p.grid.lz
                                  << "); start from a series snapshot to change grids");
      if (f.has_attr("/", "nu") && std::abs(f.attr_double("/", "nu") * p.physics.re - 1.0) > 1e-12)
        log::warn("initial.file {} was run at nu = {}, the case has nu = {}", path, f.attr_double("/", "nu"),
                  1.0 / p.physics.re);
      return info;
    }
  }
  IFF_REQUIRE(format == kSeriesFormat, "initial.file " << path << " is neither an ifactflow DNS checkpoint nor a "
                                                       << "data-contract series (format attribute '" << format << "')");
  SeriesReader r(path);
  const auto& m = r.meta();
  info.time_index = p.time_index < 0 ? r.n_time() + p.time_index : p.time_index;
  IFF_REQUIRE(info.time_index >= 0 && info.time_index < r.n_time(),
              "initial.time_index " << p.time_index << " outside the " << r.n_time() << " snapshots of " << path);
  IFF_REQUIRE(p.initial_trajectory < m.n_traj,
              "initial.trajectory " << p.initial_trajectory << " outside the " << m.n_traj << " trajectories of " << path);
  IFF_REQUIRE(m.lx <= 0 || (std::abs(m.lx - p.grid.lx) <= 1e-9 * p.grid.lx && std::abs(m.lz - p.grid.lz) <= 1e-9 * p.grid.lz),
              "initial.file " << path << " has box " << m.lx << "x" << m.lz << ", the case has " << p.grid.lx << "x"
                              << p.grid.lz);
  info.t0 = r.times()[info.time_index];
  return info;
}

/// The keys that determine the data, one per line: a resumed run must match them.
std::string make_signature(const DatasetParams& p, const InitialInfo& ii) {
  // {} prints the shortest text that reads back to the same double
  std::string s;
  s += fmt::format("grid: {}x{}x{} box {} {}\n", p.grid.nx, p.grid.ny, p.grid.nz, p.grid.lx, p.grid.lz);
  s += fmt::format("physics: {} re {} {} F {} U_b {}\n", kUnitsNames.name(p.physics.units), p.physics.re, to_string(p.physics.driving),
                   p.physics.pressure_gradient, p.physics.bulk_velocity);
  s += fmt::format("time: dt {} order {} startup_substeps {}\n", p.dt, p.order, p.startup_substeps);
  s += fmt::format("initial: {} {} t0 {} step {} index {} trajectory {}\n", p.initial_file,
                   ii.checkpoint ? "checkpoint" : "series", ii.t0, ii.step0, ii.time_index,
                   ii.checkpoint ? 0 : p.initial_trajectory);
  s += fmt::format("dataset: n_traj {} n_time {} snapshot_every {} spinup_steps {} perturbation {} seed {}\n",
                   p.n_traj, p.n_time, p.snapshot_every, p.spinup_steps(), p.perturbation, p.seed);
  s += fmt::format("filter: {}x{}x{} {} width_ratio {}\n", p.NX, p.NY, p.NZ, to_string(p.filter), p.width_ratio);
  s += fmt::format("output: dtype {} keep_full {}\n", h5::kFloatDTypeNames.name(p.dtype), p.keep_full ? p.full_file : std::string("no"));
  s += fmt::format("fftw: {}\n", kFftwPlannerNames.name(p.fftw_planner));
  return s;
}

/// First line where two signatures differ ("" when equal).
std::string signature_difference(const std::string& want, const std::string& have) {
  std::istringstream a(want), b(have);
  std::string la, lb;
  while (true) {
    const bool ga = bool(std::getline(a, la)), gb = bool(std::getline(b, lb));
    if (!ga && !gb) return "";
    if (!ga || !gb || la != lb) return "case '" + la + "' vs output '" + lb + "'";
  }
}

/// One output series (coarse or DNS grid) in the data contract, plus /completed.
struct Output {
  std::string final_path, work_path;
  SeriesMeta meta;
  h5::File file;
};

/// Creates `o.work_path` complete (series, /time, /completed, signature) under a temporary
/// name and renames it into place, so that a partial file is always a valid one.
void create_output(Output& o, const std::vector<double>& times, const std::string& signature, MPI_Comm world) {
  // (AtomicPath removes the temporary file when anything below fails, a full disk)
  AtomicPath target(o.work_path, world);
  {
    SeriesWriter w(target.temp(), o.meta, world, WriteMode::atomic);
    // the whole time axis at once: the velocity's shape is final from the start
    for (int s = int(times.size()) - 1; s >= 0; --s) w.write(s, times[s], SeriesBlock{}, nullptr);
    w.close();
  }
  {
    auto f = h5::File::open(target.temp(), true, world);
    const hsize_t n = hsize_t(o.meta.n_traj);
    f.create_dataset("/completed", {n}, h5::DType::i64);
    std::vector<std::int64_t> zero(n, 0);
    f.write_slab_i64("/completed", {0}, {comm_rank(world) == 0 ? n : hsize_t{0}}, zero.data());
    f.set_attr("/completed", "meaning",
               std::string("snapshots of each trajectory on disk: /velocity[i, 0:completed[i]] is final"));
    f.set_attr("/", "dataset_signature", signature);
    f.close();
  }
  MPI_Barrier(world);
  run_agreed(world, [&] { target.commit(); });
}

/// Signature and /completed of an existing output (read on this rank alone).
std::vector<std::int64_t> read_progress(const std::string& path, const std::string& signature, int n_traj) {
  auto f = h5::File::open(path);
  IFF_REQUIRE(f.has_attr("/", "dataset_signature") && f.exists("/completed"),
              "output " << path << " was not written by `ifactflow dataset` (no dataset_signature or /completed); "
                        << "remove it, set output.overwrite: true or choose another output.dir");
  const std::string diff = signature_difference(signature, f.attr_string("/", "dataset_signature"));
  IFF_REQUIRE(diff.empty(), "output " << path << " holds another data set (" << diff
                                      << "); set output.overwrite: true or choose another output.dir");
  std::vector<std::int64_t> c(n_traj);
  IFF_REQUIRE(f.shape("/completed") == std::vector<hsize_t>{hsize_t(n_traj)},
              "output " << path << ": /completed does not have " << n_traj << " entries");
  f.read_slab_i64("/completed", {0}, {hsize_t(n_traj)}, c.data());
  return c;
}

std::string checkpoint_path(const DatasetParams& p, int traj) {
  return fmt::format("{}/trajectories/traj_{:04d}.h5", p.dir, traj);
}

}  // namespace

// ------------------------------------------------------------------------------ ensemble

std::uint64_t ChannelDataset::trajectory_seed(std::uint64_t seed, int traj) {
  return splitmix64(splitmix64(seed) ^ std::uint64_t(traj));
}

int ChannelDataset::snapshots_at(long step, long spinup_steps, int snapshot_every) {
  return step < spinup_steps ? 0 : int((step - spinup_steps) / snapshot_every) + 1;
}

ChannelDataset::ChannelDataset(DatasetParams p, MPI_Comm world) : p_(std::move(p)), world_(world) {}

DatasetSummary ChannelDataset::run() {
  const auto t_start = std::chrono::steady_clock::now();
  DatasetSummary sum;
  const int wrank = comm_rank(world_), wsize = comm_size(world_);
  const int rpt = p_.ranks_per_trajectory == 0 ? wsize : p_.ranks_per_trajectory;
  IFF_REQUIRE(wsize % rpt == 0, "dataset.ranks_per_trajectory = " << rpt << " does not divide the " << wsize
                                                                  << " MPI ranks");
  const int n_groups = wsize / rpt, group = wrank / rpt;
  const long S = p_.spinup_steps();
  const int k = p_.snapshot_every, nt = p_.n_time;

  const InitialInfo ii = inspect_initial(p_);
  const std::string signature = make_signature(p_, ii);

  // ---- outputs: resume, finish, or create
  Output coarse, full;
  coarse.final_path = p_.coarse_path();
  coarse.work_path = partial_name(coarse.final_path);
  full.final_path = p_.full_path();
  full.work_path = partial_name(full.final_path);
  std::vector<Output*> outs = {&coarse};
  if (p_.keep_full) outs.push_back(&full);
  auto write_xdmf = [&] {  // ParaView's view of each finished series (io/xdmf.hpp)
    run_agreed(world_, [&] {
      if (wrank == 0)
        for (auto* o : outs) write_series_xdmf(o->final_path, xdmf_path_for(o->final_path));
    });
  };
  const std::string traj_dir = p_.dir + "/trajectories";
  if (wrank == 0) {
    ensure_directory(p_.dir);
    if (p_.overwrite) {
      for (auto* o : outs) {
        fs::remove(o->final_path);
        fs::remove(o->work_path);
      }
      fs::remove_all(traj_dir);
    }
  }
  MPI_Barrier(world_);
  // the unfinished (work) file if there is one, else the finished one, else ""
  auto existing = [](const Output& o) {
    if (fs::exists(o.work_path)) return o.work_path;
    return fs::exists(o.final_path) ? o.final_path : std::string();
  };
  const bool resume = fs::exists(coarse.work_path);
  if (!resume && fs::exists(coarse.final_path)) {
    // a finished data set: nothing to do when it is this case's
    for (auto* o : outs) {
      const auto path = existing(*o);
      IFF_REQUIRE(!path.empty(), "output " << coarse.final_path << " exists but " << o->final_path
                                           << " does not; set output.overwrite: true or choose another output.dir");
      const auto c = read_progress(path, signature, p_.n_traj);
      IFF_REQUIRE(std::all_of(c.begin(), c.end(), [&](std::int64_t v) { return v == nt; }),
                  "output " << path << " is incomplete; set output.overwrite: true or choose another output.dir");
    }
    MPI_Barrier(world_);
    if (wrank == 0 && p_.keep_full && fs::exists(full.work_path)) fs::rename(full.work_path, full.final_path);
    write_xdmf();  // (a run stopped between the renames and these)
    log::info("dataset: {} is complete for this case; nothing to do (output.overwrite: true starts again)",
              coarse.final_path);
    sum.already_complete = true;
    return sum;
  }

  // series metadata
  const auto& g = p_.grid;
  FilterSpec fs_spec;
  fs_spec.nx = g.nx, fs_spec.ny = g.ny, fs_spec.nz = g.nz;
  fs_spec.NX = p_.NX, fs_spec.NY = p_.NY, fs_spec.NZ = p_.NZ;
  fs_spec.lx = g.lx, fs_spec.lz = g.lz;
  fs_spec.kind = p_.filter;
  fs_spec.width_ratio = p_.width_ratio;
  auto base_meta = [&](int nx, std::vector<double> y, int nz) {
    SeriesMeta m = channel_series_meta(p_.physics, g.lx, g.lz, nx, std::move(y), nz);
    m.n_traj = p_.n_traj;
    m.dtype = p_.dtype;
    m.config = p_.resolved_config;
    m.git_commit = p_.git_commit;
    // the wall units of every snapshot, measured on the DNS grid as it is taken
    m.wall = SeriesWallUnits{"dns", grid_name(g.nx, g.ny, g.nz), to_string(p_.physics.driving)};
    return m;
  };
  coarse.meta = base_meta(p_.NX, gauss_lobatto_y(p_.NY), p_.NZ);
  coarse.meta.kind = "fdns";
  coarse.meta.filter = fs_spec.describe();
  auto yf = g.y();
  std::reverse(yf.begin(), yf.end());  // wall to wall, ascending (as the DNS snapshots)
  full.meta = base_meta(g.nx, yf, g.nz);
  full.meta.kind = "dns";

  std::vector<double> times(nt);
  for (int s = 0; s < nt; ++s) times[s] = ii.t0 + double(S + long(s) * k) * p_.dt;

  // the case and its initial state have passed their checks: the outputs begin
  run_agreed(world_, [&] {  // rank 0's write: its failure ends every rank with its error
    if (wrank == 0 && !p_.resolved_config.empty())
      write_text_atomic(p_.dir + "/config.resolved.yaml", p_.resolved_config);
  });
  if (resume) {
    for (auto* o : outs) {
      const auto path = existing(*o);
      IFF_REQUIRE(!path.empty(), "unfinished output " << coarse.work_path << " has no companion " << o->work_path
                                                      << "; set output.overwrite: true to start again");
      read_progress(path, signature, p_.n_traj);  // every rank checks (InputError on mismatch)
      if (path != o->work_path && wrank == 0) fs::rename(path, o->work_path);
    }
    MPI_Barrier(world_);
  } else {
    if (wrank == 0) fs::remove_all(traj_dir);  // stale checkpoints of another run
    MPI_Barrier(world_);
    if (p_.keep_full) create_output(full, times, signature, world_);
    create_output(coarse, times, signature, world_);  // last: its presence means "resume"
  }
  if (wrank == 0) ensure_directory(traj_dir);
  for (auto* o : outs) o->file = h5::File::open(o->work_path, true, world_);
  MPI_Barrier(world_);
  // (an unfinished output of an older version has no wall-unit records: it gets none)
  const bool record_wall = coarse.file.exists("/wall/u_tau") && (!p_.keep_full || full.file.exists("/wall/u_tau"));
  if (!record_wall)
    log::warn("dataset: {} has no /wall/u_tau; its snapshots get no wall-unit records", coarse.work_path);

  // ---- the plan: every rank derives the same rounds from rank 0's view of the disk
  const int n_traj = p_.n_traj;
  std::vector<std::int64_t> start(n_traj, 0), from_ckpt(n_traj, 0), on_disk(n_traj, 0);
  coarse.file.read_slab_i64("/completed", {0}, {hsize_t(n_traj)}, on_disk.data());
  if (wrank == 0) {
    for (int i = 0; i < n_traj; ++i) {
      if (on_disk[i] >= nt) {
        start[i] = nt;
        continue;
      }
      const std::string cp = checkpoint_path(p_, i);
      if (!fs::exists(cp)) continue;
      auto f = h5::File::open(cp);
      IFF_REQUIRE(f.has_attr("/", "config") && f.attr_string("/", "config") == signature,
                  "trajectory checkpoint " << cp << " belongs to another case; remove " << traj_dir
                                           << " or set output.overwrite: true");
      start[i] = snapshots_at(long(f.attr_int("/", "step")), S, k);
      IFF_CHECK(start[i] < nt, "checkpoint " << cp << " is past the last snapshot");
      from_ckpt[i] = 1;
    }
  }
  MPI_Bcast(start.data(), n_traj, MPI_INT64_T, 0, world_);
  MPI_Bcast(from_ckpt.data(), n_traj, MPI_INT64_T, 0, world_);
  std::vector<int> pending;
  long total = 0, on_disk_total = 0;
  for (int i = 0; i < n_traj; ++i) {
    on_disk_total += std::min<std::int64_t>(on_disk[i], nt);
    if (start[i] < nt) pending.push_back(i), total += nt - start[i];
  }
  const int n_pending = int(pending.size());
  const int rounds = (n_pending + n_groups - 1) / n_groups;
  auto traj_in = [&](int round, int grp) {
    const int q = round * n_groups + grp;
    return q < n_pending ? pending[q] : -1;
  };

  log::info("dataset: {} trajectories x {} snapshots every {} steps (dt = {}, {} time units) after a {}-step "
            "spin-up; DNS {}x{}x{} -> {}x{}x{} ({}); {} group(s) of {} rank(s)",
            n_traj, nt, k, p_.dt, k * p_.dt, S, g.nx, g.ny, g.nz, p_.NX, p_.NY, p_.NZ, to_string(p_.filter),
            n_groups, rpt);
  log::info("dataset: from {} ({}, t0 = {}); {}", p_.initial_file, ii.checkpoint ? "checkpoint" : "series snapshot",
            ii.t0,
            resume ? fmt::format("resuming: {} snapshots on disk, {} trajectories from checkpoints, {} to write",
                                 on_disk_total, std::count(from_ckpt.begin(), from_ckpt.end(), 1), total)
                   : fmt::format("{} snapshots to write", total));
  if (n_groups > n_pending && n_pending > 0)
    log::warn("dataset: {} groups for {} pending trajectories: {} group(s) idle", n_groups, n_pending,
              n_groups - n_pending);

  // ---- per-group DNS
  CommGuard gc;
  MPI_Comm_split(world_, group, wrank, &gc.c);
  const bool leader = comm_rank(gc.c) == 0;
  const unsigned flags = fftw_flags(p_.fftw_planner);
  const ChannelPhysics phys = p_.physics.channel();
  bool group_has_work = false;
  for (int r = 0; r < rounds; ++r) group_has_work = group_has_work || traj_in(r, group) >= 0;

  cvec x0;
  if (group_has_work) {
    ChannelNSE nse0(g, phys, gc.c, flags);
    if (ii.checkpoint) {
      double dt_file = 0.0;
      x0 = read_checkpoint(p_.initial_file, nse0, &dt_file).x.front();
    } else {
      std::vector<double> field;
      int dims[3] = {0, 0, 0};
      if (leader) {
        SeriesReader r(p_.initial_file);
        field = r.read_velocity(p_.initial_trajectory, ii.time_index);
        dims[0] = r.meta().nx(), dims[1] = r.meta().ny(), dims[2] = r.meta().nz();
      }
      MPI_Bcast(dims, 3, MPI_INT, 0, gc.c);
      state_from_physical(nse0, field, dims[0], dims[1], dims[2], x0);
    }
  }
  std::unique_ptr<ChannelFilter> filter;
  if (leader && group_has_work) filter = std::make_unique<ChannelFilter>(fs_spec);
  const std::size_t coarse_size = coarse.meta.snapshot_size();
  std::vector<double> fine, coarse_field(leader ? coarse_size : 0);
  double u_tau = 0.0;  // of the snapshot being written
  const std::vector<hsize_t> cshape = {1, 1, hsize_t(p_.NX), hsize_t(p_.NY), hsize_t(p_.NZ), 3};
  const std::vector<hsize_t> fshape = {1, 1, hsize_t(g.nx), hsize_t(g.ny), hsize_t(g.nz), 3};
  const std::vector<hsize_t> none(6, 0);
  const long ckpt_steps = long(p_.checkpoint_every) * k;  // checkpoint interval during the spin-up

  Progress progress("dataset", std::max(total, 1L), p_.progress_seconds);
  long written = 0;
  io::StopSignals signals;  // SIGTERM/SIGUSR1 only set a flag, polled after every snapshot
  for (int r = 0; r < rounds; ++r) {
    const int traj = traj_in(r, group);
    int ticks = 0;
    for (int grp = 0; grp < n_groups; ++grp)
      if (traj_in(r, grp) >= 0) ticks = std::max(ticks, int(nt - start[traj_in(r, grp)]));

    // this group's trajectory: a fresh solver (nothing carries over between trajectories)
    std::unique_ptr<ChannelNSE> nse;
    std::unique_ptr<Sbdf> sbdf;
    const std::string cp = traj >= 0 ? checkpoint_path(p_, traj) : std::string();
    if (traj >= 0) {
      nse = std::make_unique<ChannelNSE>(g, phys, gc.c, flags);
      sbdf = std::make_unique<Sbdf>(*nse, p_.dt, p_.order, p_.startup_substeps);
      if (from_ckpt[traj]) {
        double dt_file = 0.0;
        sbdf->resume(read_checkpoint(cp, *nse, &dt_file));
        IFF_REQUIRE(dt_file == p_.dt, "trajectory checkpoint " << cp << " has dt = " << dt_file);
      } else {
        cvec x = x0;
        if (p_.perturbation > 0) add_random_perturbation(*nse, x, p_.perturbation, trajectory_seed(p_.seed, traj));
        sbdf->start(x, ii.t0, 0);
      }
      ++sum.trajectories_run;
    }
    auto fail = [&](const std::string& why) {
      throw NumericalError(fmt::format("trajectory {}: {} at step {} (t = {:.6g}); {}", traj, why,
                                       sbdf->step_count(), sbdf->time(),
                                       fs::exists(cp) ? "its last checkpoint is " + cp : "no checkpoint yet"));
    };

    for (int j = 0; j < ticks; ++j) {
      const bool active = traj >= 0 && j < nt - start[traj];
      const int s = active ? int(start[traj] + j) : -1;
      // this group's steps and checkpoints, agreed over every rank: a failure in one group (a
      // blow-up, a full disk) ends every rank with its error instead of a hang in the write below
      run_agreed(world_, [&] {
        if (active) {
          const long target = S + long(s) * k;
          while (sbdf->step_count() < target) {
            sbdf->step();
            const auto& d = nse->last_diagnostics();
            if (!std::isfinite(d.kinetic_energy)) fail("non-finite state");
            if (d.cfl_rate * p_.dt > p_.cfl_max)
              fail(fmt::format("CFL {:.3f} above time.cfl_max = {}", d.cfl_rate * p_.dt, p_.cfl_max));
            const long st = sbdf->step_count();
            if (st < S && st % ckpt_steps == 0) write_checkpoint(cp, *nse, sbdf->history(), p_.dt, signature);
          }
          if (!nse->finite(sbdf->state())) fail("non-finite state");
          fine = nse->gather_velocity(sbdf->state());
          if (leader) filter->apply(fine.data(), coarse_field.data(), 3);
          u_tau = std::sqrt(std::max(0.0, nse->wall_shear(sbdf->state())));  // at the DNS resolution (collective)
        }
      });
      // one collective write per file: each group leader its trajectory's snapshot, the rest nothing
      const bool mine = active && leader;
      const std::vector<hsize_t> at = {hsize_t(mine ? traj : 0), hsize_t(mine ? s : 0), 0, 0, 0, 0};
      coarse.file.write_slab("/velocity", at, mine ? cshape : none, coarse_field.data());
      if (p_.keep_full) full.file.write_slab("/velocity", at, mine ? fshape : none, fine.data());
      if (record_wall)
        for (auto* o : outs) write_wall_units(o->file, mine ? s : 0, 1, mine ? traj : 0, mine ? 1 : 0, &u_tau);
      for (auto* o : outs) o->file.flush();
      // the snapshot is on disk: checkpoint (after snapshot 0 and every checkpoint_every), then count it
      run_agreed(world_, [&] {
        if (active && s + 1 < nt && (s == 0 || (s + 1) % p_.checkpoint_every == 0))
          write_checkpoint(cp, *nse, sbdf->history(), p_.dt, signature);
      });
      const std::int64_t done = s + 1;
      for (auto* o : outs) {
        o->file.write_slab_i64("/completed", {hsize_t(mine ? traj : 0)}, {hsize_t(mine ? 1 : 0)}, &done);
        o->file.flush();
      }
      for (int grp = 0; grp < n_groups; ++grp) {
        const int tg = traj_in(r, grp);
        if (tg >= 0 && j < nt - start[tg]) ++written;
      }
      sum.snapshots_written = written;
      progress.update(std::min(written, total),
                      fmt::format("round {}/{} t={:.3f}", r + 1, rounds, active ? sbdf->time() : 0.0));
      if (hook_) hook_(written);
      // a snapshot boundary of every trajectory: a stop signal on any rank ends the job here,
      // each unfinished trajectory checkpointed at the snapshot just counted
      if ((r + 1 < rounds || j + 1 < ticks) && signals.agreed(world_)) {
        if (active && s + 1 < nt) write_checkpoint(cp, *nse, sbdf->history(), p_.dt, signature);
        for (auto* o : outs) o->file.close();
        MPI_Barrier(world_);
        throw Interrupted(fmt::format(
            "dataset: stopped by {} after {} snapshot(s) written by this run; {} and {} hold the state: rerun the same command to resume",
            io::stop_signal_name(io::StopSignals::received()), written, coarse.work_path, traj_dir));
      }
    }
    if (traj >= 0 && leader && fs::exists(cp)) fs::remove(cp);
  }

  // ---- every trajectory complete: the series take their final names
  for (auto* o : outs) o->file.close();
  MPI_Barrier(world_);
  if (wrank == 0) {
    // the coarse set last: while it has its partial name the run is unfinished
    for (auto it = outs.rbegin(); it != outs.rend(); ++it) fs::rename((*it)->work_path, (*it)->final_path);
    fs::remove_all(traj_dir);  // (a job killed just after finishing a trajectory leaves its checkpoint)
  }
  MPI_Barrier(world_);
  write_xdmf();
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  log::info("dataset: done, {} snapshots written in {} -> {}{}", written, format_duration(sum.wall_seconds),
            coarse.final_path, p_.keep_full ? " and " + full.final_path : std::string());
  return sum;
}

}  // namespace iff::solvers
