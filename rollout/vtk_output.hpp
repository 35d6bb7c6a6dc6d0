// ParaView files of a rollout as an observer of the engine: every `every` steps, for the
// trajectories with id < `trajectories`, vtk/traj<id>_step<NNNNNN>.vtr with velocity,
// vorticity and the Q-criterion (spectral/velocity_gradient.hpp) and, where the reference
// has that snapshot, error = prediction - reference; one vtk/rollout_traj<id>.pvd collection
// per trajectory, its times those of the series (t0 + step dt). Each rank writes its own
// trajectories' files.
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
  /// Writes trajectory t's files at `step` when due; `reference` may be null.
  void at(int step, const Trajectory& t, const Field* reference);

 private:
  PvdCollection& collection(int id);

  std::string dir_;
  SeriesMeta meta_;
  int every_, trajectories_;
  double dt_;
  spectral::VelocityGradient grad_;
  std::map<int, std::unique_ptr<PvdCollection>> pvd_;
};

}  // namespace iff::rollout
