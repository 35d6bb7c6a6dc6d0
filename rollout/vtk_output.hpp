// ParaView files of a rollout as an observer of the engine: every `every` steps, for the
// trajectories with id < `trajectories`, vtk/traj<id>_step<NNNNNN>.vtr with velocity,
// vorticity and the Q-criterion (spectral/velocity_gradient.hpp) and, where the reference
// has that snapshot, error = prediction - reference; one vtk/rollout_traj<id>.pvd collection
// per trajectory. Each rank writes its own trajectories' files.
//
// As ParaView users expect them:
//   - times are those of prediction.h5's /time: the time since the trajectory's initial
//     state (step dt), in the series' units; each file's field data holds TimeValue (that
//     time), initial_time (the initial state's time in the reference series), step, units
//     (e.g. "h, u_tau") and trajectory (where it started);
//   - the grid is closed periodically: the plane x = lx repeats x = 0 and z = lz repeats
//     z = 0, so that the box shows its full lx x 2 x lz (the series stores no end planes).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "io/series.hpp"
#include "io/vtk.hpp"
#include "rollout/engine.hpp"
#include "spectral/velocity_gradient.hpp"

namespace iff::rollout {

class VtkOutput {
 public:
  VtkOutput(std::string dir, const SeriesMeta& meta, int every, int trajectories, double dt);
  bool active() const { return every_ > 0; }
  /// Re-creates the collections of the given trajectories up to the step each completed
  /// (a resumed rollout; their .vtr files are on disk).
  void resume(const std::vector<Trajectory>& local);
  /// Whether trajectory `id` has files at `step`.
  bool due(int step, int id) const { return active() && step % every_ == 0 && id < trajectories_; }
  /// Writes trajectory t's files at `step` when due, of its whole `state` [nx][ny][nz][3];
  /// `reference` (its reference snapshot there) may be null.
  void at(int step, const Trajectory& t, const Field& state, const Field* reference);

 private:
  PvdCollection& collection(int id);
  /// f [nx][ny][nz][c] with the periodic end planes: [nx+1][ny][nz+1][c].
  std::vector<double> closed(const double* f, int components) const;

  std::string dir_;
  SeriesMeta meta_;
  int every_, trajectories_;
  double dt_;
  std::vector<double> x_, z_;  // node coordinates with the end planes
  spectral::VelocityGradient grad_;
  std::map<int, std::unique_ptr<PvdCollection>> pvd_;
};

}  // namespace iff::rollout
