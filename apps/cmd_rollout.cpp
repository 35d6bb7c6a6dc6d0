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
#include "io/process_grid.hpp"
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

rollout::StepperSource stepper_source(const RolloutCase& c, bool has_interval, MPI_Comm slab_comm) {
  if (c.solver.empty())
    return operators::operator_stepper_source({c.checkpoint, c.device, c.threads, c.dtype, c.precision, slab_comm});
  IFF_REQUIRE(has_interval, "rollout.solver needs a series with at least two snapshots (their interval is the step)");
  return solvers::solver_stepper_source(c.solver, c.engine.dt);
}

/// After the last step: the prediction's statistics, the state file removed (nothing to
/// resume), and a NumericalError when a trajectory stopped early (`local`: the trajectories
/// this rank writes).
void finish_rollout(const RolloutCase& c, int n_written, const std::vector<Trajectory>& local, int n,
                    const Context& ctx) {
  SeriesStatsOptions so;
  so.input = c.dir + "/prediction.h5";
  so.output = c.dir + "/stats";
  so.start = c.stats_start / c.series_every;
  so.spectra_y_plus = c.spectra_y_plus;
  so.re_tau = 0;  // the prediction's wall-unit records (the reference's), else its own wall shear
  if (so.start < n_written) series_statistics(so, ctx);

  MPI_Barrier(ctx.comm);
  if (ctx.rank == 0) std::filesystem::remove(c.dir + "/rollout.state.h5");
  std::string reason;
  const int stopped = rollout::stopped_early(local, ctx.comm, &reason);
  log::info("rollout: {} of {} trajectories completed {} steps; outputs in {}", n - stopped, n, c.engine.steps, c.dir);
  IFF_CHECK_AS(NumericalError, stopped == 0,
               stopped << " of " << n << " trajectories stopped early (" << reason << "); everything up to each one's "
                       << "last good step is in " << c.dir);
}

/// The engine's steps with the outputs as observers and the stop signals polled after every
/// step (an Interrupted error once the state is saved), then the last snapshots, the records,
/// the CSV and the cost. `local`: the trajectories this rank advances (the same on every
/// rank of its group), of which it holds the planes `slab`.
void advance_rollout(const RolloutCase& c, rollout::Stepper& stepper, rollout::RolloutOutputs& outputs,
                     rollout::ReferenceSeries& reference, std::vector<Trajectory>& local,
                     const rollout::StateSlab& slab, const SeriesMeta& m, const TestHooks& hooks, const Context& ctx) {
  const analysis::FieldMeasures measures(m, slab.nx, slab.comm);  // collective over the slab's ranks
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
          io::stop_signal_name(io::StopSignals::received()), step, c.engine.steps, c.dir + "/rollout.state.h5", c.dir + "/prediction.h5"));
    }
  };

  rollout::RolloutEngine engine(c.engine, ctx.comm, slab.comm);
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
}

void run_rollout(const std::string& case_file, const std::vector<std::string>& overrides, bool resume,
                 const Context& ctx) {
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
  // an unfinished rollout in the folder: continued with --resume, refused without
  const auto saved = rollout::RolloutState::unfinished(c.dir, resume, cfg.resolved_yaml(), case_file);

  SeriesReader ref(c.series);
  const SeriesMeta& m = ref.meta();
  IFF_REQUIRE(ref.n_time() > 0, "series " << c.series << " holds no snapshot");
  c.engine.dt = ref.n_time() > 1 ? ref.times()[1] - ref.times()[0] : 1.0;
  // groups of ranks_per_trajectory ranks share out the trajectories; each group's ranks
  // split its states in x-slabs, each rank holding, reading and writing its own planes
  const ProcessGrid grid(ctx.comm, c.ranks_per_trajectory, "rollout.ranks_per_trajectory");
  const rollout::StepperSource src = stepper_source(c, ref.n_time() > 1, grid.group_comm());
  src.require_fits(c.series, m);
  rollout::Stepper& stepper = *src.stepper;
  const int window = stepper.window();
  const rollout::StateSlab slab = stepper.slab(m.nx());
  const auto starts = c.initial_states(
      ref, window,
      c.initial == rollout::InitialStates::held_out && c.solver.empty() ? operators::checkpoint_validation_trajectories(c.checkpoint, m.n_traj) : 0);
  const int n = static_cast<int>(starts.size());
  const auto [first, last] = share_range(n, grid.group(), grid.groups());
  rollout::require_rollout_memory(stepper, last - first, c.engine.batch, c.series_buffer, slab.size(m.ny(), m.nz()),
                                  fmt::format("{}x{}x{}", m.nx(), m.ny(), m.nz()), ctx.comm);
  rollout::ReferenceSeries reference(ref, starts, slab);
  std::vector<Trajectory> local = reference.trajectories(first, last, window);
  const std::vector<Trajectory> none;
  const std::vector<Trajectory>& written = grid.leader() ? local : none;  // each counted once
  if (saved) {
    saved->restore(c.dir + "/rollout.state.h5", n, window, local, slab, m.ny(), m.nz(), ctx.comm);
    c.engine.first_step = saved->step;
    log::info("rollout: resuming {} at step {} of {}", c.dir, saved->step, c.engine.steps);
  }
  ensure_directory(c.dir);
  if (c.vtk_every > 0) ensure_directory(c.dir + "/vtk");
  run_agreed(ctx.comm, [&] {
    if (ctx.rank == 0) cfg.write_resolved(c.dir + "/config.resolved.yaml");
  });
  log::info("rollout: {} initial states over {} ranks{}, {} steps of dt = {:.6g}, {}", n, ctx.size,
            grid.group_size() > 1 ? fmt::format(" ({} groups of {})", grid.groups(), grid.group_size()) : "",
            c.engine.steps, c.engine.dt, stepper.describe());

  const SeriesMeta pm = rollout::RolloutOutputs::prediction_meta(m, n, stepper.describe(), src.dtype,
                                                                 cfg.resolved_yaml(), git_commit());
  if (!pm.wall)
    log::info("rollout: {} records no wall units; prediction.h5 records none (its statistics use its own wall shear)",
              c.series);
  rollout::RolloutOutputs outputs(c, pm, reference, reference.initial_times(), window, saved, cfg.resolved_yaml(),
                                  RunCost::of("rollout", src.kind, ctx.size, src.threads), local, slab, ctx.comm);
  advance_rollout(c, stepper, outputs, reference, local, slab, m, hooks, ctx);
  finish_rollout(c, outputs.close(), written, n, ctx);
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
