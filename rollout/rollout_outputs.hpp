// Everything a rollout writes while it runs, as one observer of the engine composed of
// parts with their own cadences: rollout.csv rows at every step (RolloutTable), VTK files
// every output.vtk_every steps (VtkOutput), the prediction series every output.series_every
// steps, written output.series_buffer snapshots at a time (PredictionOutput), and after each
// write of the series the progress records: /completed_steps, rollout.csv and cost.csv, then
// rollout.state.h5, whose atomic rename commits the step (RolloutState). Output folder and
// resume rules: rollout/rollout_case.hpp. Every call is collective.
//
// States split in x-slabs over a group of ranks (StateSlab) are measured from their slabs
// (analysis/field_measures.hpp, field_errors.hpp) and written slab by slab (the series, the
// state); only the VTK files, whose vorticity needs x-derivatives of the whole state, are
// made from the states of their trajectories gathered on the group's first rank.
#pragma once

#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/field_measures.hpp"
#include "io/run_cost.hpp"
#include "io/series.hpp"
#include "rollout/prediction_output.hpp"
#include "rollout/reference_series.hpp"
#include "rollout/rollout_case.hpp"
#include "rollout/rollout_state.hpp"
#include "rollout/rollout_table.hpp"
#include "rollout/vtk_output.hpp"

namespace iff::rollout {

class RolloutOutputs {
 public:
  /// The metadata of prediction.h5: the reference series' (grid, units, wall-unit records)
  /// for `n_traj` trajectories of velocity, made by `model` with the resolved case `config`;
  /// `dtype` where the stepper sets the storage type.
  static SeriesMeta prediction_meta(const SeriesMeta& reference, int n_traj, const std::string& model,
                                    std::optional<h5::DType> dtype, const std::string& config,
                                    const std::string& git_commit);
  /// `prediction`: the metadata of prediction.h5 (created, or continued from `saved`);
  /// `cost`: command, model, ranks and threads of the cost record; `local`: this rank's
  /// trajectories (held by the caller, advanced by the engine), each with a history of
  /// `window` states, of which it holds the planes `slab`; `t0`: every trajectory's initial
  /// time; `config`: the resolved case. The ranks of a group that splits the states measure
  /// them together; its first rank writes the rows, the VTK files and the cost of its
  /// trajectories, and every rank its planes of the series and of the state.
  RolloutOutputs(const RolloutCase& c, const SeriesMeta& prediction, ReferenceSeries& reference,
                 const std::vector<double>& t0, int window, const std::optional<RolloutState>& saved,
                 const std::string& config, RunCost cost, const std::vector<Trajectory>& local, StateSlab slab,
                 MPI_Comm comm);
  ~RolloutOutputs();

  /// Seconds spent in the model, for the cost record (the engine's stepper adds to it).
  double& model_seconds() { return model_seconds_; }
  /// Starts the clock of the time loop.
  void start();
  /// The engine's observer: rows, VTK and series of `step`; true when the series was
  /// written (and the progress saved) at this step.
  bool at(int step, const std::vector<Trajectory>& traj);
  /// Writes what is buffered and saves the progress at `step` (a stop signal, the end).
  void save_all(int step);
  /// The cost of the loop up to `steps` steps, earlier runs of a resumed rollout included.
  RunCost cost(int steps);
  /// Closes prediction.h5 (its snapshots complete); returns its time count.
  int close();
  const std::string& state_path() const { return state_path_; }

 private:
  void save(int step);

  const RolloutCase& c_;
  SeriesMeta meta_;
  ReferenceSeries& reference_;
  const std::optional<RolloutState>& saved_;
  std::string config_, state_path_;
  RunCost cost_;
  const std::vector<Trajectory>& local_;
  StateSlab slab_;
  MPI_Comm comm_;
  int n_traj_, window_;
  std::unique_ptr<SeriesWriter> out_;
  std::unique_ptr<PredictionOutput> series_;
  VtkOutput vtk_;
  RolloutTable table_;
  analysis::FieldMeasures measures_;
  double model_seconds_ = 0, output_seconds_ = 0, loop_start_ = 0;
};

}  // namespace iff::rollout
