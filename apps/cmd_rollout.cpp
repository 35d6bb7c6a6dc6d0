// ifactflow rollout CASE.yaml [--set key=value ...] [--resume]: autoregressive rollout of a
// trained operator, or of an LES/DNS case, from snapshots of a series, initial states shared
// out over MPI ranks.
//
// Case keys (section rollout): checkpoint (a trained operator) or solver (an LES or DNS case
// file, advanced one snapshot interval per step: solvers/channel_solver_stepper.hpp; its
// snapshots equal those `ifactflow dns` of that case writes from the same initial snapshot,
// and the prediction is stored in its output.snapshot_dtype), series (initial states and reference), initial
// (held_out | all | list), states ([[trajectory, time index], ...] for list), steps,
// energy_band, batch (trajectories per model call; 1, the default, makes every trajectory's
// prediction independent of the rank count and of the other trajectories, bit for bit —
// operators/operator_stepper.hpp), device, dtype (checkpoint | float32 | float64), threads.
// Section output: dir, series_every, series_buffer
// (snapshots written and flushed together, default 10: a killed run loses at most that
// many less one), vtk_every, vtk_trajectories, stats_start, spectra_y_plus, progress_seconds.
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
// bit for bit (same rank count; with rollout.batch 1 any rank count). Without --resume an
// unfinished output is refused. Testing hooks (apps/test_hooks.hpp): IFF_ROLLOUT_KILL_AFTER=N,
// IFF_ROLLOUT_SIGNAL_AFTER=N (after step N).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "analysis/field_errors.hpp"
#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "analysis/field_measures.hpp"
#include "apps/test_hooks.hpp"
#include "io/agreed.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/memory.hpp"
#include "io/partition.hpp"
#include "io/run_cost.hpp"
#include "io/run_lock.hpp"
#include "io/series.hpp"
#include "io/stop_signal.hpp"
#include "io/vtk.hpp"
#include "operators/operator_stepper.hpp"
#include "rollout/engine.hpp"
#include "solvers/channel_solver_stepper.hpp"
#include "spectral/velocity_gradient.hpp"

namespace iff::app {

namespace {

using rollout::Field;
using rollout::Trajectory;

struct RolloutCase {
  rollout::RolloutParams engine;
  operators::OperatorStepperOptions stepper;
  std::string solver;  // LES/DNS case advanced by the rollout instead of an operator
  std::string series;
  std::string initial = "held_out";
  std::vector<std::vector<int>> states;
  std::string dir = "out/rollout";
  int series_every = 1, series_buffer = 10, vtk_every = 10, vtk_trajectories = 1, stats_start = 0;
  std::vector<double> spectra_y_plus = {5, 15, 30, 100};

  static RolloutCase from(const Config& cfg) {
    RolloutCase c;
    auto r = cfg.section("rollout");
    c.stepper.checkpoint = r.get<std::string>("checkpoint", "");
    c.solver = r.get<std::string>("solver", "");
    IFF_CHECK_AS(ConfigError, c.stepper.checkpoint.empty() != c.solver.empty(),
                 "rollout in " << cfg.path() << ": give either rollout.checkpoint (a trained operator) or rollout.solver "
                               "(an LES/DNS case), not " << (c.solver.empty() ? "neither" : "both"));
    c.series = r.require<std::string>("series");
    c.initial = r.get_choice("initial", c.initial, {"held_out", "all", "list"});
    if (c.initial == "list") {
      const auto flat = r.require<std::vector<int>>("states");
      IFF_CHECK_AS(ConfigError, flat.size() % 2 == 0 && !flat.empty(),
                   "rollout.states in " << cfg.path() << ": expected [traj, time, traj, time, ...]");
      for (std::size_t i = 0; i < flat.size(); i += 2) c.states.push_back({flat[i], flat[i + 1]});
    }
    c.engine.steps = r.get_in<int>("steps", 100, 0, 1 << 24);
    c.engine.energy_band = r.get_in<double>("energy_band", 10.0, 0.0, 1e12);
    c.engine.batch = r.get_in<int>("batch", 1, 1, 4096);
    c.stepper.device = r.get_choice("device", "cpu", {"cpu", "cuda"});
    c.stepper.dtype = r.get_choice("dtype", c.stepper.dtype, {"checkpoint", "float32", "float64"});
    c.stepper.threads = r.get_in<int>("threads", 1, 0, 1024);
    auto o = cfg.section("output");
    c.dir = o.get<std::string>("dir", c.dir);
    c.series_every = o.get_in<int>("series_every", 1, 1, 1 << 24);
    c.series_buffer = o.get_in<int>("series_buffer", 10, 1, 1 << 16);
    c.vtk_every = o.get_in<int>("vtk_every", 10, 0, 1 << 24);
    c.vtk_trajectories = o.get_in<int>("vtk_trajectories", 1, 0, 1 << 20);
    c.stats_start = o.get_in<int>("stats_start", 0, 0, 1 << 24);
    c.spectra_y_plus = o.get<std::vector<double>>("spectra_y_plus", c.spectra_y_plus);
    c.engine.progress_seconds = o.get_in<double>("progress_seconds", 5.0, 0.0, 1e6);
    return c;
  }
};

/// Adds the wall-clock spent in advance() (the model itself) to `seconds`.
class TimedStepper : public rollout::Stepper {
 public:
  TimedStepper(rollout::Stepper& inner, double& seconds) : inner_(inner), seconds_(seconds) {}
  int window() const override { return inner_.window(); }
  void advance(const std::vector<int>& ids, const std::vector<std::vector<const Field*>>& history,
               std::vector<Field>& next) override {
    const double t0 = MPI_Wtime();
    inner_.advance(ids, history, next);
    seconds_ += MPI_Wtime() - t0;
  }
  std::string describe() const override { return inner_.describe(); }

 private:
  rollout::Stepper& inner_;
  double& seconds_;
};

/// Rank 0: every rank's `mine` concatenated in rank order (collective; "" elsewhere).
std::string gather_text(const std::string& mine, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(size), offs(size, 0);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm);
  std::string all;
  if (rank == 0) {
    for (int r = 1; r < size; ++r) offs[r] = offs[r - 1] + lens[r - 1];
    all.resize(offs.back() + lens.back());
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offs.data(), MPI_CHAR, 0, comm);
  return all;
}

/// (step, trajectory) of a rollout.csv row.
std::pair<long, long> row_key(const std::string& line) {
  const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
  return {std::stol(line.substr(0, c1)), std::stol(line.substr(c2 + 1, c3 - c2 - 1))};
}

/// What rollout.state.h5 holds besides the trajectories' windows (read on every rank).
struct SavedRollout {
  int step = 0, steps = 0, n = 0, window = 0;
  std::string signature;
  double wall = 0, model = 0, output = 0;  // cost of the earlier runs, to that step
  std::vector<double> completed, alive, initial_energy;
};

SavedRollout read_saved(const std::string& path) {
  auto f = h5::File::open(path);
  IFF_REQUIRE(f.has_attr("/", "format") && f.attr_string("/", "format") == "ifactflow-rollout-state",
              path << " is not an ifactflow rollout state");
  SavedRollout s;
  s.step = int(f.attr_int("/", "step"));
  s.steps = int(f.attr_int("/", "steps"));
  s.n = int(f.attr_int("/", "n_traj"));
  s.window = int(f.attr_int("/", "window"));
  s.signature = f.attr_string("/", "config");
  s.wall = f.attr_double("/", "wall_seconds");
  s.model = f.attr_double("/", "step_seconds");
  s.output = f.attr_double("/", "output_seconds");
  s.completed = f.read_vector("/completed");
  s.alive = f.read_vector("/alive");
  s.initial_energy = f.read_vector("/initial_energy");
  return s;
}

/// What advances the rollout, with what the command checks it against: a trained operator
/// (rollout.checkpoint) or an LES/DNS case (rollout.solver).
struct StepperSource {
  std::unique_ptr<rollout::Stepper> stepper;
  std::string what;            // for messages: "checkpoint FILE" or "solver case FILE"
  std::vector<int> grid;       // nx, ny, nz
  std::vector<double> box;     // lx, lz (0, 0: unknown)
  std::string kind;            // model kind for cost.csv
  bool solver = false;
  std::optional<h5::DType> dtype;  // the prediction's dtype (a solver case's snapshot_dtype)
};

StepperSource stepper_source(const RolloutCase& c, bool has_interval) {
  StepperSource s;
  if (c.solver.empty()) {
    s.what = "checkpoint " + c.stepper.checkpoint;
    s.grid = operators::checkpoint_grid(c.stepper.checkpoint);
    s.box = operators::checkpoint_box(c.stepper.checkpoint);
    s.kind = operators::checkpoint_model_kind(c.stepper.checkpoint);
    s.stepper = operators::make_operator_stepper(c.stepper);
    return s;
  }
  auto scfg = Config::load(c.solver, {});
  auto p = solvers::DnsParams::from(scfg);
  scfg.reject_unknown();
  IFF_REQUIRE(has_interval, "rollout.solver needs a series with at least two snapshots (their interval is the step)");
  s.what = "solver case " + c.solver;
  s.grid = {p.grid.nx, p.grid.ny, p.grid.nz};
  s.box = {p.grid.lx, p.grid.lz};
  s.solver = true;
  s.dtype = p.output.snapshot_dtype == "f64" ? h5::DType::f64 : h5::DType::f32;
  auto stepper = std::make_unique<solvers::ChannelSolverStepper>(p, c.engine.dt);
  s.kind = stepper->kind();
  s.stepper = std::move(stepper);
  return s;
}

void run_rollout(const std::string& case_file, const std::vector<std::string>& overrides, bool resume,
                 const Context& ctx) {
  namespace fs = std::filesystem;
  auto cfg = Config::load(case_file, overrides);
  auto c = RolloutCase::from(cfg);
  cfg.reject_unknown();
  const TestHooks hooks("ROLLOUT");
  FolderLock lock(c.dir, ctx.command_line, ctx.comm);
  const std::string pred_path = c.dir + "/prediction.h5", state_path = c.dir + "/rollout.state.h5";
  const std::string signature = cfg.resolved_yaml();
  // an unfinished rollout in the folder: continued with --resume, refused without
  std::optional<SavedRollout> saved;
  if (fs::exists(state_path)) {
    saved = read_saved(state_path);
    IFF_REQUIRE(resume, c.dir << " holds an unfinished rollout (" << saved->step << " of " << saved->steps
                              << " steps, " << state_path << "): rerun with --resume to continue it, or remove "
                              << state_path << " to start again");
    IFF_REQUIRE(saved->signature == signature,
                state_path << " was written for another case (its resolved configuration differs from "
                           << case_file << "): remove it to start again");
    IFF_REQUIRE(fs::exists(pred_path), state_path << " has no " << pred_path << ": remove it to start again");
  } else if (resume) {
    log::info("rollout --resume: no unfinished rollout in {}; starting from step 0", c.dir);
  }

  SeriesReader ref(c.series);
  const SeriesMeta& m = ref.meta();
  IFF_REQUIRE(ref.n_time() > 0, "series " << c.series << " holds no snapshot");
  c.engine.dt = ref.n_time() > 1 ? ref.times()[1] - ref.times()[0] : 1.0;
  StepperSource src = stepper_source(c, ref.n_time() > 1);
  const auto& grid = src.grid;
  IFF_REQUIRE(grid[0] == m.nx() && grid[1] == m.ny() && grid[2] == m.nz(),
              src.what << " is for a " << grid[0] << "x" << grid[1] << "x" << grid[2] << " grid, series " << c.series
                       << " is " << m.nx() << "x" << m.ny() << "x" << m.nz());
  {
    // the positional features were made for the checkpoint's box (a solver's case has its
    // own): another box is another flow
    const auto& box = src.box;
    const double lx = m.lx > 0 ? m.lx : m.x.back() + (m.nx() > 1 ? m.x[1] - m.x[0] : 1.0);
    const double lz = m.lz > 0 ? m.lz : m.z.back() + (m.nz() > 1 ? m.z[1] - m.z[0] : 1.0);
    auto differs = [](double a, double b) { return std::abs(a - b) > 1e-9 * std::max(std::abs(a), std::abs(b)); };
    IFF_REQUIRE(!(box[0] > 0 && box[1] > 0) || (!differs(box[0], lx) && !differs(box[1], lz)),
                src.what << " is for a box " << box[0] << " x 2 x " << box[1] << ", series " << c.series << " is " << lx
                         << " x 2 x " << lz);
  }
  std::unique_ptr<rollout::Stepper> stepper = std::move(src.stepper);
  const int window = stepper->window();

  // initial states: (trajectory, time index) pairs
  std::vector<std::vector<int>> starts = c.states;
  if (c.initial != "list") {
    IFF_CHECK_AS(ConfigError, c.initial == "all" || c.solver.empty(),
                 "rollout.initial: held_out names the trajectories a checkpoint's training held out; with rollout.solver "
                 "give initial: all or list");
    const int val = c.initial == "all" ? m.n_traj
                                       : operators::checkpoint_validation_trajectories(c.stepper.checkpoint, m.n_traj);
    IFF_REQUIRE(val > 0, "checkpoint " << c.stepper.checkpoint << " held out no trajectory of " << c.series
                                       << "; set rollout.initial to all or list");
    for (int t = m.n_traj - val; t < m.n_traj; ++t) starts.push_back({t, window - 1});
  }
  for (const auto& s : starts)
    IFF_REQUIRE(s[0] >= 0 && s[0] < m.n_traj && s[1] >= window - 1 && s[1] < ref.n_time(),
                "rollout initial state (trajectory " << s[0] << ", time index " << s[1] << ") is not in " << c.series
                                                     << " (with a window of " << window << ")");
  const int n = static_cast<int>(starts.size());
  const auto [first, last] = share_range(n, ctx.rank, ctx.size);
  {
    // memory before the states are read: the stepper's call and, per trajectory on the rank,
    // its window, the next state and output.series_buffer buffered snapshots (float64)
    const int mine = last - first, per_call = std::max(1, std::min(c.engine.batch, mine));
    std::string how;
    const double call = stepper->memory_bytes(per_call, &how);
    const double states = double(mine) * (window + 1 + c.series_buffer) * m.snapshot_size() * 8;
    require_memory(call + states,
                   fmt::format("rolling out {} trajectory(ies) per rank on {}x{}x{}", mine, m.nx(), m.ny(), m.nz()),
                   (how.empty() ? std::string() : how + "; ") +
                       fmt::format("{} float64 states per trajectory", window + 1 + c.series_buffer),
                   ctx.comm);
  }
  std::vector<Trajectory> local;
  for (int i = first; i < last; ++i) {
    Trajectory t;
    t.id = i;
    t.label = fmt::format("series trajectory {}, time index {}", starts[i][0], starts[i][1]);
    t.t0 = ref.times()[starts[i][1]];
    for (int w = window - 1; w >= 0; --w) t.history.push_back(ref.read_velocity(starts[i][0], starts[i][1] - w));
    local.push_back(std::move(t));
  }
  if (saved) {
    // each trajectory as it was at the saved step: its input window (float64), progress,
    // the band's reference energy and why it stopped, if it did
    IFF_REQUIRE(saved->n == n && saved->window == window,
                state_path << " holds " << saved->n << " trajectories with a window of " << saved->window
                           << ", the case has " << n << " with " << window);
    auto f = h5::File::open(state_path);
    const hsize_t snap = m.snapshot_size();
    for (auto& t : local) {
      for (int w = 0; w < window; ++w)
        f.read_slab("/history", {hsize_t(t.id), hsize_t(w), 0}, {1, 1, snap}, t.history[w].data());
      t.completed = int(saved->completed[t.id]);
      t.alive = saved->alive[t.id] != 0;
      t.initial_energy = saved->initial_energy[t.id];
      const std::string key = "stop_reason_" + std::to_string(t.id);
      if (f.has_attr("/", key)) t.stop_reason = f.attr_string("/", key);
    }
    c.engine.first_step = saved->step;
    log::info("rollout: resuming {} at step {} of {}", c.dir, saved->step, c.engine.steps);
  }
  std::vector<double> t0_all(n);
  for (int i = 0; i < n; ++i) t0_all[i] = ref.times()[starts[i][1]];

  ensure_directory(c.dir);
  ensure_directory(c.dir + "/vtk");
  run_agreed(ctx.comm, [&] {
    if (ctx.rank == 0) cfg.write_resolved(c.dir + "/config.resolved.yaml");
  });
  log::info("rollout: {} initial states over {} ranks, {} steps of dt = {:.6g}, {}", n, ctx.size, c.engine.steps,
            c.engine.dt, stepper->describe());

  SeriesMeta pm = m;
  pm.kind = "prediction";
  pm.n_traj = n;
  pm.has_pressure = false;
  pm.model = stepper->describe();
  if (src.dtype) pm.dtype = *src.dtype;
  pm.config = cfg.resolved_yaml();
  pm.git_commit = git_commit();
  // wall units: the reference's records at the reference snapshot each prediction snapshot
  // corresponds to (NaN past its end), so that statistics of the prediction use the parent
  // run's wall units
  const std::vector<double> ref_wall = ref.wall_u_tau();
  if (!pm.wall)
    log::info("rollout: {} records no wall units; prediction.h5 records none (its statistics use its own wall shear)",
              c.series);
  std::unique_ptr<SeriesWriter> out_ptr;
  if (saved) {
    // the snapshots up to the saved step, copied into a fresh file (a kill during a write can
    // leave the file's metadata unextendable)
    out_ptr = std::make_unique<SeriesWriter>(SeriesWriter::resume(
        pred_path, saved->step / c.series_every + 1, {"/initial_time", "/completed_steps", "/rollout_progress"},
        ctx.comm));
  } else {
    out_ptr = std::make_unique<SeriesWriter>(pred_path, pm, ctx.comm, WriteMode::in_place);
    out_ptr->write_record("/initial_time", t0_all);
    out_ptr->write_record("/completed_steps", std::vector<double>(n, 0.0));
    out_ptr->write_record("/rollout_progress", {0.0, double(c.engine.steps)});
  }
  SeriesWriter& out = *out_ptr;
  auto reference_u_tau = [&](int id, int step) {
    const int ti = starts[id][1] + step;
    return ti < ref.n_time() ? ref_wall[std::size_t(starts[id][0]) * ref.n_time() + ti]
                             : std::numeric_limits<double>::quiet_NaN();
  };

  const analysis::FieldMeasures measures(m);
  auto energy = [&](const Field& u) { return measures.kinetic_energy(u.data()); };
  spectral::VelocityGradient grad(m.nx(), m.ny(), m.nz(), m.lx, m.lz);
  std::map<int, std::unique_ptr<PvdCollection>> pvd;
  if (saved && c.vtk_every > 0)
    for (const auto& t : local) {  // the collection's entries up to the saved step
      if (t.id >= c.vtk_trajectories) continue;
      auto& coll = pvd[t.id];
      coll = std::make_unique<PvdCollection>(fmt::format("{}/vtk/rollout_traj{}.pvd", c.dir, t.id));
      for (int step = 0; step <= t.completed; step += c.vtk_every)
        coll->add(t.t0 + step * c.engine.dt, fmt::format("traj{}_step{:06d}.vtr", t.id, step));
    }
  std::ostringstream rows;  // this rank's rows since the last save
  rows.precision(10);
  // rank 0: every row saved so far (a resume: rollout.csv's rows up to the saved step)
  std::vector<std::pair<std::pair<long, long>, std::string>> csv_rows;
  if (saved && ctx.rank == 0) {
    std::ifstream in(c.dir + "/rollout.csv");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line))
      if (!line.empty() && row_key(line).first <= saved->step) csv_rows.push_back({row_key(line), line});
  }
  // the reference snapshot of (trajectory, step), read once: the energy band and the
  // observer both ask for it at the same step
  std::map<int, std::pair<int, std::optional<Field>>> reference_cache;
  auto reference_at = [&](int id, int step) -> const std::optional<Field>& {
    auto& [cached_step, field] = reference_cache.try_emplace(id, -1, std::nullopt).first->second;
    if (cached_step != step) {
      const int ti = starts[id][1] + step;
      field = ti < ref.n_time() ? std::optional<Field>(ref.read_velocity(starts[id][0], ti)) : std::nullopt;
      cached_step = step;
    }
    return field;
  };

  // Series snapshots are buffered and written output.series_buffer at a time: one
  // collective transfer, one extension of the time axis and one flush for all of them.
  struct SeriesRun {
    int first_id = 0, count = 0;
    std::vector<double> states;  // [count][nx][ny][nz][3]
  };
  struct SeriesStep {
    int ti = 0;
    double time = 0.0;
    std::vector<SeriesRun> runs;
  };
  auto same_runs = [](const SeriesStep& a, const SeriesStep& b) {
    if (a.runs.size() != b.runs.size()) return false;
    for (std::size_t k = 0; k < a.runs.size(); ++k)
      if (a.runs[k].first_id != b.runs[k].first_id || a.runs[k].count != b.runs[k].count) return false;
    return true;
  };
  std::vector<SeriesStep> pending;
  // collective: every rank takes part in as many writes as the rank with the most runs
  // (with empty blocks); a run's block is [count][steps][snapshot], the file's order
  auto write_pending = [&] {
    if (pending.empty()) return;
    std::vector<double> times;
    for (const auto& p : pending) times.push_back(p.time);
    const auto& shape = pending.front().runs;
    int n_runs = static_cast<int>(shape.size()), max_runs = 0;
    MPI_Allreduce(&n_runs, &max_runs, 1, MPI_INT, MPI_MAX, ctx.comm);
    const std::size_t snap = m.snapshot_size();
    std::vector<double> block, wall;
    const int nt = static_cast<int>(pending.size());
    for (int k = 0; k < max_runs; ++k) {
      if (k >= n_runs) {
        out.write_times(pending.front().ti, times, SeriesBlock{}, nullptr);
        if (pm.wall) out.write_wall_units(pending.front().ti, nt, SeriesBlock{}, nullptr);
        continue;
      }
      const int count = shape[k].count;
      block.resize(static_cast<std::size_t>(count) * pending.size() * snap);
      for (int j = 0; j < count; ++j)
        for (std::size_t s = 0; s < pending.size(); ++s)
          std::copy_n(pending[s].runs[k].states.begin() + j * snap, snap,
                      block.begin() + (static_cast<std::size_t>(j) * pending.size() + s) * snap);
      out.write_times(pending.front().ti, times, SeriesBlock{shape[k].first_id, count, 0, m.nx()}, block.data());
      if (pm.wall) {
        wall.resize(static_cast<std::size_t>(count) * nt);
        for (int j = 0; j < count; ++j)
          for (int q = 0; q < nt; ++q)
            wall[std::size_t(j) * nt + q] = reference_u_tau(shape[k].first_id + j, pending[q].ti * c.series_every);
        out.write_wall_units(pending.front().ti, nt, SeriesBlock{shape[k].first_id, count, 0, m.nx()}, wall.data());
      }
    }
    pending.clear();
  };

  double step_seconds = 0.0, output_seconds = 0.0, loop_start = 0.0;
  // the cost of the time loop up to `steps` steps, earlier runs of a resumed rollout included:
  // wall-clock of the slowest rank (every rank steps in lockstep); phases: the mean over
  // ranks, the rest (errors, energies, waiting for other ranks) is analysis. Collective.
  auto cost_to = [&](int steps) {
    double mine[3] = {MPI_Wtime() - loop_start, step_seconds / ctx.size, output_seconds / ctx.size}, worst[3];
    MPI_Allreduce(mine, worst, 1, MPI_DOUBLE, MPI_MAX, ctx.comm);
    MPI_Allreduce(mine + 1, worst + 1, 2, MPI_DOUBLE, MPI_SUM, ctx.comm);
    if (saved) worst[0] += saved->wall, worst[1] += saved->model, worst[2] += saved->output;
    RunCost cost;
    cost.command = "rollout";
    cost.model = src.kind;
    cost.ranks = ctx.size;
    cost.threads_per_rank = src.solver ? 1 : operators::intra_op_threads();
    cost.steps = steps;
    cost.simulated_time = steps * c.engine.dt;
    cost.wall_seconds = worst[0];
    cost.step_seconds = worst[1];
    cost.output_seconds = worst[2];
    cost.analysis_seconds = std::max(0.0, worst[0] - worst[1] - worst[2]);
    return cost;
  };
  // The progress records after the series has been flushed up to `step`, in this order:
  // /completed_steps, rollout.csv and cost.csv, then (keep_state) rollout.state.h5, whose
  // atomic rename commits the step. Collective.
  auto save = [&](int step, bool keep_state) {
    std::vector<double> done(n, 0.0), done_all(n);
    for (const auto& t : local) done[t.id] = t.completed;
    MPI_Allreduce(done.data(), done_all.data(), n, MPI_DOUBLE, MPI_SUM, ctx.comm);
    out.write_record("/completed_steps", done_all);
    out.write_record("/rollout_progress", {double(step), double(c.engine.steps)});
    const std::string fresh = gather_text(rows.str(), ctx.comm);
    rows.str(std::string());
    const RunCost cost = cost_to(step);
    // rank 0's writes, agreed over the ranks: its failure (a full disk) ends every rank with
    // its error instead of leaving the others in the next collective call
    run_agreed(ctx.comm, [&] {
      if (ctx.rank != 0) return;
      std::istringstream in(fresh);
      std::string line;
      while (std::getline(in, line))
        if (!line.empty()) csv_rows.push_back({row_key(line), line});
      std::sort(csv_rows.begin(), csv_rows.end());  // by step, then trajectory
      std::string csv = "step,t,trajectory,kinetic_energy,u_centre,err_u,err_v,err_w,err_total,err_fluct\n";
      for (const auto& r : csv_rows) csv += r.second + "\n";
      write_text_atomic(c.dir + "/rollout.csv", csv);
      write_run_cost(c.dir + "/cost.csv", cost);
    });
    if (keep_state) {
      // every trajectory's window, gathered in id order (each rank holds consecutive ids)
      const std::size_t snap = m.snapshot_size();
      std::vector<double> mine, all, alive(n, 0.0), alive_all(n), e0(n, 0.0), e0_all(n);
      std::string reasons;
      for (const auto& t : local) {
        for (const auto& f : t.history) mine.insert(mine.end(), f.begin(), f.end());
        alive[t.id] = t.alive ? 1.0 : 0.0;
        e0[t.id] = t.initial_energy;
        if (!t.stop_reason.empty()) reasons += std::to_string(t.id) + "\t" + t.stop_reason + "\n";
      }
      MPI_Allreduce(alive.data(), alive_all.data(), n, MPI_DOUBLE, MPI_SUM, ctx.comm);
      MPI_Allreduce(e0.data(), e0_all.data(), n, MPI_DOUBLE, MPI_SUM, ctx.comm);
      const std::string all_reasons = gather_text(reasons, ctx.comm);
      int count = static_cast<int>(mine.size());
      std::vector<int> counts(ctx.size), offs(ctx.size, 0);
      MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, ctx.comm);
      if (ctx.rank == 0) {
        for (int r = 1; r < ctx.size; ++r) offs[r] = offs[r - 1] + counts[r - 1];
        all.resize(std::size_t(n) * window * snap);
      }
      MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offs.data(), MPI_DOUBLE, 0, ctx.comm);
      run_agreed(ctx.comm, [&] {
        if (ctx.rank != 0) return;
        AtomicPath target(state_path);
        auto f = h5::File::create(target);
        f.write_vector("/history", all, {hsize_t(n), hsize_t(window), hsize_t(snap)});
        f.write_vector("/completed", done_all);
        f.write_vector("/alive", alive_all);
        f.write_vector("/initial_energy", e0_all);
        f.set_attr("/", "format", std::string("ifactflow-rollout-state"));
        f.set_attr("/", "step", std::int64_t(step));
        f.set_attr("/", "steps", std::int64_t(c.engine.steps));
        f.set_attr("/", "n_traj", std::int64_t(n));
        f.set_attr("/", "window", std::int64_t(window));
        f.set_attr("/", "config", signature);
        f.set_attr("/", "wall_seconds", cost.wall_seconds);
        f.set_attr("/", "step_seconds", *cost.step_seconds);
        f.set_attr("/", "output_seconds", *cost.output_seconds);
        std::istringstream in(all_reasons);
        std::string line;
        while (std::getline(in, line)) {
          const auto tab = line.find('\t');
          if (tab != std::string::npos) f.set_attr("/", "stop_reason_" + line.substr(0, tab), line.substr(tab + 1));
        }
        f.close();
        target.commit();
      });
      MPI_Barrier(ctx.comm);
    }
  };

  io::StopSignals signals;  // SIGTERM/SIGUSR1 only set a flag, polled after every step
  auto observer = [&](int step, const std::vector<Trajectory>& traj) {
    double output_start = 0.0;
    bool flushed = false;
    // this rank's rows and VTK files, agreed over the ranks (a failed write ends every rank)
    run_agreed(ctx.comm, [&] {
      for (const auto& t : traj) {
        if (t.completed != step) continue;  // stopped earlier
        const auto& r = reference_at(t.id, step);
        rows << step << "," << step * c.engine.dt << "," << t.id << "," << energy(t.state()) << ","
             << measures.centre_u(t.state().data());
        if (r) {
          const auto e = analysis::field_errors(t.state().data(), r->data(), m.nx(), m.ny(), m.nz());
          for (double v : {e.uvw[0], e.uvw[1], e.uvw[2], e.total, e.fluct}) rows << "," << fmt::format("{:.10g}", v);
        } else {
          rows << ",,,,,";
        }
        rows << "\n";
        if (c.vtk_every > 0 && step % c.vtk_every == 0 && t.id < c.vtk_trajectories) {
          output_start = MPI_Wtime();
          std::vector<double> vort, q, diff;
          grad.vorticity_and_q(t.state().data(), vort, q);
          std::vector<VtkField> fields = {{"velocity", 3, t.state().data()}, {"vorticity", 3, vort.data()},
                                          {"Q", 1, q.data()}};
          if (r) {
            diff.resize(r->size());
            for (std::size_t p = 0; p < diff.size(); ++p) diff[p] = t.state()[p] - (*r)[p];
            fields.push_back({"error", 3, diff.data()});
          }
          const std::string name = fmt::format("traj{}_step{:06d}.vtr", t.id, step);
          write_vtr(c.dir + "/vtk/" + name, VtkPiece{m.x, m.y, m.z, 0}, fields);
          auto& coll = pvd[t.id];
          if (!coll) coll = std::make_unique<PvdCollection>(fmt::format("{}/vtk/rollout_traj{}.pvd", c.dir, t.id));
          coll->add(t.t0 + step * c.engine.dt, name);
          output_seconds += MPI_Wtime() - output_start;
        }
      }
    });
    if (step % c.series_every == 0) {
      // the writes are collective: wait for the other ranks first, so that their model time
      // is not counted as this rank's output time
      MPI_Barrier(ctx.comm);
      output_start = MPI_Wtime();
      // each rank holds its still-running trajectories as runs of consecutive ids (one run
      // unless a trajectory stopped in the middle of its share)
      SeriesStep now;
      now.ti = step / c.series_every;
      now.time = step * c.engine.dt;
      int previous = -2;
      for (const auto& t : traj) {
        if (t.completed != step) continue;
        if (t.id != previous + 1) now.runs.push_back({t.id, 0, {}});
        auto& run = now.runs.back();
        run.count += 1;
        run.states.insert(run.states.end(), t.state().begin(), t.state().end());
        previous = t.id;
      }
      // a change in which trajectories run (on any rank) writes the buffer first
      int changed = !pending.empty() && !same_runs(pending.front(), now), any_changed = 0;
      MPI_Allreduce(&changed, &any_changed, 1, MPI_INT, MPI_MAX, ctx.comm);
      if (any_changed) write_pending();
      pending.push_back(std::move(now));
      if (static_cast<int>(pending.size()) >= c.series_buffer || step == c.engine.steps) {
        write_pending();
        flushed = true;
      }
      output_seconds += MPI_Wtime() - output_start;
    }
    if (flushed && step > 0) save(step, true);
    hooks.at(step, ctx.rank);
    // a step boundary of every rank: a stop signal on any of them ends the run here
    if (step > 0 && step < c.engine.steps && signals.agreed(ctx.comm)) {
      if (!flushed) {
        write_pending();
        save(step, true);
      }
      out.close();
      throw Interrupted(fmt::format(
          "rollout: stopped by {} after step {} of {}; {} and {} hold the state: rerun the same command with --resume",
          io::stop_signal_name(io::StopSignals::received()), step, c.engine.steps, state_path, pred_path));
    }
  };

  rollout::RolloutEngine engine(c.engine, ctx.comm);
  TimedStepper timed(*stepper, step_seconds);
  MPI_Barrier(ctx.comm);
  loop_start = MPI_Wtime();
  engine.run(
      timed, local, energy,
      [&](int id, int step) -> std::optional<double> {
        const auto& r = reference_at(id, step);
        return r ? std::optional<double>(energy(*r)) : std::nullopt;
      },
      observer);
  // the last snapshots (when steps is not a multiple of series_every), the records, the
  // CSV and the cost; the state stays until the statistics are written too
  write_pending();
  save(c.engine.steps, true);
  {
    const RunCost cost = cost_to(c.engine.steps);
    log::info("rollout: {:.3g} steps/s, {:.3g} s per unit time; model {:.1f}%, output {:.1f}%, analysis {:.1f}% of {:.3g} s",
              cost.steps_per_second(), cost.wall_per_unit_time(),
              100 * *cost.step_seconds / std::max(cost.wall_seconds, 1e-300),
              100 * *cost.output_seconds / std::max(cost.wall_seconds, 1e-300),
              100 * *cost.analysis_seconds / std::max(cost.wall_seconds, 1e-300), cost.wall_seconds);
  }
  std::string stops;
  for (const auto& t : local)
    if (!t.alive) stops += t.stop_reason + "\n";
  out.close();
  SeriesStatsOptions so;
  so.input = c.dir + "/prediction.h5";
  so.output = c.dir + "/stats";
  so.start = c.stats_start / c.series_every;
  so.spectra_y_plus = c.spectra_y_plus;
  so.re_tau = 0;  // the prediction's wall-unit records (the reference's), else its own wall shear
  if (so.start < out.n_time()) series_statistics(so, ctx);

  MPI_Barrier(ctx.comm);
  if (ctx.rank == 0) fs::remove(state_path);  // finished: nothing to resume
  int stopped_here = static_cast<int>(std::count_if(local.begin(), local.end(), [](const Trajectory& t) { return !t.alive; }));
  int stopped = 0;
  MPI_Allreduce(&stopped_here, &stopped, 1, MPI_INT, MPI_SUM, ctx.comm);
  log::info("rollout: {} of {} trajectories completed {} steps; outputs in {}", n - stopped, n, c.engine.steps, c.dir);
  IFF_CHECK_AS(NumericalError, stopped == 0,
               stopped << " of " << n << " trajectories stopped early (" << (stops.empty() ? "on another rank" : stops.substr(0, stops.find('\n')))
                       << "); everything up to each one's last good step is in " << c.dir);
}

}  // namespace

void add_rollout(CLI::App& app, Context& ctx) {
  auto case_file = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  auto resume = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("rollout", "Autoregressive rollout of a trained operator (VTK, statistics, errors)");
  sub->add_option("case", *case_file, "YAML case file")->required();
  sub->add_option("--set", *overrides, "Override a case key: section.key=value (repeatable)");
  sub->add_flag("--resume", *resume, "Continue the unfinished rollout in output.dir (killed or interrupted)");
  sub->callback([case_file, overrides, resume, &ctx] { run_rollout(*case_file, *overrides, *resume, ctx); });
}

}  // namespace iff::app
