// ifactflow rollout CASE.yaml [--set key=value ...] [--resume]: autoregressive rollout of a
// trained operator, or of an LES/DNS case, from snapshots of a series, initial states shared
// out over MPI ranks.
//
// Case keys: `ifactflow config rollout`. With rollout.solver (an LES or DNS case advanced one
// snapshot interval per step: solvers/channel_solver_stepper.hpp) the snapshots equal those
// `ifactflow dns` of that case writes from the same initial snapshot, and the prediction is
// stored in its output.snapshot_dtype.
#include <algorithm>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "analysis/field_measures.hpp"
#include "apps/commands.hpp"
#include "apps/test_hooks.hpp"
#include "apps/version.hpp"
#include "io/agreed.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/partition.hpp"
#include "io/run_cost.hpp"
#include "io/run_lock.hpp"
#include "io/stop_signal.hpp"
#include "io/vtk.hpp"
#include "operators/operator_stepper.hpp"
#include "rollout/rollout_outputs.hpp"
#include "rollout/timed_stepper.hpp"
#include "solvers/channel_solver_stepper.hpp"

namespace iff::app {

namespace {

using rollout::RolloutCase;
using rollout::Trajectory;

/// What advances the rollout: a trained operator (rollout.checkpoint) or an LES/DNS case
/// (rollout.solver), with what the command checks it against.
struct StepperSource {
  std::unique_ptr<rollout::Stepper> stepper;
  std::string what;                // for messages: "checkpoint FILE" or "solver case FILE"
  std::vector<int> grid;           // nx, ny, nz
  std::vector<double> box;         // lx, lz (0, 0: unknown)
  std::string kind;                // model kind for cost.csv
  int threads = 1;                 // per rank, for cost.csv
  std::optional<h5::DType> dtype;  // the prediction's dtype (a solver case's snapshot_dtype)
};

StepperSource stepper_source(const RolloutCase& c, bool has_interval) {
  StepperSource s;
  if (c.solver.empty()) {
    s.what = "checkpoint " + c.checkpoint;
    s.grid = operators::checkpoint_grid(c.checkpoint);
    s.box = operators::checkpoint_box(c.checkpoint);
    s.kind = operators::checkpoint_model_kind(c.checkpoint);
    s.stepper = operators::make_operator_stepper({c.checkpoint, c.device, c.threads, c.dtype});
    s.threads = operators::intra_op_threads();
    return s;
  }
  auto scfg = Config::load(c.solver, {});
  auto p = solvers::DnsParams::from(scfg);
  scfg.reject_unknown();
  IFF_REQUIRE(has_interval, "rollout.solver needs a series with at least two snapshots (their interval is the step)");
  s.what = "solver case " + c.solver;
  s.grid = {p.grid.nx, p.grid.ny, p.grid.nz};
  s.box = {p.grid.lx, p.grid.lz};
  s.dtype = p.output.snapshot_dtype;
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
  // before the folder, the series or the model are touched: nothing is written
  if (c.vtk_every > 0 && !vtk_built())
    throw NotBuilt(fmt::format("output.vtk_every = {}: VTK output is not built (ifactflow configured with "
                               "IFF_WITH_VTK=OFF); set output.vtk_every: 0 (the default is 10)",
                               c.vtk_every));
  const TestHooks hooks("ROLLOUT");
  FolderLock lock(c.dir, ctx.command_line, ctx.comm);
  const std::string pred_path = c.dir + "/prediction.h5", state_path = c.dir + "/rollout.state.h5";
  // an unfinished rollout in the folder: continued with --resume, refused without
  const auto saved = rollout::RolloutState::unfinished(c.dir, resume, cfg.resolved_yaml(), case_file);

  SeriesReader ref(c.series);
  const SeriesMeta& m = ref.meta();
  IFF_REQUIRE(ref.n_time() > 0, "series " << c.series << " holds no snapshot");
  c.engine.dt = ref.n_time() > 1 ? ref.times()[1] - ref.times()[0] : 1.0;
  StepperSource src = stepper_source(c, ref.n_time() > 1);
  const auto& g = src.grid;
  IFF_REQUIRE(g[0] == m.nx() && g[1] == m.ny() && g[2] == m.nz(),
              src.what << " is for a " << g[0] << "x" << g[1] << "x" << g[2] << " grid, series " << c.series << " is "
                       << m.nx() << "x" << m.ny() << "x" << m.nz());
  // the positional features were made for the checkpoint's box (a solver's case has its own)
  auto differs = [](double a, double b) { return std::abs(a - b) > 1e-9 * std::max(std::abs(a), std::abs(b)); };
  IFF_REQUIRE(!(src.box[0] > 0 && src.box[1] > 0) || (!differs(src.box[0], m.box_lx()) && !differs(src.box[1], m.box_lz())),
              src.what << " is for a box " << src.box[0] << " x 2 x " << src.box[1] << ", series " << c.series << " is "
                       << m.box_lx() << " x 2 x " << m.box_lz());
  rollout::Stepper& stepper = *src.stepper;
  const int window = stepper.window();
  const auto starts = c.initial_states(
      ref, window,
      c.initial == rollout::InitialStates::held_out && c.solver.empty() ? operators::checkpoint_validation_trajectories(c.checkpoint, m.n_traj) : 0);
  const int n = static_cast<int>(starts.size());
  const auto [first, last] = share_range(n, ctx.rank, ctx.size);
  rollout::require_rollout_memory(stepper, last - first, c.engine.batch, c.series_buffer, m.snapshot_size(),
                                  fmt::format("{}x{}x{}", m.nx(), m.ny(), m.nz()), ctx.comm);
  rollout::ReferenceSeries reference(ref, starts);
  std::vector<Trajectory> local = reference.trajectories(first, last, window);
  if (saved) {
    saved->restore(state_path, n, window, local, m.snapshot_size());
    c.engine.first_step = saved->step;
    log::info("rollout: resuming {} at step {} of {}", c.dir, saved->step, c.engine.steps);
  }
  ensure_directory(c.dir);
  ensure_directory(c.dir + "/vtk");
  run_agreed(ctx.comm, [&] {
    if (ctx.rank == 0) cfg.write_resolved(c.dir + "/config.resolved.yaml");
  });
  log::info("rollout: {} initial states over {} ranks, {} steps of dt = {:.6g}, {}", n, ctx.size, c.engine.steps,
            c.engine.dt, stepper.describe());

  const SeriesMeta pm = rollout::RolloutOutputs::prediction_meta(m, n, stepper.describe(), src.dtype,
                                                                 cfg.resolved_yaml(), git_commit());
  if (!pm.wall)
    log::info("rollout: {} records no wall units; prediction.h5 records none (its statistics use its own wall shear)",
              c.series);
  rollout::RolloutOutputs outputs(c, pm, reference, reference.initial_times(), window, saved, cfg.resolved_yaml(),
                                  RunCost::of("rollout", src.kind, ctx.size, src.threads), local, ctx.comm);
  const analysis::FieldMeasures measures(m);
  auto energy = [&](const rollout::Field& u) { return measures.kinetic_energy(u.data()); };
  io::StopSignals signals;  // SIGTERM/SIGUSR1 only set a flag, polled after every step
  auto observer = [&](int step, const std::vector<Trajectory>& traj) {
    const bool saved_here = outputs.at(step, traj);
    hooks.at(step, ctx.rank);
    // a step boundary of every rank: a stop signal on any of them ends the run here
    if (step > 0 && step < c.engine.steps && signals.agreed(ctx.comm)) {
      if (!saved_here) outputs.save_all(step);
      outputs.close();
      throw Interrupted(fmt::format(
          "rollout: stopped by {} after step {} of {}; {} and {} hold the state: rerun the same command with --resume",
          io::stop_signal_name(io::StopSignals::received()), step, c.engine.steps, state_path, pred_path));
    }
  };

  rollout::RolloutEngine engine(c.engine, ctx.comm);
  rollout::TimedStepper timed(stepper, outputs.model_seconds());
  outputs.start();
  engine.run(
      timed, local, energy,
      [&](int id, int step) -> std::optional<double> {
        const auto& r = reference.at(id, step);
        return r ? std::optional<double>(energy(*r)) : std::nullopt;
      },
      observer);
  // the last snapshots (when steps is not a multiple of series_every), the records, the
  // CSV and the cost; the state stays until the statistics are written too
  outputs.save_all(c.engine.steps);
  log::info("rollout: {}", outputs.cost(c.engine.steps).summary());
  const int n_written = outputs.close();
  SeriesStatsOptions so;
  so.input = pred_path;
  so.output = c.dir + "/stats";
  so.start = c.stats_start / c.series_every;
  so.spectra_y_plus = c.spectra_y_plus;
  so.re_tau = 0;  // the prediction's wall-unit records (the reference's), else its own wall shear
  if (so.start < n_written) series_statistics(so, ctx);

  MPI_Barrier(ctx.comm);
  if (ctx.rank == 0) fs::remove(state_path);  // finished: nothing to resume
  std::string reason;
  const int stopped = rollout::stopped_early(local, ctx.comm, &reason);
  log::info("rollout: {} of {} trajectories completed {} steps; outputs in {}", n - stopped, n, c.engine.steps, c.dir);
  IFF_CHECK_AS(NumericalError, stopped == 0,
               stopped << " of " << n << " trajectories stopped early (" << reason << "); everything up to each one's "
                       << "last good step is in " << c.dir);
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
