#include "rollout/rollout_outputs.hpp"

#include "analysis/field_errors.hpp"
#include "io/agreed.hpp"
#include "io/comm.hpp"

namespace iff::rollout {

SeriesMeta RolloutOutputs::prediction_meta(const SeriesMeta& reference, int n_traj, const std::string& model,
                                           std::optional<h5::DType> dtype, const std::string& config,
                                           const std::string& git_commit) {
  SeriesMeta pm = reference;
  pm.kind = "prediction";
  pm.n_traj = n_traj;
  pm.has_pressure = false;
  pm.model = model;
  if (dtype) pm.dtype = *dtype;
  pm.config = config;
  pm.git_commit = git_commit;
  // wall units: the reference's records at the reference snapshot each prediction snapshot
  // corresponds to (NaN past its end; PredictionOutput), so that statistics of the
  // prediction use the parent run's wall units
  return pm;
}

RolloutOutputs::RolloutOutputs(const RolloutCase& c, const SeriesMeta& prediction, ReferenceSeries& reference,
                               const std::vector<double>& t0, int window, const std::optional<RolloutState>& saved,
                               const std::string& config, RunCost cost, const std::vector<Trajectory>& local,
                               StateSlab slab, MPI_Comm comm)
    : c_(c),
      meta_(prediction),
      reference_(reference),
      saved_(saved),
      config_(config),
      state_path_(c.dir + "/rollout.state.h5"),
      cost_(std::move(cost)),
      local_(local),
      slab_(slab),
      comm_(comm),
      n_traj_(static_cast<int>(t0.size())),
      window_(window),
      vtk_(c.dir, prediction, c.vtk_every, c.vtk_trajectories, c.engine.dt),
      table_(c.dir + "/rollout.csv", comm, saved ? saved->step : -1),
      measures_(prediction, slab.nx, slab.comm) {
  const std::string path = c.dir + "/prediction.h5";
  if (saved) {
    // the snapshots up to the saved step, copied into a fresh file (a kill during a write can
    // leave the file's metadata unextendable)
    out_ = std::make_unique<SeriesWriter>(SeriesWriter::resume(
        path, saved->step / c.series_every + 1, {"/initial_time", "/completed_steps", "/rollout_progress"}, comm));
    if (slab_.leader()) vtk_.resume(local);
  } else {
    out_ = std::make_unique<SeriesWriter>(path, prediction, comm, WriteMode::in_place);
    out_->write_record("/initial_time", t0);
    out_->write_record("/completed_steps", std::vector<double>(n_traj_, 0.0));
    out_->write_record("/rollout_progress", {0.0, double(c.engine.steps)});
  }
  series_ = std::make_unique<PredictionOutput>(*out_, prediction, slab_, c.series_every, c.series_buffer, c.engine.dt,
                                               [this](int id, int step) { return reference_.u_tau(id, step); }, comm);
}

RolloutOutputs::~RolloutOutputs() = default;

void RolloutOutputs::start() {
  MPI_Barrier(comm_);
  loop_start_ = MPI_Wtime();
}

namespace {

/// The whole state from its slabs, on the slab's first rank (empty elsewhere); `part` itself
/// when the state is not split. Collective over the slab's ranks.
Field whole_state(const Field& part, const StateSlab& slab) {
  return slab.split() ? gather_on_root(part, slab.comm) : part;
}

}  // namespace

bool RolloutOutputs::at(int step, const std::vector<Trajectory>& traj) {
  // every state measured over its slabs and, where a VTK file is due, gathered (collective
  // over the slab's ranks); then the group leader's rows and files, agreed over the ranks (a
  // failed write ends every rank)
  struct Measured {
    const Trajectory* t;
    double energy, centre;
    std::vector<double> errors;
    Field state, reference;  // whole, on the leader, for its VTK file
    bool has_reference;
  };
  std::vector<Measured> done;
  for (const auto& t : traj) {
    if (t.completed != step) continue;  // stopped earlier
    const auto& r = reference_.at(t.id, step);
    Measured m{&t, measures_.kinetic_energy(t.state().data()), measures_.centre_u(t.state().data()), {}, {}, {}, bool(r)};
    if (r) {
      const auto e = analysis::field_errors(t.state().data(), r->data(), slab_.nx, meta_.ny(), meta_.nz(), slab_.comm);
      m.errors = {e.uvw[0], e.uvw[1], e.uvw[2], e.total, e.fluct};
    }
    if (vtk_.due(step, t.id)) {
      const double t_out = MPI_Wtime();
      m.state = whole_state(t.state(), slab_);
      if (r) m.reference = whole_state(*r, slab_);
      output_seconds_ += MPI_Wtime() - t_out;
    }
    done.push_back(std::move(m));
  }
  run_agreed(comm_, [&] {
    if (!slab_.leader()) return;
    for (const auto& m : done) {
      table_.add(step, step * c_.engine.dt, m.t->id, m.energy, m.centre, m.errors);
      if (!vtk_.due(step, m.t->id)) continue;
      const double t_out = MPI_Wtime();
      vtk_.at(step, *m.t, m.state, m.has_reference ? &m.reference : nullptr);
      output_seconds_ += MPI_Wtime() - t_out;
    }
  });
  if (step % c_.series_every != 0) return false;
  // the writes are collective: wait for the other ranks first, so that their model time is
  // not counted as this rank's output time
  MPI_Barrier(comm_);
  const double t_out = MPI_Wtime();
  const bool written = series_->at(step, traj, step == c_.engine.steps);
  output_seconds_ += MPI_Wtime() - t_out;
  if (written && step > 0) save(step);
  return written;
}

void RolloutOutputs::save_all(int step) {
  series_->flush();
  save(step);
}

RunCost RolloutOutputs::cost(int steps) {
  int size = 1;
  MPI_Comm_size(comm_, &size);
  // wall-clock of the slowest rank (every rank steps in lockstep); phases: the mean over
  // ranks, the rest (errors, energies, waiting for other ranks) is analysis
  double mine[3] = {MPI_Wtime() - loop_start_, model_seconds_ / size, output_seconds_ / size}, all[3];
  MPI_Allreduce(mine, all, 1, MPI_DOUBLE, MPI_MAX, comm_);
  MPI_Allreduce(mine + 1, all + 1, 2, MPI_DOUBLE, MPI_SUM, comm_);
  if (saved_) all[0] += saved_->wall, all[1] += saved_->model, all[2] += saved_->output;
  RunCost cost = cost_;
  cost.steps = steps;
  cost.simulated_time = steps * c_.engine.dt;
  // every trajectory up to its last good step (a guard stop ends its share)
  double advanced = 0.0, advanced_all = 0.0;
  if (slab_.leader())  // a group's trajectories once
    for (const auto& t : local_) advanced += std::min(t.completed, steps);
  MPI_Allreduce(&advanced, &advanced_all, 1, MPI_DOUBLE, MPI_SUM, comm_);
  cost.trajectory_time = advanced_all * c_.engine.dt;
  cost.wall_seconds = all[0];
  cost.step_seconds = all[1];
  cost.output_seconds = all[2];
  cost.analysis_seconds = std::max(0.0, all[0] - all[1] - all[2]);
  return cost;
}

void RolloutOutputs::save(int step) {
  std::vector<double> done(n_traj_, 0.0), done_all(n_traj_);
  if (slab_.leader())
    for (const auto& t : local_) done[t.id] = t.completed;
  MPI_Allreduce(done.data(), done_all.data(), n_traj_, MPI_DOUBLE, MPI_SUM, comm_);
  out_->write_record("/completed_steps", done_all);
  out_->write_record("/rollout_progress", {double(step), double(c_.engine.steps)});
  table_.collect();
  const RunCost cost_now = cost(step);
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  // rank 0's writes, agreed: its failure (a full disk) ends every rank with its error
  run_agreed(comm_, [&] {
    if (rank != 0) return;
    table_.write();
    write_run_cost(c_.dir + "/cost.csv", cost_now);
  });
  RolloutState head;
  head.step = step;
  head.steps = c_.engine.steps;
  head.n_traj = n_traj_;
  head.window = window_;
  head.config = config_;
  head.wall = cost_now.wall_seconds;
  head.model = *cost_now.step_seconds;
  head.output = *cost_now.output_seconds;
  write_rollout_state(state_path_, head, local_, slab_, meta_.ny(), meta_.nz(), comm_);
}

int RolloutOutputs::close() {
  out_->close();
  return out_->n_time();
}

}  // namespace iff::rollout
