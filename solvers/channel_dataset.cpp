#include "solvers/channel_dataset.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/error.hpp"
#include "io/h5.hpp"
#include "io/log.hpp"
#include "io/series.hpp"
#include "io/stop_signal.hpp"
#include "solvers/dataset_outputs.hpp"
#include "solvers/dataset_trajectory.hpp"
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
  p.filter = f.get_enum("kind", p.filter, kFilterKindNames, "x-z filter: sharp (spectral cut-off at the coarse grid), box (top-hat) or gaussian");
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

/// The world communicator's split into groups of dataset.ranks_per_trajectory ranks (0: all
/// ranks in one group); world rank w is in group w / ranks.
struct GroupLayout {
  int ranks = 0;  ///< per group
  int count = 0;  ///< groups
  int index = 0;  ///< this rank's group
  GroupLayout(int ranks_per_trajectory, MPI_Comm world) {
    const int wsize = comm_size(world);
    ranks = ranks_per_trajectory == 0 ? wsize : ranks_per_trajectory;
    IFF_REQUIRE(wsize % ranks == 0, "dataset.ranks_per_trajectory = " << ranks << " does not divide the " << wsize
                                                                      << " MPI ranks");
    count = wsize / ranks, index = comm_rank(world) / ranks;
  }
};

/// The shared time axis: snapshot s at t_s = t0 + (S + s·k)·dt.
std::vector<double> snapshot_times(const DatasetParams& p, double t0) {
  const long S = p.spinup_steps();
  std::vector<double> times(p.n_time);
  for (int s = 0; s < p.n_time; ++s) times[s] = t0 + double(S + long(s) * p.snapshot_every) * p.dt;
  return times;
}

/// The DNS grid filtered onto the coarse one (filter.*).
FilterSpec filter_spec(const DatasetParams& p) {
  const auto& g = p.grid;
  FilterSpec spec;
  spec.nx = g.nx, spec.ny = g.ny, spec.nz = g.nz;
  spec.NX = p.NX, spec.NY = p.NY, spec.NZ = p.NZ;
  spec.lx = g.lx, spec.lz = g.lz;
  spec.kind = p.filter;
  spec.width_ratio = p.width_ratio;
  return spec;
}

/// Which trajectories this run still advances, from which snapshot, in which round: every
/// rank derives the same plan from rank 0's view of the disk (/completed and the trajectory
/// checkpoints); the pending trajectories are dealt to the groups round-robin in index order.
class TrajectoryPlan {
 public:
  TrajectoryPlan(const DatasetParams& p, const std::string& signature, const std::vector<std::int64_t>& on_disk,
                 const std::string& traj_dir, int n_groups, MPI_Comm world)
      : nt_(p.n_time), n_groups_(n_groups), start_(p.n_traj, 0), from_ckpt_(p.n_traj, 0) {
    if (comm_rank(world) == 0) read_disk(p, signature, on_disk, traj_dir);
    MPI_Bcast(start_.data(), p.n_traj, MPI_INT64_T, 0, world);
    MPI_Bcast(from_ckpt_.data(), p.n_traj, MPI_INT64_T, 0, world);
    for (int i = 0; i < p.n_traj; ++i) {
      on_disk_total_ += std::min<std::int64_t>(on_disk[i], nt_);
      if (start_[i] < nt_) pending_.push_back(i), total_ += nt_ - start_[i];
    }
    rounds_ = (n_pending() + n_groups_ - 1) / n_groups_;
  }

  int rounds() const { return rounds_; }
  int n_pending() const { return int(pending_.size()); }
  long total() const { return total_; }  ///< snapshots this run writes
  long on_disk_total() const { return on_disk_total_; }
  long from_checkpoints() const { return long(std::count(from_ckpt_.begin(), from_ckpt_.end(), 1)); }
  /// Trajectory of group `grp` in round `round` (-1: none).
  int trajectory(int round, int grp) const {
    const int q = round * n_groups_ + grp;
    return q < n_pending() ? pending_[q] : -1;
  }
  bool has_work(int grp) const {
    for (int r = 0; r < rounds_; ++r)
      if (trajectory(r, grp) >= 0) return true;
    return false;
  }
  int first_snapshot(int traj) const { return int(start_[traj]); }
  bool from_checkpoint(int traj) const { return from_ckpt_[traj] != 0; }
  /// Snapshots trajectory `traj` takes in this run.
  int remaining(int traj) const { return int(nt_ - start_[traj]); }
  /// Snapshot writes of round `round`: the most any of its trajectories takes.
  int ticks(int round) const {
    int ticks = 0;
    for (int grp = 0; grp < n_groups_; ++grp)
      if (trajectory(round, grp) >= 0) ticks = std::max(ticks, remaining(trajectory(round, grp)));
    return ticks;
  }
  /// Snapshots written at write `j` of round `round`: one per trajectory still taking one.
  int snapshots_at(int round, int j) const {
    int n = 0;
    for (int grp = 0; grp < n_groups_; ++grp)
      if (trajectory(round, grp) >= 0 && j < remaining(trajectory(round, grp))) ++n;
    return n;
  }

 private:
  /// Rank 0: the finished trajectories and those with a checkpoint of this case.
  void read_disk(const DatasetParams& p, const std::string& signature, const std::vector<std::int64_t>& on_disk,
                 const std::string& traj_dir) {
    for (int i = 0; i < p.n_traj; ++i) {
      if (on_disk[i] >= nt_) {
        start_[i] = nt_;
        continue;
      }
      const std::string cp = DatasetTrajectory::checkpoint_path(p, i);
      if (!fs::exists(cp)) continue;
      auto f = h5::File::open(cp);
      IFF_REQUIRE(f.has_attr("/", "config") && f.attr_string("/", "config") == signature,
                  "trajectory checkpoint " << cp << " belongs to another case; remove " << traj_dir
                                           << " or set output.overwrite: true");
      start_[i] = ChannelDataset::snapshots_at(long(f.attr_int("/", "step")), p.spinup_steps(), p.snapshot_every);
      IFF_CHECK(start_[i] < nt_, "checkpoint " << cp << " is past the last snapshot");
      from_ckpt_[i] = 1;
    }
  }

  int nt_, n_groups_;
  std::vector<std::int64_t> start_, from_ckpt_;  ///< first snapshot of this run; 1: from a checkpoint
  std::vector<int> pending_;                     ///< trajectories with snapshots to take, in index order
  long total_ = 0, on_disk_total_ = 0;
  int rounds_ = 0;
};

void log_plan(const DatasetParams& p, const InitialInfo& ii, const TrajectoryPlan& plan, const GroupLayout& groups,
              bool resume) {
  const auto& g = p.grid;
  const int k = p.snapshot_every;
  log::info("dataset: {} trajectories x {} snapshots every {} steps (dt = {}, {} time units) after a {}-step "
            "spin-up; DNS {}x{}x{} -> {}x{}x{} ({}); {} group(s) of {} rank(s)",
            p.n_traj, p.n_time, k, p.dt, k * p.dt, p.spinup_steps(), g.nx, g.ny, g.nz, p.NX, p.NY, p.NZ,
            to_string(p.filter), groups.count, groups.ranks);
  log::info("dataset: from {} ({}, t0 = {}); {}", p.initial_file, ii.checkpoint ? "checkpoint" : "series snapshot",
            ii.t0,
            resume ? fmt::format("resuming: {} snapshots on disk, {} trajectories from checkpoints, {} to write",
                                 plan.on_disk_total(), plan.from_checkpoints(), plan.total())
                   : fmt::format("{} snapshots to write", plan.total()));
  const int n_pending = plan.n_pending();
  if (groups.count > n_pending && n_pending > 0)
    log::warn("dataset: {} groups for {} pending trajectories: {} group(s) idle", groups.count, n_pending,
              groups.count - n_pending);
}

/// The initial field u0 on a group's communicator: the checkpoint's state, or the series
/// snapshot (read on the group leader) interpolated spectrally onto the DNS grid. Collective
/// over the group.
cvec initial_field(const DatasetParams& p, const InitialInfo& ii, MPI_Comm group) {
  ChannelNSE nse0(p.grid, p.physics.channel(), group, fftw_flags(p.fftw_planner));
  cvec x0;
  if (ii.checkpoint) {
    double dt_file = 0.0;
    x0 = read_checkpoint(p.initial_file, nse0, &dt_file).x.front();
    return x0;
  }
  std::vector<double> field;
  int dims[3] = {0, 0, 0};
  if (comm_rank(group) == 0) {
    SeriesReader r(p.initial_file);
    field = r.read_velocity(p.initial_trajectory, ii.time_index);
    dims[0] = r.meta().nx(), dims[1] = r.meta().ny(), dims[2] = r.meta().nz();
  }
  MPI_Bcast(dims, 3, MPI_INT, 0, group);
  state_from_physical(nse0, field, dims[0], dims[1], dims[2], x0);
  return x0;
}

/// A group's part of the ensemble: its communicator, the initial field its trajectories
/// start from, and on its leader the filter and the coarse snapshot's buffer. Collective.
struct TrajectoryGroup {
  TrajectoryGroup(const DatasetParams& p, const InitialInfo& ii, const FilterSpec& spec, int index, bool has_work,
                  std::size_t coarse_size, MPI_Comm world) {
    MPI_Comm_split(world, index, comm_rank(world), &comm.c);
    leader = comm_rank(comm.c) == 0;
    if (has_work) x0 = initial_field(p, ii, comm.c);
    if (leader && has_work) filter = std::make_unique<ChannelFilter>(spec);
    snap.coarse.resize(leader ? coarse_size : 0);
  }

  CommGuard comm;
  bool leader = false;
  cvec x0;
  std::unique_ptr<ChannelFilter> filter;
  GroupSnapshot snap;
};

/// The run's rounds: in each, every group runs one trajectory, snapshot by snapshot, every
/// snapshot followed by one collective write of every rank, the trajectory checkpoints, the
/// count in /completed, the progress line and the stop-signal poll.
class DatasetRounds {
 public:
  DatasetRounds(const DatasetParams& p, const std::string& signature, const InitialInfo& ii,
                const TrajectoryPlan& plan, int group_index, TrajectoryGroup& group, DatasetOutputs& outputs,
                const ChannelDataset::SnapshotHook& hook, MPI_Comm world)
      : p_(p), signature_(signature), ii_(ii), plan_(plan), index_(group_index), group_(group), outputs_(outputs),
        hook_(hook), world_(world), progress_("dataset", std::max(plan.total(), 1L), p.progress_seconds) {}

  void run(DatasetSummary& sum) {
    io::StopSignals signals;  // SIGTERM/SIGUSR1 only set a flag, polled after every snapshot
    for (int r = 0; r < plan_.rounds(); ++r) round(r, signals, sum);
  }
  long written() const { return written_; }

 private:
  void round(int r, const io::StopSignals& signals, DatasetSummary& sum) {
    const int traj = plan_.trajectory(r, index_);
    const int ticks = plan_.ticks(r);
    std::optional<DatasetTrajectory> t;  // this group's trajectory: a fresh solver
    if (traj >= 0) {
      t.emplace(p_, traj, signature_, group_.x0, ii_.t0, plan_.from_checkpoint(traj), group_.comm.c);
      ++sum.trajectories_run;
    }
    for (int j = 0; j < ticks; ++j) {
      const bool active = traj >= 0 && j < plan_.remaining(traj);
      const int s = active ? plan_.first_snapshot(traj) + j : -1;
      // this group's steps and checkpoints, agreed over every rank: a failure in one group (a
      // blow-up, a full disk) ends every rank with its error instead of a hang in the write below
      run_agreed(world_, [&] {
        if (active) t->advance_to(s, group_.filter.get(), group_.snap);
      });
      const SnapshotBlock b{active && group_.leader, traj, s, group_.snap.coarse.data(), group_.snap.fine.data(),
                            &group_.snap.u_tau};
      outputs_.write(b);
      // the snapshot is on disk: checkpoint (after snapshot 0 and every checkpoint_every), then count it
      run_agreed(world_, [&] {
        if (active && s + 1 < p_.n_time && (s == 0 || (s + 1) % p_.checkpoint_every == 0)) t->checkpoint();
      });
      outputs_.count(b);
      written_ += plan_.snapshots_at(r, j);
      sum.snapshots_written = written_;
      progress_.update(std::min(written_, plan_.total()),
                       fmt::format("round {}/{} t={:.3f}", r + 1, plan_.rounds(), active ? t->time() : 0.0));
      if (hook_) hook_(written_);
      // a snapshot boundary of every trajectory: a stop signal on any rank ends the job here,
      // each unfinished trajectory checkpointed at the snapshot just counted
      if ((r + 1 < plan_.rounds() || j + 1 < ticks) && signals.agreed(world_))
        stop(active && s + 1 < p_.n_time ? &*t : nullptr);
    }
    if (t && group_.leader) t->remove_checkpoint();
  }

  [[noreturn]] void stop(DatasetTrajectory* unfinished) {
    if (unfinished) unfinished->checkpoint();
    outputs_.close();
    throw Interrupted(fmt::format(
        "dataset: stopped by {} after {} snapshot(s) written by this run; {} and {} hold the state: rerun the same "
        "command to resume",
        io::stop_signal_name(io::StopSignals::received()), written_, outputs_.work_path(), outputs_.trajectory_dir()));
  }

  const DatasetParams& p_;
  const std::string& signature_;
  const InitialInfo& ii_;
  const TrajectoryPlan& plan_;
  int index_;
  TrajectoryGroup& group_;
  DatasetOutputs& outputs_;
  const ChannelDataset::SnapshotHook& hook_;
  MPI_Comm world_;
  Progress progress_;
  long written_ = 0;
};

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
  const GroupLayout groups(p_.ranks_per_trajectory, world_);
  const InitialInfo ii = inspect_initial(p_);
  const std::string signature = make_signature(p_, ii);

  // the outputs: a finished data set of this case, or an unfinished one resumed, or new ones
  DatasetOutputs outputs(p_, signature, world_);
  if (outputs.finished()) {
    sum.already_complete = true;
    return sum;
  }
  const FilterSpec spec = filter_spec(p_);
  outputs.open(snapshot_times(p_, ii.t0), spec.describe());
  const TrajectoryPlan plan(p_, signature, outputs.completed(), outputs.trajectory_dir(), groups.count, world_);
  log_plan(p_, ii, plan, groups, outputs.resumed());

  TrajectoryGroup group(p_, ii, spec, groups.index, plan.has_work(groups.index), outputs.coarse_snapshot_size(),
                        world_);
  DatasetRounds rounds(p_, signature, ii, plan, groups.index, group, outputs, hook_, world_);
  rounds.run(sum);

  // every trajectory complete: the series take their final names
  outputs.finish();
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  log::info("dataset: done, {} snapshots written in {} -> {}", rounds.written(), format_duration(sum.wall_seconds),
            outputs.final_paths());
  return sum;
}

}  // namespace iff::solvers
